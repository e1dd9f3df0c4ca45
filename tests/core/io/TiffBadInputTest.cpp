// Bad input must give a typed IoError naming the file and page, never a crash or a huge
// allocation.
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "../base/TestSupport.h"
#include "TiffFixtures.h"
#include "core/io/ImageJMetadata.h"
#include "core/io/TiffStack.h"

namespace mitoseg::test {
namespace {

using Kind = IoError::Kind;

/// Opens and reads `path`; expects an IoError of `kind` on `page` whose message names the file
/// (and the page when page >= 0).
void expectIoError(const std::filesystem::path& path, Kind kind, std::int64_t page, const std::string& words = {})
{
    try {
        auto stack = TiffStack::open(path);
        std::vector<float> slice(static_cast<std::size_t>(stack->info().shape.sliceVoxels()));
        for (std::int64_t z = 0; z < stack->info().shape.depth; ++z)
            stack->readSliceF32(z, slice.data());
        ADD_FAILURE() << "no error for " << path;
    } catch (const IoError& e) {
        const std::string msg = e.what();
        EXPECT_EQ(static_cast<int>(e.kind()), static_cast<int>(kind)) << msg;
        EXPECT_EQ(e.page(), page) << msg;
        EXPECT_EQ(e.path(), path);
        EXPECT_NE(msg.find(path.filename().string()), std::string::npos) << msg;
        if (page >= 0) {
            EXPECT_NE(msg.find("page " + std::to_string(page)), std::string::npos) << msg;
        }
        if (!words.empty()) {
            EXPECT_NE(msg.find(words), std::string::npos) << msg;
        }
    }
}

TEST(TiffBadInput, TextFileIsNotTiff)
{
    ScratchDir dir;
    std::ofstream(dir / "notes.tif") << "these are not the pixels you are looking for\n";
    expectIoError(dir / "notes.tif", Kind::NotTiff, -1, "not a TIFF");
}

TEST(TiffBadInput, EmptyAndTinyFilesAreNotTiff)
{
    ScratchDir dir;
    writeBytes(dir / "empty.tif", {});
    expectIoError(dir / "empty.tif", Kind::NotTiff, -1);
    writeBytes(dir / "tiny.tif", {'I', 'I', 42});
    expectIoError(dir / "tiny.tif", Kind::NotTiff, -1);
    writeBytes(dir / "version.tif", {'I', 'I', 41, 0, 8, 0, 0, 0});
    expectIoError(dir / "version.tif", Kind::NotTiff, -1);
}

TEST(TiffBadInput, ZeroPagesIsEmpty)
{
    ScratchDir dir;
    writeBytes(dir / "nopages.tif", {'I', 'I', 42, 0, 0, 0, 0, 0, 0, 0, 0, 0});
    expectIoError(dir / "nopages.tif", Kind::Empty, -1, "no pages");
}

TEST(TiffBadInput, MissingPathAndDirectoryAreUnreadable)
{
    ScratchDir dir;
    expectIoError(dir / "missing.tif", Kind::Unreadable, -1, "No such file");
    std::filesystem::create_directory(dir / "folder.tif");
    expectIoError(dir / "folder.tif", Kind::Unreadable, -1, "directory");
}

TEST(TiffBadInput, FifoAndDeviceAreUnreadableWithoutBlocking)
{
    ScratchDir dir;
    ASSERT_EQ(::mkfifo((dir / "pipe.tif").c_str(), 0600), 0);
    expectIoError(dir / "pipe.tif", Kind::Unreadable, -1, "not a regular file");
    expectIoError("/dev/zero", Kind::Unreadable, -1, "not a regular file");
}

TEST(TiffBadInput, TruncatedFileNamesTheFirstMissingPage)
{
    ScratchDir dir;
    FixtureSpec s;
    s.pages = 4;
    s.rowsPerStrip = 0xFFFFFFFFu;
    writeFixture(dir / "cut.tif", s);
    // libtiff writes each page's pixels, then its directory: cutting inside page 2's pixels
    // loses directories 2 and 3.
    auto bytes = readBytes(dir / "cut.tif");
    const std::size_t perPage = bytes.size() / 4;
    bytes.resize(2 * perPage + perPage / 2);
    writeBytes(dir / "cut.tif", bytes);
    expectIoError(dir / "cut.tif", Kind::Truncated, 2, "truncated");
}

TEST(TiffBadInput, StripBeyondEndOfFileIsTruncated)
{
    ScratchDir dir;
    FixtureSpec s;
    s.rowsPerStrip = 0xFFFFFFFFu;
    writeFixture(dir / "strip.tif", s);
    ASSERT_TRUE(patchTag(dir / "strip.tif", 1, TIFFTAG_STRIPOFFSETS, 50'000'000));
    expectIoError(dir / "strip.tif", Kind::Truncated, 1, "beyond the end of the file");
}

TEST(TiffBadInput, PagesOfDifferentSizeAreInconsistent)
{
    ScratchDir dir;
    FixtureSpec s;
    s.rowsPerStrip = 0xFFFFFFFFu;
    writeFixture(dir / "sizes.tif", s);
    ASSERT_TRUE(patchTag(dir / "sizes.tif", 2, TIFFTAG_IMAGEWIDTH, 30));
    expectIoError(dir / "sizes.tif", Kind::Inconsistent, 2, "30 x 23");
}

TEST(TiffBadInput, PagesOfDifferentTypeAreInconsistent)
{
    ScratchDir dir;
    FixtureSpec a;
    a.pages = 1;
    writeFixture(dir / "a.tif", a);
    // Build a two-page file: u8 page then u16 page, with libtiff.
    TIFF* tif = TIFFOpen((dir / "types.tif").c_str(), "w");
    ASSERT_NE(tif, nullptr);
    for (int bits : {8, 16}) {
        TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, 8);
        TIFFSetField(tif, TIFFTAG_IMAGELENGTH, 8);
        TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, bits);
        TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, 1);
        TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
        std::vector<std::uint8_t> px(static_cast<std::size_t>(8 * 8 * bits / 8), 7);
        ASSERT_GE(TIFFWriteEncodedStrip(tif, 0, px.data(), static_cast<tmsize_t>(px.size())), 0);
        ASSERT_TRUE(TIFFWriteDirectory(tif));
    }
    TIFFClose(tif);
    expectIoError(dir / "types.tif", Kind::Inconsistent, 1, "uint16");
}

