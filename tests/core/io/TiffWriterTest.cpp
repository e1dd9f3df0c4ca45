// Writer: round trips of every dtype and compression, spacing, BigTIFF, masks, and the
// atomic temp-file-then-rename contract.
#include <gtest/gtest.h>

#include <random>

#include "../base/TestSupport.h"
#include "TiffFixtures.h"
#include "core/io/TiffStack.h"
#include "core/io/TiffWriter.h"

namespace mitoseg::test {
namespace {

template <class T>
Volume<T> randomVolume(Shape shape, unsigned seed)
{
    Volume<T> v(shape);
    std::mt19937 rng(seed);
    for (auto& x : v.values()) {
        if constexpr (std::is_same_v<T, float>)
            x = std::uniform_real_distribution<float>(-1e3f, 1e3f)(rng);
        else
            x = static_cast<T>(rng() % (std::is_same_v<T, std::uint8_t> ? 7 : 65536));  // runs for packbits
    }
    return v;
}

template <class T>
void roundTrip(TiffCompression c, bool bigTiff)
{
    ScratchDir dir;
    Volume<T> v = randomVolume<T>({5, 33, 70}, 7);
    v.spacing = {30.0, 4.0, 5.0, "nm"};
    TiffWriteOptions o;
    o.compression = c;
    o.forceBigTiff = bigTiff;
    writeStack(dir / "out.tif", v, o);
    auto stack = TiffStack::open(dir / "out.tif");
    EXPECT_EQ(stack->info().bigTiff, bigTiff);
    EXPECT_EQ(stack->info().dtype, DTypeOf<T>::value);
    Volume<T> back = stack->template readAll<T>();
    EXPECT_EQ(back.shape(), v.shape());
    EXPECT_TRUE(back.values() == v.values());
    EXPECT_EQ(back.spacing.unit, "nm");
    EXPECT_NEAR(back.spacing.x, 5.0, 1e-5);
    EXPECT_NEAR(back.spacing.y, 4.0, 1e-5);
    EXPECT_DOUBLE_EQ(back.spacing.z, 30.0);
}

TEST(TiffWriter, RoundTripsEveryTypeAndCompression)
{
    for (TiffCompression c : {TiffCompression::None, TiffCompression::Lzw, TiffCompression::Deflate, TiffCompression::PackBits}) {
        SCOPED_TRACE(static_cast<int>(c));
        roundTrip<std::uint8_t>(c, false);
        roundTrip<std::uint16_t>(c, false);
        roundTrip<float>(c, false);
    }
}

TEST(TiffWriter, ForcedBigTiffRoundTrips)
{
    roundTrip<std::uint8_t>(TiffCompression::None, true);
    roundTrip<std::uint16_t>(TiffCompression::Deflate, true);
    roundTrip<float>(TiffCompression::Lzw, true);
}

TEST(TiffWriter, CompressionIsRecordedAndShrinksSmoothData)
{
    ScratchDir dir;
    VolumeU8 v({4, 64, 64});
    for (std::int64_t z = 0; z < 4; ++z)
        for (std::int64_t y = 0; y < 64; ++y)
            for (std::int64_t x = 0; x < 64; ++x)
                v(z, y, x) = static_cast<std::uint8_t>(x + y);
    writeStack(dir / "raw.tif", v);
    writeStack(dir / "lzw.tif", v, {TiffCompression::Lzw});
    writeStack(dir / "zip.tif", v, {TiffCompression::Deflate});
    EXPECT_EQ(TiffStack::open(dir / "raw.tif")->info().compression, "none");
    EXPECT_EQ(TiffStack::open(dir / "lzw.tif")->info().compression, "lzw");
    EXPECT_EQ(TiffStack::open(dir / "zip.tif")->info().compression, "deflate");
    EXPECT_LT(std::filesystem::file_size(dir / "zip.tif"), std::filesystem::file_size(dir / "raw.tif") / 4);
    EXPECT_LT(std::filesystem::file_size(dir / "lzw.tif"), std::filesystem::file_size(dir / "raw.tif") / 2);
}

TEST(TiffWriter, PixelSpacingStaysUncalibrated)
{
    ScratchDir dir;
    VolumeU8 v({2, 8, 8}, 3);
    writeStack(dir / "px.tif", v);
    EXPECT_EQ(TiffStack::open(dir / "px.tif")->info().spacing, Spacing{});
}

TEST(TiffWriter, SingleSliceRoundTrips)
{
    ScratchDir dir;
    VolumeU16 v = randomVolume<std::uint16_t>({1, 9, 11}, 3);
    v.spacing = {1.0, 0.5, 0.5, "um"};
    writeStack(dir / "one.tif", v);
    VolumeU16 back = readStackU16(dir / "one.tif");
    EXPECT_EQ(back.shape(), v.shape());
    EXPECT_TRUE(back.values() == v.values());
    EXPECT_EQ(back.spacing.unit, "um");
    EXPECT_NEAR(back.spacing.x, 0.5, 1e-6);
}

TEST(TiffWriter, BinaryMaskIsWrittenAs0And255)
{
    ScratchDir dir;
    VolumeU8 labels({3, 10, 12});
    for (std::size_t i = 0; i < labels.values().size(); ++i)
        labels.values()[i] = (i % 3) == 0;
    writeMask(dir / "mask.tif", labels);
    VolumeU8 raw = readStackU8(dir / "mask.tif");
    for (std::size_t i = 0; i < raw.values().size(); ++i)
        ASSERT_EQ(raw.values()[i], labels.values()[i] ? 255 : 0) << i;
    EXPECT_TRUE(readLabels(dir / "mask.tif", true).values() == labels.values());

    VolumeU8 multi = labels;
    multi.values()[1] = 2;  // three classes: written as raw labels
    writeMask(dir / "multi.tif", multi);
    EXPECT_TRUE(readStackU8(dir / "multi.tif").values() == multi.values());
}

/// A progress sink that fails the job after `after` slices.
class FailingSink final : public ProgressSink {
public:
    explicit FailingSink(double after) : after_(after) {}
    void progress(double done, double, const std::string&) override
    {
        if (done >= after_)
            throw std::runtime_error("disk on fire");
    }

private:
    double after_;
};

TEST(TiffWriter, FailureMidWriteLeavesTheOldFileUntouchedAndNoTemp)
{
    ScratchDir dir;
    VolumeU8 old({2, 8, 8}, 42);
    writeStack(dir / "target.tif", old);
    const auto before = readBytes(dir / "target.tif");

    VolumeU8 next({6, 32, 32}, 7);
    FailingSink sink(3);
    EXPECT_THROW(writeStack(dir / "target.tif", next, {}, &sink), std::runtime_error);
    EXPECT_EQ(readBytes(dir / "target.tif"), before);
    int entries = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
        ++entries;
        EXPECT_EQ(e.path().filename(), "target.tif") << "left behind: " << e.path();
    }
    EXPECT_EQ(entries, 1);
    // The successful rewrite replaces it and also leaves no temp file.
    writeStack(dir / "target.tif", next);
    EXPECT_TRUE(readStackU8(dir / "target.tif").values() == next.values());
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), std::filesystem::directory_iterator()), 1);
}

TEST(TiffWriter, UnwritablePlaceIsWriteFailedNamingTheFile)
{
    ScratchDir dir;
    VolumeU8 v({1, 4, 4});
    for (const auto& target : {dir / "no-such-dir" / "x.tif", dir / "file.tif" / "x.tif"}) {
        if (target.parent_path().filename() == "file.tif")
            writeStack(dir / "file.tif", v);  // a regular file where a directory is expected
        try {
            writeStack(target, v);
            ADD_FAILURE() << "no error for " << target;
        } catch (const IoError& e) {
            EXPECT_EQ(e.kind(), IoError::Kind::WriteFailed);
            EXPECT_NE(std::string(e.what()).find(target.string()), std::string::npos) << e.what();
        }
    }
}

TEST(TiffWriter, EmptyVolumeIsRejected)
{
    ScratchDir dir;
    EXPECT_THROW(writeStack(dir / "e.tif", VolumeU8{}), IoError);
    EXPECT_FALSE(std::filesystem::exists(dir / "e.tif"));
}

}  // namespace
}  // namespace mitoseg::test
