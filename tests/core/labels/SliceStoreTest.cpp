#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <optional>
#include <string>

#include <unistd.h>
#include <random>
#include <stdexcept>
#include <thread>

#include "core/labels/SliceStore.h"
#include "core/labels/SliceStoreIo.h"

using mitoseg::Shape;
using mitoseg::VolumeU8;
using namespace mitoseg::labels;

namespace {

/// Discs of label 1..classes on a background, like a mitochondria mask.
VolumeU8 blobs(Shape s, int classes, unsigned seed, int emptyEvery = 3)
{
    VolumeU8 v(s, 0);
    std::mt19937 rng(seed);
    for (std::int64_t z = 0; z < s.depth; ++z) {
        if (emptyEvery > 0 && z % emptyEvery == 0)
            continue;   // an all-background slice
        for (int b = 0; b < 6; ++b) {
            const std::int64_t cx = rng() % s.width, cy = rng() % s.height, r = 2 + rng() % 9;
            const auto value = static_cast<std::uint8_t>(1 + rng() % classes);
            for (std::int64_t y = std::max<std::int64_t>(0, cy - r); y < std::min(s.height, cy + r + 1); ++y)
                for (std::int64_t x = std::max<std::int64_t>(0, cx - r); x < std::min(s.width, cx + r + 1); ++x)
                    if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r)
                        v(z, y, x) = value;
        }
    }
    return v;
}

}  // namespace

TEST(SliceStore, RleRoundTripsLongRunsAndRejectsBadChunks)
{
    std::vector<std::uint8_t> data(100000, 0);
    std::fill(data.begin() + 10, data.begin() + 70000, 7);   // a run needing a 3-byte varint
    data[99999] = 255;
    const auto enc = encodeSliceRle(data.data(), data.size());
    EXPECT_LT(enc.size(), 16u);
    std::vector<std::uint8_t> back(data.size(), 1);
    decodeSliceRle(enc.data(), enc.size(), back.data(), back.size());
    EXPECT_EQ(back, data);
    EXPECT_THROW(decodeSliceRle(enc.data(), enc.size(), back.data(), back.size() - 1), std::runtime_error);
    EXPECT_THROW(decodeSliceRle(enc.data(), enc.size() - 1, back.data(), back.size()), std::runtime_error);
}

TEST(SliceStore, RoundTripsAVolumeAndKeepsEmptySlicesSparse)
{
    const Shape s{9, 40, 50};
    const VolumeU8 v = blobs(s, 3, 1);
    SliceStore store = SliceStore::fromVolume(v);
    EXPECT_EQ(store.toVolume().values(), v.values());
    EXPECT_TRUE(store.sliceEmpty(0));
    EXPECT_TRUE(store.sliceEmpty(3));
    EXPECT_FALSE(store.sliceEmpty(1));
    EXPECT_EQ(store.stats().nonEmptySlices, 6);
    // Encoded far below the raw bytes.
    EXPECT_LT(store.stats().encodedBytes, static_cast<std::size_t>(v.shape().voxels()) / 4);

    for (std::int64_t z = 0; z < s.depth; ++z)
        for (std::int64_t y = 0; y < s.height; y += 7) {
            std::vector<std::uint8_t> row(static_cast<std::size_t>(s.width));
            store.readRow(z, y, row.data());
            EXPECT_TRUE(std::equal(row.begin(), row.end(), v.data() + v.index(z, y, 0)));
            EXPECT_EQ(store(z, y, 13), v(z, y, 13));
        }
    const Box box{2, 5, 6, 5, 30, 41};
    std::vector<std::uint8_t> values(static_cast<std::size_t>(box.voxels()));
    for (std::size_t i = 0; i < values.size(); ++i)
        values[i] = static_cast<std::uint8_t>(i % 5);
    store.writeBox(box, values.data());
    EXPECT_EQ(store.readBox(box), values);
    EXPECT_EQ(store(2, 4, 6), v(2, 4, 6));   // just outside the box
    store.clear();
    EXPECT_EQ(store.toVolume().values(), VolumeU8(s, 0).values());
    EXPECT_EQ(store.stats().nonEmptySlices, 0);
}

TEST(SliceStore, EvictsUnderATinyBudgetWithoutLosingEdits)
{
    const Shape s{50, 64, 64};
    SliceStore store(s);
    const std::size_t slice = static_cast<std::size_t>(s.sliceVoxels());
    store.setLimits(3 * slice, 1u << 30);
    VolumeU8 expected(s, 0);
    for (std::int64_t z = 0; z < s.depth; ++z) {
        const Box b{z, z % 20, 3, z + 1, z % 20 + 10, 40};
        std::vector<std::uint8_t> val(static_cast<std::size_t>(b.voxels()), static_cast<std::uint8_t>(1 + z % 4));
        store.writeBox(b, val.data());
        for (std::int64_t y = b.y0; y < b.y1; ++y)
            for (std::int64_t x = b.x0; x < b.x1; ++x)
                expected(z, y, x) = val[0];
        EXPECT_LE(store.stats().cachedBytes, 3 * slice);
    }
    EXPECT_LE(store.stats().cachedSlices, 3);
    EXPECT_EQ(store.toVolume().values(), expected.values());
    EXPECT_LE(store.stats().cachedSlices, 3);
}