/// Writes a one-page 8x8 image with the given photometric/samples/bits/format.
void writeOdd(const std::filesystem::path& path, int pages, std::uint16_t photometric, std::uint16_t spp,
              std::uint16_t bits, std::uint16_t format)
{
    TIFF* tif = TIFFOpen(path.c_str(), "w");
    ASSERT_NE(tif, nullptr);
    for (int p = 0; p < pages; ++p) {
        const bool odd = p == pages - 1;
        TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, 8);
        TIFFSetField(tif, TIFFTAG_IMAGELENGTH, 8);
        TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, odd ? bits : 8);
        TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, odd ? spp : 1);
        TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT, odd ? format : SAMPLEFORMAT_UINT);
        TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, odd ? photometric : PHOTOMETRIC_MINISBLACK);
        TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
        if (odd && photometric == PHOTOMETRIC_PALETTE) {
            std::vector<std::uint16_t> map(std::size_t{1} << bits, 0);
            TIFFSetField(tif, TIFFTAG_COLORMAP, map.data(), map.data(), map.data());
        }
        const std::size_t bytes = static_cast<std::size_t>(8 * ((8 * (odd ? bits : 8) * (odd ? spp : 1) + 7) / 8));
        std::vector<std::uint8_t> px(bytes, 1);
        ASSERT_GE(TIFFWriteEncodedStrip(tif, 0, px.data(), static_cast<tmsize_t>(px.size())), 0);
        ASSERT_TRUE(TIFFWriteDirectory(tif));
    }
    TIFFClose(tif);
}

