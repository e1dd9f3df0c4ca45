// Replays the fuzzer's seed corpus (must read) and every input the fuzzer ever flagged,
// kept under tests/data/fuzz/ (must read or throw IoError; never crash).
#include <gtest/gtest.h>

#include <filesystem>

#include "core/io/TiffStack.h"

namespace mitoseg::test {
namespace {

const std::filesystem::path kSource = MITOSEG_SOURCE_DIR;

/// Opens `path` and reads every slice of it in both the native and the float path.
void readEverything(const std::filesystem::path& path)
{
    auto stack = TiffStack::open(path);
    const StackInfo& in = stack->info();
    switch (in.dtype) {
    case DType::U8: (void)stack->readAll<std::uint8_t>(); break;
    case DType::U16: (void)stack->readAll<std::uint16_t>(); break;
    case DType::F32: (void)stack->readAll<float>(); break;
    }
    std::vector<float> slice(static_cast<std::size_t>(in.shape.sliceVoxels()));
    for (std::int64_t z = 0; z < in.shape.depth; ++z)
        stack->readSliceF32(z, slice.data());
}

std::vector<std::filesystem::path> filesIn(const std::filesystem::path& dir)
{
    std::vector<std::filesystem::path> out;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        if (e.is_regular_file() && e.path().filename() != "README.md")
            out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

TEST(TiffFuzzRegression, SeedCorpusReads)
{
    const auto seeds = filesIn(kSource / "tests/fuzz/seeds");
    ASSERT_GE(seeds.size(), 10u);
    for (const auto& p : seeds) {
        SCOPED_TRACE(p.string());
        EXPECT_NO_THROW(readEverything(p));
    }
}

TEST(TiffFuzzRegression, FlaggedInputsFailCleanly)
{
    const auto inputs = filesIn(kSource / "tests/data/fuzz");
    ASSERT_FALSE(inputs.empty());
    for (const auto& p : inputs) {
        SCOPED_TRACE(p.string());
        try {
            readEverything(p);
        } catch (const IoError& e) {
            EXPECT_NE(std::string(e.what()).find(p.filename().string()), std::string::npos) << e.what();
        }
    }
}

}  // namespace
}  // namespace mitoseg::test
