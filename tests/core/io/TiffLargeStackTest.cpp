// A stack larger than this machine's RAM (a sparse 33 GB BigTIFF) opens at once and any
// slice reads on demand: open() indexes pages without touching pixel data.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include "../base/TestSupport.h"
#include "core/io/TiffStack.h"

namespace mitoseg::test {
namespace {

void put(std::vector<std::uint8_t>& b, std::size_t at, std::uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; ++i)
        b[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

/// Writes a little-endian BigTIFF of `pages` uncompressed uint8 pages of w x h whose pixel
/// data is a hole in a sparse file. Returns false when the file system cannot hold it.
bool writeSparseBigTiff(const std::filesystem::path& path, std::uint64_t pages, std::uint64_t w, std::uint64_t h)
{
    const std::uint64_t entries = 9, ifdBytes = 8 + entries * 20 + 8;
    const std::uint64_t dataStart = 16 + pages * ifdBytes;
    const std::uint64_t slice = w * h;
    std::vector<std::uint8_t> b(static_cast<std::size_t>(dataStart), 0);
    b[0] = 'I';
    b[1] = 'I';
    put(b, 2, 43, 2);
    put(b, 4, 8, 2);
    put(b, 8, 16, 8);
    for (std::uint64_t z = 0; z < pages; ++z) {
        const std::size_t at = static_cast<std::size_t>(16 + z * ifdBytes);
        put(b, at, entries, 8);
        const std::uint64_t tags[9][3] = {{256, 16, w}, {257, 16, h}, {258, 3, 8}, {259, 3, 1}, {262, 3, 1},
                                          {273, 16, dataStart + z * slice}, {277, 3, 1}, {278, 16, h}, {279, 16, slice}};
        for (std::uint64_t e = 0; e < entries; ++e) {
            const std::size_t ea = static_cast<std::size_t>(at + 8 + e * 20);
            put(b, ea, tags[e][0], 2);
            put(b, ea + 2, tags[e][1], 2);
            put(b, ea + 4, 1, 8);
            put(b, ea + 12, tags[e][2], tags[e][1] == 3 ? 2 : 8);
        }
        put(b, static_cast<std::size_t>(at + 8 + entries * 20), z + 1 < pages ? at + ifdBytes : 0, 8);
    }
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return false;
    bool ok = ::write(fd, b.data(), b.size()) == static_cast<ssize_t>(b.size()) &&
              ::ftruncate(fd, static_cast<off_t>(dataStart + pages * slice)) == 0;
    // A marker inside slice 1234 so the test can check offsets.
    const std::uint8_t marker[4] = {11, 22, 33, 44};
    ok = ok && ::pwrite(fd, marker, 4, static_cast<off_t>(dataStart + 1234 * slice + 5 * w + 7)) == 4;
    ::close(fd);
    return ok;
}

TEST(TiffLargeStack, SparseStackLargerThanRamOpensAtOnce)
{
    ScratchDir dir;
    const auto path = dir / "huge.tif";
    const std::uint64_t pages = 2000, w = 4096, h = 4096;  // 33.5 GB of voxels
    ASSERT_TRUE(writeSparseBigTiff(path, pages, w, h)) << "file system cannot hold a sparse 33 GB file";
    const auto t = std::chrono::steady_clock::now();
    auto stack = TiffStack::open(path);
    std::vector<std::uint8_t> slice(w * h);
    stack->readSlice(1234, slice.data());
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
    EXPECT_LT(ms, 1000.0);
    EXPECT_EQ(stack->info().shape, (Shape{2000, 4096, 4096}));
    EXPECT_TRUE(stack->info().bigTiff);
    EXPECT_EQ(stack->info().dataBytes(), pages * w * h);
    EXPECT_EQ(slice[5 * w + 7], 11);
    EXPECT_EQ(slice[5 * w + 10], 44);
    EXPECT_EQ(slice[0], 0);
    const auto* mapped = static_cast<const std::uint8_t*>(stack->mappedSlice(1234));
    ASSERT_NE(mapped, nullptr);
    EXPECT_EQ(mapped[5 * w + 8], 22);
    // Reading it all would need 33 GB: more than the RAM here is a clear error, not an abort.
    if (static_cast<std::uint64_t>(::sysconf(_SC_PHYS_PAGES)) * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE)) <
        pages * w * h) {
        try {
            (void)stack->readAll<std::uint8_t>();
            ADD_FAILURE() << "readAll of 33 GB did not fail";
        } catch (const IoError& e) {
            EXPECT_EQ(e.kind(), IoError::Kind::Unsupported);
            EXPECT_NE(std::string(e.what()).find("slice by slice"), std::string::npos) << e.what();
        }
    }
}

}  // namespace
}  // namespace mitoseg::test
