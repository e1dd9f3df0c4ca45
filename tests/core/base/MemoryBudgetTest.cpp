#include <gtest/gtest.h>

#include <cstdlib>

#include "core/base/Memory.h"

namespace mitoseg {
namespace {

TEST(ByteSize, ParsesPlainNumbersAndBinarySuffixes)
{
    EXPECT_EQ(parseByteSize("4096"), 4096u);
    EXPECT_EQ(parseByteSize("64K"), 64u << 10);
    EXPECT_EQ(parseByteSize("512m"), 512u << 20);
    EXPECT_EQ(parseByteSize("2G"), 2ull << 30);
    EXPECT_EQ(parseByteSize("2GiB"), 2ull << 30);
    EXPECT_EQ(parseByteSize("2gb"), 2ull << 30);
    EXPECT_EQ(parseByteSize("1.5G"), 3ull << 29);
    EXPECT_EQ(parseByteSize("1T"), 1ull << 40);
    EXPECT_EQ(parseByteSize("100B"), 100u);
}

TEST(ByteSize, RefusesWhatIsNotASize)
{
    for (const char* bad : {"", "G", ".", "-1G", "0", "0.0M", "2X", "2GG", "1e3", "1..2G", "2 G", "0x10", "99999999999T"})
        EXPECT_FALSE(parseByteSize(bad).has_value()) << bad;
}

TEST(MemoryBudget, SetValueWinsOverEnvironmentWhichWinsOverDefault)
{
    setMemoryBudget(0);
    ::unsetenv("MITOSEG_MEMORY_BUDGET");
    EXPECT_EQ(memoryBudget(), kDefaultMemoryBudget);
    ::setenv("MITOSEG_MEMORY_BUDGET", "3G", 1);
    EXPECT_EQ(memoryBudget(), 3ull << 30);
    setMemoryBudget(1ull << 20);
    EXPECT_EQ(memoryBudget(), 1ull << 20);
    setMemoryBudget(0);
    ::setenv("MITOSEG_MEMORY_BUDGET", "junk", 1);
    EXPECT_EQ(memoryBudget(), kDefaultMemoryBudget);
    ::unsetenv("MITOSEG_MEMORY_BUDGET");
}

TEST(MemoryBudget, BudgetArgumentRoundsUpAndParsesBack)
{
    EXPECT_EQ(budgetArgument(1), "1M");
    EXPECT_EQ(budgetArgument(203ull << 20), "203M");
    EXPECT_EQ(budgetArgument((203ull << 20) + 1), "204M");
    EXPECT_EQ(budgetArgument(16ull << 30), "16G");
    for (std::uint64_t b : {std::uint64_t{12345}, std::uint64_t{7} << 30, (std::uint64_t{5} << 30) + 3}) {
        const auto back = parseByteSize(budgetArgument(b));
        ASSERT_TRUE(back.has_value());
        EXPECT_GE(*back, b);
        EXPECT_LT(*back - b, std::uint64_t{1} << 20);
    }
}

}  // namespace
}  // namespace mitoseg
