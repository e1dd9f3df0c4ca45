// Reading generated stacks: every dtype x layout x compression, BigTIFF, byte order, single
// page, spacing, lazy/thread-safe access, readAll/readLabels conveniences.
#include <gtest/gtest.h>

#include <cctype>
#include <cstring>
#include <fstream>
#include <thread>

#include "../base/TestSupport.h"
#include "TiffFixtures.h"
#include "core/io/TiffStack.h"
#include "core/io/TiffWriter.h"

namespace mitoseg::test {
namespace {

template <class T>
void expectMatchesFixture(const Volume<T>& v, const FixtureSpec& s)
{
    ASSERT_EQ(v.shape(), (Shape{s.pages, s.height, s.width}));
    std::int64_t bad = 0;
    for (int z = 0; z < s.pages; ++z)
        for (int y = 0; y < s.height; ++y)
            for (int x = 0; x < s.width; ++x)
                if (static_cast<double>(v(z, y, x)) != fixtureValue(s.dtype, z, y, x) && bad++ < 5)
                    ADD_FAILURE() << "voxel (" << z << "," << y << "," << x << ") = " << +v(z, y, x) << ", expected "
                                  << fixtureValue(s.dtype, z, y, x);
    EXPECT_EQ(bad, 0);
}

void expectStackMatches(const TiffStack& stack, const FixtureSpec& s)
{
    switch (s.dtype) {
    case DType::U8: expectMatchesFixture(stack.readAll<std::uint8_t>(), s); break;
    case DType::U16: expectMatchesFixture(stack.readAll<std::uint16_t>(), s); break;
    case DType::F32: expectMatchesFixture(stack.readAll<float>(), s); break;
    }
    // Slices in reverse order through the float path (random access repositions libtiff).
    std::vector<float> slice(static_cast<std::size_t>(s.width) * s.height);
    for (int z = s.pages - 1; z >= 0; --z) {
        stack.readSliceF32(z, slice.data());
        for (int y = 0; y < s.height; ++y)
            for (int x = 0; x < s.width; ++x)
                ASSERT_EQ(slice[static_cast<std::size_t>(y) * s.width + x], static_cast<float>(fixtureValue(s.dtype, z, y, x)))
                    << "slice " << z;
    }
}

std::vector<FixtureSpec> matrix()
{
    std::vector<FixtureSpec> out;
    for (DType d : {DType::U8, DType::U16, DType::F32})
        for (int layout = 0; layout < 3; ++layout)
            for (std::uint16_t c : {COMPRESSION_NONE, COMPRESSION_LZW, COMPRESSION_ADOBE_DEFLATE, COMPRESSION_DEFLATE,
                                    COMPRESSION_PACKBITS}) {
                FixtureSpec s;
                s.dtype = d;
                s.tiled = layout == 2;
                s.rowsPerStrip = layout == 1 ? 0xFFFFFFFFu : 5;
                s.compression = c;
                out.push_back(s);
                if (c == COMPRESSION_LZW || c == COMPRESSION_ADOBE_DEFLATE) {
                    s.predictor = d == DType::F32 ? PREDICTOR_FLOATINGPOINT : PREDICTOR_HORIZONTAL;
                    out.push_back(s);
                }
            }
    for (DType d : {DType::U8, DType::U16, DType::F32}) {
        FixtureSpec s;
        s.dtype = d;
        s.bigTiff = true;
        out.push_back(s);
        s.compression = COMPRESSION_ADOBE_DEFLATE;
        s.tiled = true;
        out.push_back(s);
        FixtureSpec be;
        be.dtype = d;
        be.bigEndian = true;
        out.push_back(be);
        be.compression = COMPRESSION_LZW;
        out.push_back(be);
    }
    return out;
}

/// Every case of matrix() in one test (one process instead of ~75 under ctest).
TEST(TiffStackMatrix, ReadsEveryVoxelAndDescribesTheLayout)
{
    ScratchDir dir;
    for (const FixtureSpec& s : matrix()) {
        SCOPED_TRACE(fixtureName(s));
        const auto path = dir / (fixtureName(s) + ".tif");
        writeFixture(path, s);
        auto stack = TiffStack::open(path);
        const StackInfo& in = stack->info();
        EXPECT_EQ(in.shape, (Shape{s.pages, s.height, s.width}));
        EXPECT_EQ(in.dtype, s.dtype);
        EXPECT_EQ(in.tiled, s.tiled);
        EXPECT_EQ(in.bigTiff, s.bigTiff);
        EXPECT_EQ(in.fileBytes, std::filesystem::file_size(path));
        const char* expectedCompression = s.compression == COMPRESSION_NONE       ? "none"
                                          : s.compression == COMPRESSION_LZW      ? "lzw"
                                          : s.compression == COMPRESSION_PACKBITS ? "packbits"
                                                                                  : "deflate";
        EXPECT_EQ(in.compression, expectedCompression);
        // Uncompressed striped pages in native order are served straight from the memory map.
        const bool mappable = s.compression == COMPRESSION_NONE && !s.tiled && !s.bigEndian;
        EXPECT_EQ(stack->mappedSlice(1) != nullptr, mappable);
        expectStackMatches(*stack, s);
    }
    EXPECT_EQ(matrix().size(), 75u);
}

TEST(TiffStack, SinglePageIsOneSliceStack)
{
    ScratchDir dir;
    FixtureSpec s;
    s.pages = 1;
    s.dtype = DType::U16;
    writeFixture(dir / "one.tif", s);
    auto stack = TiffStack::open(dir / "one.tif");
    EXPECT_EQ(stack->info().shape.depth, 1);
    expectStackMatches(*stack, s);
}

TEST(TiffStack, ImageJSingleIfdStackShowsAllItsSlices)
{
    // ImageJ's layout for stacks over 4 GB: one IFD, "images=N", N slices back to back.
    ScratchDir dir;
    FixtureSpec s;
    s.pages = 1;
    s.dtype = DType::U16;
    s.rowsPerStrip = 0xFFFFFFFFu;
    s.description = "ImageJ=1.53t\nimages=3\nslices=3\nloop=false\n";
    const auto path = dir / "ij-big.tif";
    writeFixture(path, s);
    auto bytes = readBytes(path);
    const std::size_t dataAt = bytes.size();
    for (int z = 0; z < 3; ++z)
        for (int y = 0; y < s.height; ++y)
            for (int x = 0; x < s.width; ++x) {
                const auto v = static_cast<std::uint16_t>(fixtureValue(s.dtype, z, y, x));
                bytes.push_back(static_cast<std::uint8_t>(v));
                bytes.push_back(static_cast<std::uint8_t>(v >> 8));
            }
    writeBytes(path, bytes);
    ASSERT_TRUE(patchTag(path, 0, TIFFTAG_STRIPOFFSETS, static_cast<std::uint32_t>(dataAt)));
    auto stack = TiffStack::open(path);
    s.pages = 3;
    EXPECT_EQ(stack->info().shape.depth, 3);
    expectStackMatches(*stack, s);

    // Cut short: the promise of 3 images is not kept, so only the real page is shown.
    bytes = readBytes(path);
    bytes.resize(bytes.size() - 10);
    writeBytes(path, bytes);
    EXPECT_EQ(TiffStack::open(path)->info().shape.depth, 1);
}

TEST(TiffStack, MappedSliceHoldsTheSliceBytes)
{
    ScratchDir dir;
    FixtureSpec s;
    writeFixture(dir / "s.tif", s);
    auto stack = TiffStack::open(dir / "s.tif");
    const auto* p = static_cast<const std::uint8_t*>(stack->mappedSlice(2));
    ASSERT_NE(p, nullptr);
    for (int y = 0; y < s.height; ++y)
        for (int x = 0; x < s.width; ++x)
            ASSERT_EQ(p[y * s.width + x], fixtureValue(DType::U8, 2, y, x));
}

TEST(TiffStack, SpacingFromImageJDescription)
{
    ScratchDir dir;
    FixtureSpec s;
    s.description = "ImageJ=1.53t\nimages=3\nslices=3\nunit=micron\nspacing=0.03\nloop=false\n";
    s.xResolution = 200;  // 0.005 um per pixel
    s.yResolution = 125;
    s.resolutionUnit = RESUNIT_NONE;
    writeFixture(dir / "ij.tif", s);
    const Spacing sp = TiffStack::open(dir / "ij.tif")->info().spacing;
    EXPECT_EQ(sp.unit, "um");
    EXPECT_NEAR(sp.x, 0.005, 1e-9);
    EXPECT_NEAR(sp.y, 0.008, 1e-9);
    EXPECT_NEAR(sp.z, 0.03, 1e-12);
}

TEST(TiffStack, SpacingFromResolutionUnitCentimetre)
{
    ScratchDir dir;
    FixtureSpec s;
    s.xResolution = 20000;  // pixels per cm -> 0.5 um
    s.yResolution = 20000;
    s.resolutionUnit = RESUNIT_CENTIMETER;
    writeFixture(dir / "cm.tif", s);
    const Spacing sp = TiffStack::open(dir / "cm.tif")->info().spacing;
    EXPECT_EQ(sp.unit, "um");
    EXPECT_NEAR(sp.x, 0.5, 1e-9);
    EXPECT_NEAR(sp.y, 0.5, 1e-9);
}

TEST(TiffStack, UncalibratedStackHasPixelSpacing)
{
    ScratchDir dir;
    FixtureSpec s;
    s.xResolution = 1;
    s.yResolution = 1;
    s.resolutionUnit = RESUNIT_NONE;
    writeFixture(dir / "px.tif", s);
    EXPECT_EQ(TiffStack::open(dir / "px.tif")->info().spacing, Spacing{});
}

TEST(TiffStack, ConcurrentReadsOfCompressedAndRawStacksAgree)
{
    ScratchDir dir;
    for (std::uint16_t c : {COMPRESSION_NONE, COMPRESSION_ADOBE_DEFLATE}) {
        FixtureSpec s;
        s.pages = 12;
        s.compression = c;
        s.dtype = DType::U16;
        writeFixture(dir / "c.tif", s);
        auto stack = TiffStack::open(dir / "c.tif");
        std::atomic<int> mismatches{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t)
            threads.emplace_back([&, t] {
                std::vector<std::uint16_t> slice(static_cast<std::size_t>(s.width) * s.height);
                for (int round = 0; round < 20; ++round) {
                    const int z = (round * 5 + t * 3) % s.pages;
                    stack->readSlice(z, slice.data());
                    for (int i = 0; i < s.width * s.height; ++i)
                        if (slice[i] != fixtureValue(s.dtype, z, i / s.width, i % s.width))
                            ++mismatches;
                }
            });
        for (auto& th : threads)
            th.join();
        EXPECT_EQ(mismatches.load(), 0) << "compression " << c;
    }
}

TEST(TiffStack, ReadAllReportsProgressAndHonoursCancel)
{
    ScratchDir dir;
    FixtureSpec s;
    s.pages = 6;
    writeFixture(dir / "p.tif", s);
    auto stack = TiffStack::open(dir / "p.tif");
    std::vector<double> done;
    FunctionProgress sink([&](double d, double total, const std::string&) {
        done.push_back(d);
        EXPECT_EQ(total, 6);
    });
    stack->readAll<std::uint8_t>(&sink);
    EXPECT_EQ(done, (std::vector<double>{1, 2, 3, 4, 5, 6}));

    CancelToken cancel;
    FunctionProgress canceller([&](double d, double, const std::string&) {
        if (d >= 2)
            cancel.cancel();
    });
    EXPECT_THROW(stack->readAll<std::uint8_t>(&canceller, &cancel), Cancelled);
}

TEST(TiffStack, ReadAllWithWrongTypeIsUnsupported)
{
    ScratchDir dir;
    writeFixture(dir / "u8.tif", FixtureSpec{});
    try {
        readStackU16(dir / "u8.tif");
        FAIL() << "expected IoError";
    } catch (const IoError& e) {
        EXPECT_EQ(e.kind(), IoError::Kind::Unsupported);
        EXPECT_NE(std::string(e.what()).find("uint8"), std::string::npos) << e.what();
    }
    EXPECT_NO_THROW(readStackU8(dir / "u8.tif"));
}

TEST(TiffStack, SliceIndexOutOfRangeIsAnError)
{
    ScratchDir dir;
    writeFixture(dir / "u8.tif", FixtureSpec{});
    auto stack = TiffStack::open(dir / "u8.tif");
    std::vector<std::uint8_t> buf(37 * 23);
    EXPECT_THROW(stack->readSlice(3, buf.data()), IoError);
    EXPECT_THROW(stack->readSlice(-1, buf.data()), IoError);
}

TEST(TiffStack, ReadLabelsBinarizesOrRejectsWideValues)
{
    ScratchDir dir;
    FixtureSpec s;
    s.dtype = DType::U16;  // values up to 65520: not labels unless binarized
    writeFixture(dir / "l.tif", s);
    EXPECT_THROW(readLabels(dir / "l.tif", false), IoError);
    VolumeU8 bin = readLabels(dir / "l.tif", true);
    for (int z = 0; z < s.pages; ++z)
        for (int y = 0; y < s.height; ++y)
            for (int x = 0; x < s.width; ++x)
                ASSERT_EQ(bin(z, y, x), fixtureValue(s.dtype, z, y, x) != 0 ? 1 : 0);

    FixtureSpec u8;
    writeFixture(dir / "u8.tif", u8);
    VolumeU8 raw = readLabels(dir / "u8.tif", false);
    EXPECT_EQ(raw(1, 2, 3), fixtureValue(DType::U8, 1, 2, 3));
    EXPECT_EQ(readLabels(dir / "u8.tif", true)(1, 2, 3), 1);
}

}  // namespace

namespace {

/// Resident kilobytes of this process's mappings of `file` (/proc/self/smaps).
long residentKbOfFile(const std::filesystem::path& file)
{
    std::ifstream smaps("/proc/self/smaps");
    const std::string name = std::filesystem::canonical(file).string();
    std::string line;
    bool inFile = false;
    long kb = 0;
    while (std::getline(smaps, line)) {
        if (!line.empty() && std::isxdigit(static_cast<unsigned char>(line[0])) && line.find('-') != std::string::npos &&
            line.find(' ') > line.find('-')) {
            inFile = line.size() >= name.size() && line.compare(line.size() - name.size(), name.size(), name) == 0;
        } else if (inFile && line.rfind("Rss:", 0) == 0) {
            kb += std::stol(line.substr(4));
        }
    }
    return kb;
}

}  // namespace

// Reading a stack slice by slice (evaluate, predict, the studio) or a line of every slice (the
// studio's XZ/YZ views) must not leave the file's pages in the resident set: it would grow
// with the stack. Slices of 256 x 256 bytes, so many per fault-around window.
TEST(TiffStack, ReadingSliceBySliceLeavesNoFilePagesResident)
{
    test::ScratchDir dir;
    VolumeU8 v(Shape{300, 256, 256});
    for (std::size_t i = 0; i < v.values().size(); ++i)
        v.values()[i] = static_cast<std::uint8_t>(i * 2654435761u >> 24);
    writeStack(dir / "s.tif", v);
    auto stack = TiffStack::open(dir / "s.tif");
    std::vector<std::uint8_t> slice(256 * 256);
    for (std::int64_t z = 0; z < 300; ++z) {
        stack->readSlice(z, slice.data());
        ASSERT_EQ(std::memcmp(slice.data(), v.slice(z), slice.size()), 0);
    }
    EXPECT_LE(residentKbOfFile(dir / "s.tif"), 256) << "after reading 300 slices of 64 KiB";
    std::uint64_t sum = 0;
    for (std::int64_t z = 0; z < 300; ++z) {   // a column of every slice, as the YZ view reads it
        const auto* p = static_cast<const std::uint8_t*>(stack->mappedSlice(z));
        ASSERT_NE(p, nullptr);
        for (int y = 0; y < 256; ++y)
            sum += p[y * 256 + 17];
        stack->releaseMappedSlice(z);
    }
    EXPECT_GT(sum, 0u);
    EXPECT_LE(residentKbOfFile(dir / "s.tif"), 256) << "after reading a column of each of 300 slices";
}

}  // namespace mitoseg::test