TEST(SliceStore, SpillsEncodedChunksToScratchAndReadsThemBack)
{
    const Shape s{30, 48, 48};
    const VolumeU8 v = blobs(s, 2, 5, 0);
    SliceStore store = SliceStore::fromVolume(v);
    ASSERT_EQ(store.stats().spilledChunks, 0);
    store.setLimits(2 * static_cast<std::size_t>(s.sliceVoxels()), 0);
    const auto st = store.stats();
    EXPECT_EQ(st.spilledChunks, 30);
    EXPECT_EQ(st.encodedBytes, 0u);
    EXPECT_GT(st.spilledBytes, 0u);
    EXPECT_EQ(store.toVolume().values(), v.values());
    // Edits of spilled slices go to new chunks, which spill again.
    const Box b{4, 0, 0, 5, 48, 48};
    std::vector<std::uint8_t> ones(static_cast<std::size_t>(b.voxels()), 1);
    store.writeBox(b, ones.data());
    const SliceSnapshot snap = store.snapshot();
    std::vector<std::uint8_t> out(static_cast<std::size_t>(s.sliceVoxels()));
    snap.readSlice(4, out.data());
    EXPECT_EQ(out, ones);
    EXPECT_EQ(store.stats().encodedBytes, 0u);
}

// Editing spilled slices again and again: the old chunks' regions are reused once nothing holds
// them, so the scratch file follows the chunks alive, not the edits ever made; a snapshot keeps
// its chunks (and their bytes) readable until it goes.
TEST(SliceStore, TheSpillFileReusesTheRegionsOfReplacedChunks)
{
    const Shape s{20, 48, 48};
    const VolumeU8 v = blobs(s, 2, 5, 0);
    SliceStore store = SliceStore::fromVolume(v);
    store.setLimits(2 * static_cast<std::size_t>(s.sliceVoxels()), 0);   // every chunk spilled
    const std::uint64_t first = store.stats().spillFileBytes;
    ASSERT_GT(first, 0u);
    VolumeU8 expected = v;
    std::mt19937 rng(3);
    std::optional<SliceSnapshot> held;
    std::optional<VolumeU8> heldContent;
    for (int round = 0; round < 300; ++round) {
        const std::int64_t z = static_cast<std::int64_t>(rng() % 20);
        const std::int64_t x0 = static_cast<std::int64_t>(rng() % 40), w = 1 + static_cast<std::int64_t>(rng() % 8);
        const Box b{z, 0, x0, z + 1, 48, x0 + w};
        std::vector<std::uint8_t> val(static_cast<std::size_t>(b.voxels()), static_cast<std::uint8_t>(1 + round % 3));
        store.writeBox(b, val.data());
        for (std::int64_t y = 0; y < 48; ++y)
            for (std::int64_t x = x0; x < x0 + w; ++x)
                expected(z, y, x) = val[0];
        if (round % 10 == 0)
            store.setLimits(2 * static_cast<std::size_t>(s.sliceVoxels()), 0);   // flushes the cache: dirty slices spill
        if (round == 100) {   // a snapshot (an undo step, a save) holds its chunks while edits go on
            held = store.snapshot();
            heldContent = expected;
        }
        if (round == 200) {
            VolumeU8 back(s);
            for (std::int64_t k = 0; k < s.depth; ++k)
                held->readSlice(k, back.slice(k));
            EXPECT_EQ(back.values(), heldContent->values());
            held.reset();
        }
    }
    store.setLimits(2 * static_cast<std::size_t>(s.sliceVoxels()), 0);
    EXPECT_EQ(store.toVolume().values(), expected.values());
    const auto st = store.stats();
    // Appending every spilled chunk would have made the file about 30 times its first length.
    EXPECT_LE(st.spillFileBytes, 2 * st.spilledBytes + static_cast<std::uint64_t>(s.sliceVoxels()))
        << "file " << st.spillFileBytes << ", live " << st.spilledBytes << ", first " << first;
}