TEST(TiffBadInput, ColourPaletteAndOddSampleTypesAreUnsupported)
{
    ScratchDir dir;
    struct Case {
        const char* name;
        int pages;
        std::uint16_t photometric, spp, bits, format;
        const char* words;
    };
    const Case cases[] = {
        {"rgb.tif", 1, PHOTOMETRIC_RGB, 3, 8, SAMPLEFORMAT_UINT, "RGB"},
        {"rgb-page2.tif", 3, PHOTOMETRIC_RGB, 3, 8, SAMPLEFORMAT_UINT, "RGB"},
        {"palette.tif", 2, PHOTOMETRIC_PALETTE, 1, 8, SAMPLEFORMAT_UINT, "palette"},
        {"twochannel.tif", 1, PHOTOMETRIC_MINISBLACK, 2, 8, SAMPLEFORMAT_UINT, "samples per pixel"},
        {"bilevel.tif", 1, PHOTOMETRIC_MINISBLACK, 1, 1, SAMPLEFORMAT_UINT, "1-bit"},
        {"int16.tif", 2, PHOTOMETRIC_MINISBLACK, 1, 16, SAMPLEFORMAT_INT, "signed 16-bit"},
        {"uint32.tif", 1, PHOTOMETRIC_MINISBLACK, 1, 32, SAMPLEFORMAT_UINT, "32-bit samples"},
        {"uint12.tif", 1, PHOTOMETRIC_MINISBLACK, 1, 12, SAMPLEFORMAT_UINT, "12-bit"},
        {"float64.tif", 1, PHOTOMETRIC_MINISBLACK, 1, 64, SAMPLEFORMAT_IEEEFP, "64-bit floating"},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.name);
        writeOdd(dir / c.name, c.pages, c.photometric, c.spp, c.bits, c.format);
        expectIoError(dir / c.name, Kind::Unsupported, c.pages - 1, c.words);
    }
}

TEST(TiffBadInput, AbsurdDimensionsAreRejected)
{
    ScratchDir dir;
    FixtureSpec s;
    s.pages = 1;
    s.width = s.height = 8;
    s.rowsPerStrip = 0xFFFFFFFFu;
    writeFixture(dir / "huge.tif", s);
    ASSERT_TRUE(patchTag(dir / "huge.tif", 0, TIFFTAG_IMAGEWIDTH, 60000));
    ASSERT_TRUE(patchTag(dir / "huge.tif", 0, TIFFTAG_IMAGELENGTH, 60000));
    expectIoError(dir / "huge.tif", Kind::Unsupported, 0, "absurd");
}

/// Runs open + full read of `path` in a child process whose address space is capped at what
/// it already uses plus 256 MiB. Returns 0 when the reader threw IoError, 1 when it read the
/// file, 2 on bad_alloc (it tried to allocate far too much), 3 on any other exception.
int readUnderMemoryCap(const std::filesystem::path& path)
{
    const pid_t pid = ::fork();
    if (pid == 0) {
        std::ifstream status("/proc/self/status");
        std::string key;
        long long kb = 0;
        while (status >> key)
            if (key == "VmSize:") {
                status >> kb;
                break;
            }
        rlimit lim{};
        lim.rlim_cur = lim.rlim_max = static_cast<rlim_t>(kb + 256 * 1024) * 1024;
        ::setrlimit(RLIMIT_AS, &lim);
        int code = 3;
        try {
            auto stack = TiffStack::open(path);
            stack->readAll<std::uint8_t>();
            code = 1;
        } catch (const IoError&) {
            code = 0;
        } catch (const std::bad_alloc&) {
            code = 2;
        } catch (...) {
            code = 3;
        }
        ::_exit(code);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

TEST(TiffBadInput, LyingHeaderInTinyFileDoesNotAllocateGigabytes)
{
    ScratchDir dir;
    for (std::uint16_t c : {COMPRESSION_NONE, COMPRESSION_ADOBE_DEFLATE, COMPRESSION_LZW, COMPRESSION_PACKBITS}) {
        FixtureSpec s;
        s.pages = 2;
        s.width = s.height = 16;
        s.compression = c;
        s.rowsPerStrip = 0xFFFFFFFFu;
        const auto path = dir / ("liar" + std::to_string(c) + ".tif");
        writeFixture(path, s);
        // 40000 x 40000 = 1.6 GB per slice claimed by a file of a few hundred bytes.
        for (int page : {0, 1}) {
            ASSERT_TRUE(patchTag(path, page, TIFFTAG_IMAGEWIDTH, 40000));
            ASSERT_TRUE(patchTag(path, page, TIFFTAG_IMAGELENGTH, 40000));
        }
        SCOPED_TRACE(path.filename().string());
        expectIoError(path, c == COMPRESSION_NONE ? Kind::Truncated : Kind::Corrupt, 0);
        EXPECT_EQ(readUnderMemoryCap(path), 0);
    }
}

TEST(TiffBadInput, CorruptCompressedDataFailsOnReadNamingThePage)
{
    ScratchDir dir;
    FixtureSpec s;
    s.pages = 3;
    s.compression = COMPRESSION_LZW;
    s.rowsPerStrip = 0xFFFFFFFFu;
    s.width = s.height = 64;
    writeFixture(dir / "garbled.tif", s);
    // Overwrite page 1's compressed strip with noise.
    auto bytes = readBytes(dir / "garbled.tif");
    auto stack = TiffStack::open(dir / "garbled.tif");
    stack.reset();
    // Find page 1's strip by reading its offset through libtiff.
    TIFF* tif = TIFFOpen((dir / "garbled.tif").c_str(), "r");
    ASSERT_NE(tif, nullptr);
    ASSERT_TRUE(TIFFSetDirectory(tif, 1));
    const std::uint64_t off = TIFFGetStrileOffset(tif, 0);
    const std::uint64_t len = TIFFGetStrileByteCount(tif, 0);
    TIFFClose(tif);
    for (std::uint64_t i = 0; i < len; ++i)
        bytes[off + i] = static_cast<std::uint8_t>(0xFF - i * 13);
    writeBytes(dir / "garbled.tif", bytes);
    expectIoError(dir / "garbled.tif", Kind::Corrupt, 1, "cannot decode");
}

}  // namespace
}  // namespace mitoseg::test