TEST(SliceStore, SnapshotStaysConsistentWhileEditsContinue)
{
    const Shape s{40, 64, 64};
    const VolumeU8 v = blobs(s, 3, 9);
    SliceStore store = SliceStore::fromVolume(v);
    store.setLimits(4 * static_cast<std::size_t>(s.sliceVoxels()), 8 * 1024);   // evicts and spills
    (void)store(7, 0, 0);                                                         // slice 7 cached
    const SliceSnapshot snap = store.snapshot();

    // A reader thread streams the snapshot over and over while this thread edits every slice.
    std::atomic<bool> done{false};
    std::atomic<int> mismatches{0}, passes{0};
    std::thread reader([&] {
        std::vector<std::uint8_t> out(static_cast<std::size_t>(s.sliceVoxels()));
        while (!done || passes == 0) {
            for (std::int64_t z = 0; z < s.depth; ++z) {
                snap.readSlice(z, out.data());
                if (!std::equal(out.begin(), out.end(), v.slice(z)))
                    ++mismatches;
            }
            ++passes;
        }
    });
    std::vector<std::uint8_t> full(static_cast<std::size_t>(s.sliceVoxels()), 9);
    for (int round = 0; round < 3; ++round)
        for (std::int64_t z = 0; z < s.depth; ++z) {
            if (z % 2)
                store.writeSlice(z, full.data());
            else
                store.writeBox(Box{z, 1, 1, z + 1, 20, 20}, full.data());
        }
    done = true;
    reader.join();
    EXPECT_EQ(mismatches, 0);
    EXPECT_GT(passes, 0);
    EXPECT_EQ(store(1, 50, 50), 9);
    EXPECT_EQ(store(2, 10, 10), 9);
    EXPECT_EQ(store(2, 50, 50), v(2, 50, 50));
    // A store made from the snapshot has the old content, independent of the edited one.
    SliceStore restored = SliceStore::fromSnapshot(snap);
    EXPECT_EQ(restored.toVolume().values(), v.values());
}

TEST(SliceStore, HandedOutSlicesAreCopyOnWrite)
{
    SliceStore store(Shape{2, 4, 4});
    const SliceData before = store.slice(1);
    const std::uint8_t one = 1;
    store.writeBox(Box{1, 2, 2, 2, 3, 3}, &one);
    EXPECT_EQ((*before)[10], 0);
    EXPECT_EQ((*store.slice(1))[10], 1);
    EXPECT_THROW(store.slice(2), std::out_of_range);
}

TEST(SliceStoreIo, MasksRoundTripThroughTiffPageByPage)
{
    const auto dir = std::filesystem::temp_directory_path() / ("slicestore-io-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const Shape s{7, 30, 41};
    // Multi-class: written as the raw values.
    const VolumeU8 multi = blobs(s, 3, 21);
    SliceStore store = SliceStore::fromVolume(multi);
    store.setLimits(2 * static_cast<std::size_t>(s.sliceVoxels()), 0);   // everything spilled
    writeMaskSnapshot(dir / "multi.tif", store.snapshot(), mitoseg::Spacing{});
    EXPECT_EQ(readLabelStore(dir / "multi.tif", false).toVolume().values(), multi.values());
    // Binary: 0/255 on disk, as Fiji expects; binarized back to 0/1.
    const VolumeU8 binary = blobs(s, 1, 22);
    writeMaskSnapshot(dir / "binary.tif", SliceStore::fromVolume(binary).snapshot(), mitoseg::Spacing{});
    const VolumeU8 raw = readLabelStore(dir / "binary.tif", false).toVolume();
    EXPECT_EQ(*std::max_element(raw.values().begin(), raw.values().end()), 255);
    EXPECT_EQ(readLabelStore(dir / "binary.tif", true).toVolume().values(), binary.values());
    // A failed write leaves no file behind.
    EXPECT_ANY_THROW(writeMaskSnapshot(dir / "missing" / "x.tif", store.snapshot(), mitoseg::Spacing{}));
    EXPECT_FALSE(std::filesystem::exists(dir / "missing" / "x.tif"));
    std::filesystem::remove_all(dir);
}

TEST(SliceStore, NoisySlicesAreKeptRawNotExpanded)
{
    // Run-length on noise would take two bytes per voxel: such a slice is stored as it is.
    const Shape s{3, 50, 60};
    VolumeU8 v(s, 0);
    std::mt19937 rng(4);
    for (std::int64_t i = 0; i < s.sliceVoxels(); ++i)
        v.slice(1)[i] = static_cast<std::uint8_t>(rng());
    SliceStore store = SliceStore::fromVolume(v);
    EXPECT_LE(store.stats().encodedBytes, static_cast<std::size_t>(s.sliceVoxels()));
    EXPECT_EQ(store.toVolume().values(), v.values());
    store.setLimits(2 * static_cast<std::size_t>(s.sliceVoxels()), 0);   // spilled raw, read back raw
    EXPECT_EQ(store.stats().spilledBytes, static_cast<std::size_t>(s.sliceVoxels()));
    EXPECT_EQ(store.toVolume().values(), v.values());
}