namespace mitoseg::test {
namespace {

// Issue #13 item 8: a calibrated stack whose voxel size is zero, negative or not a number is
// refused with the value named, instead of silently becoming 1 (nm).
TEST(TiffBadInput, ZeroNegativeOrNaNVoxelSizeIsRefused)
{
    ScratchDir dir;
    for (const char* z : {"0", "-5", "nan", "abc", "5abc", "5 nm", "1,5", "0x10", "inf", "5.0.1"}) {
        FixtureSpec s;
        s.description = std::string("ImageJ=1.11a\nimages=3\nslices=3\nunit=nm\nspacing=") + z + "\n";
        s.xResolution = 0.2f;
        s.yResolution = 0.2f;
        writeFixture(dir / "z.tif", s);
        expectIoError(dir / "z.tif", Kind::Inconsistent, 0, std::string("spacing=") + z);
    }
    // libtiff refuses to write a zero or negative resolution; a file can still hold 0/1.
    ResolutionTags zero;
    zero.xResolution = 0.0;
    zero.yResolution = 0.2;
    zero.unit = 3;
    EXPECT_THROW(parseSpacing("", zero), Error);
    zero.xResolution = std::nan("");
    EXPECT_THROW(parseSpacing("", zero), Error);
    // Uncalibrated stacks ignore their resolution tags, as ImageJ does.
    zero.unit = 1;
    EXPECT_EQ(parseSpacing("", zero).unit, "px");
    // A well-calibrated stack still opens with its spacing.
    FixtureSpec x;
    x.description = "ImageJ=1.11a\nimages=3\nslices=3\nunit=nm\nspacing=5\n";
    x.xResolution = 0.2f;
    x.yResolution = 0.2f;
    writeFixture(dir / "ok.tif", x);
    const Spacing sp = TiffStack::open(dir / "ok.tif")->info().spacing;
    EXPECT_DOUBLE_EQ(sp.z, 5.0);
    EXPECT_DOUBLE_EQ(sp.x, 5.0);
    EXPECT_EQ(sp.unit, "nm");
    // Blanks around the number, an exponent and a leading + are still numbers.
    ResolutionTags tags;
    tags.xResolution = 0.2;
    tags.yResolution = 0.2;
    for (const auto& [text, value] : std::vector<std::pair<std::string, double>>{{" 2.5 ", 2.5}, {"3e1", 30.0}, {"+0.03", 0.03}}) {
        const Spacing parsed = parseSpacing("ImageJ=1.11a\nunit=nm\nspacing=" + text + "\n", tags);
        EXPECT_DOUBLE_EQ(parsed.z, value) << text;
    }
}

}  // namespace
}  // namespace mitoseg::test
