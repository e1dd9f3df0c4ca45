// Tests of core/labels: undo deltas, strokes, the byte-bounded history, edited slices,
// accept-prediction and incremental confusion counts.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <random>
#include <stdexcept>

#include "core/base/Memory.h"
#include "core/labels/LabelEditor.h"

namespace mitoseg::labels {
namespace {

std::vector<LabelClass> twoClasses() { return {{"background", 0, 0, 0}, {"mitochondria", 255, 0, 0}}; }
std::vector<LabelClass> threeClasses()
{
    return {{"background", 0, 0, 0}, {"mitochondria", 255, 0, 0}, {"membrane", 0, 255, 0}};
}

// A random label volume with blobs, as a starting state or a reference.
VolumeU8 randomBlobs(Shape shape, int classes, unsigned seed)
{
    VolumeU8 v(shape, 0);
    std::mt19937 rng(seed);
    for (int i = 0; i < 12; ++i) {
        const auto z = static_cast<std::int64_t>(rng() % shape.depth);
        const auto cy = static_cast<std::int64_t>(rng() % shape.height), cx = static_cast<std::int64_t>(rng() % shape.width);
        const std::int64_t r = 2 + rng() % 6;
        const auto value = static_cast<std::uint8_t>(1 + rng() % (classes - 1));
        for (std::int64_t y = std::max<std::int64_t>(0, cy - r); y < std::min(shape.height, cy + r); ++y)
            for (std::int64_t x = std::max<std::int64_t>(0, cx - r); x < std::min(shape.width, cx + r); ++x)
                v(z, y, x) = value;
    }
    return v;
}

// Does one random edit: a stroke of lines, one stamp (value 0 erases), or a fill.
void randomEdit(LabelEditor& ed, std::mt19937& rng, int classes)
{
    const Shape s = ed.shape();
    const auto z = static_cast<std::int64_t>(rng() % s.depth);
    const auto x = static_cast<std::int64_t>(rng() % s.width), y = static_cast<std::int64_t>(rng() % s.height);
    const auto value = static_cast<std::uint8_t>(rng() % classes);
    switch (rng() % 3) {
    case 0: {
        ed.beginStroke("Brush");
        std::int64_t px = x, py = y;
        for (int k = 0; k < 4; ++k) {
            const std::int64_t nx = px + static_cast<std::int64_t>(rng() % 9) - 4, ny = py + static_cast<std::int64_t>(rng() % 9) - 4;
            ed.stampLine(z, px, py, nx, ny, static_cast<int>(rng() % 5), value);
            px = nx, py = ny;
        }
        ed.commitStroke();
        break;
    }
    case 1:
        ed.stamp(z, x, y, static_cast<int>(rng() % 7), value);
        break;
    default:
        ed.floodFill(z, x, y, value);
        break;
    }
}

TEST(UndoDelta, RoundTripsRawAndCompressed)
{
    const Box box{0, 0, 0, 1, 4, 8};
    std::vector<std::uint8_t> o(32), n(32);
    std::mt19937 rng(1);
    for (auto& v : o)
        v = static_cast<std::uint8_t>(rng() % 3);
    n = o;
    n[5] = 7;
    const UndoDelta noisy = UndoDelta::fromValues(box, o, n);
    EXPECT_FALSE(noisy.compressed());
    EXPECT_EQ(noisy.decode(true), o);
    EXPECT_EQ(noisy.decode(false), n);
    EXPECT_EQ(noisy.changedVoxels(), o[5] == 7 ? 0 : 1);

    const std::vector<std::uint8_t> zeros(32, 0), ones(32, 1);
    const UndoDelta flat = UndoDelta::fromValues(box, zeros, ones);
    EXPECT_TRUE(flat.compressed());
    EXPECT_EQ(flat.decode(true), zeros);
    EXPECT_EQ(flat.decode(false), ones);
    EXPECT_EQ(flat.changedVoxels(), 32);
}

TEST(UndoDelta, RleSmallerThanRawOnBigBrush)
{
    LabelEditor ed(Shape{2, 400, 400}, twoClasses());
    ed.stamp(1, 200, 200, 150, 1);
    ASSERT_EQ(ed.history().undoCount(), 1u);
    const EditStep* step = ed.history().peekUndo();
    ASSERT_NE(step, nullptr);
    ASSERT_EQ(step->deltas.size(), 1u);
    const UndoDelta& d = step->deltas[0];
    EXPECT_TRUE(d.compressed());
    EXPECT_EQ(d.rawBytes(), static_cast<std::size_t>(301 * 301) * 2);
    EXPECT_LT(d.bytes() * 10, d.rawBytes()) << "RLE should be far smaller than raw for a filled disc";
    EXPECT_EQ(ed.labels()(1, 200, 200), 1);
    EXPECT_EQ(ed.labels()(1, 200, 350), 1);   // at distance r on the axis
    EXPECT_EQ(ed.labels()(1, 200, 351), 0);   // just outside
    EXPECT_EQ(ed.labels()(0, 200, 200), 0);   // other slice untouched
}

TEST(LabelEditor, UndoAllRedoAllProperty)
{
    for (unsigned seed = 1; seed <= 5; ++seed) {
        LabelEditor ed(Shape{4, 40, 50}, threeClasses());
        ed.setLabels(randomBlobs(ed.shape(), 3, seed));
        const VolumeU8 original = ed.labels().toVolume();
        std::mt19937 rng(seed * 77);
        for (int i = 0; i < 60; ++i)
            randomEdit(ed, rng, 3);
        const VolumeU8 edited = ed.labels().toVolume();
        ASSERT_NE(original.values(), edited.values());
        int undone = 0;
        while (ed.canUndo()) {
            ASSERT_NE(ed.undo(), 0u);
            ++undone;
        }
        EXPECT_EQ(ed.labels().toVolume().values(), original.values()) << "seed " << seed;
        EXPECT_TRUE(ed.editedSlices().empty());
        int redone = 0;
        while (ed.canRedo()) {
            ed.redo();
            ++redone;
        }
        EXPECT_EQ(undone, redone);
        EXPECT_EQ(ed.labels().toVolume().values(), edited.values()) << "seed " << seed;
    }
}

TEST(LabelEditor, StrokeIsOneStepAndAbortRestores)
{
    LabelEditor ed(Shape{2, 64, 64}, twoClasses());
    ed.beginStroke("Brush");
    for (int i = 0; i < 20; ++i)
        ed.stampLine(0, 5 + i * 2, 10, 7 + i * 2, 12 + i, 3, 1);
    EXPECT_EQ(ed.history().undoCount(), 0u);
    EXPECT_TRUE(ed.commitStroke());
    EXPECT_EQ(ed.history().undoCount(), 1u);
    EXPECT_GT(ed.labels()(0, 10, 5), 0);
    ed.undo();
    const VolumeU8 undone = ed.labels().toVolume();
    for (auto v : undone.values())
        ASSERT_EQ(v, 0);

    ed.beginStroke("Brush");
    ed.stamp(1, 30, 30, 5, 1);
    EXPECT_EQ(ed.labels()(1, 30, 30), 1);
    ed.abortStroke();
    EXPECT_EQ(ed.labels()(1, 30, 30), 0);
    EXPECT_FALSE(ed.canUndo());
    ed.beginStroke("Brush");
    EXPECT_FALSE(ed.commitStroke()) << "an empty stroke records nothing";
}

TEST(EditHistory, ByteBoundEvictsOldest)
{
    LabelEditor ed(Shape{1, 200, 200}, twoClasses());
    // Noisy values defeat RLE, so each stamp costs about 2 bytes per box voxel.
    VolumeU8 noise(ed.shape());
    std::mt19937 rng(3);
    for (auto& v : noise.values())
        v = static_cast<std::uint8_t>(rng() % 2);
    ed.setLabels(noise);
    ed.setHistoryLimit(40000);
    std::vector<std::uint64_t> ids;
    for (int i = 0; i < 12; ++i) {
        ed.floodFill(0, 0, 0, 0);
        ed.stamp(0, 20 + i * 14, 100, 30, static_cast<std::uint8_t>(i % 2));
    }
    EXPECT_LE(ed.history().bytes(), 40000u);
    EXPECT_GT(ed.history().evicted(), 0u);
    EXPECT_GT(ed.history().undoCount(), 0u);
    // What is left can be undone, the evicted oldest cannot: the volume does not return to the noise.
    while (ed.canUndo())
        ed.undo();
    EXPECT_NE(ed.labels().toVolume().values(), noise.values());
}

TEST(LabelEditor, FloodFillIsFourConnectedWithinSlice)
{
    LabelEditor ed(Shape{2, 5, 5}, twoClasses());
    VolumeU8 v(ed.shape(), 0);
    // A diagonal wall of 1s splits the slice: 4-connected fill must not leak through the corners.
    for (int i = 0; i < 5; ++i)
        v(0, i, i) = 1;
    ed.setLabels(v);
    EXPECT_GT(ed.floodFill(0, 4, 0, 1), 0);
    EXPECT_EQ(ed.labels()(0, 0, 4), 1);
    EXPECT_EQ(ed.labels()(0, 4, 0), 0) << "leaked across the diagonal";
    EXPECT_EQ(ed.labels()(1, 0, 4), 0) << "leaked to another slice";
    EXPECT_EQ(ed.floodFill(0, 4, 0, 1), 0) << "filling with the same value is a no-op";
}

TEST(LabelEditor, EditedSliceTracking)
{
    LabelEditor ed(Shape{6, 32, 32}, twoClasses());
    int notified = 0;
    ed.historyChanged.connect([&] { ++notified; });
    ed.stamp(2, 10, 10, 3, 1);
    ed.beginStroke("Brush");
    ed.stamp(4, 10, 10, 3, 1);
    ed.stamp(5, 10, 10, 3, 1);
    ed.commitStroke();
    EXPECT_EQ(ed.editedSlices(), (std::vector<std::int64_t>{2, 4, 5}));
    EXPECT_GE(notified, 2);
    ed.undo();
    EXPECT_EQ(ed.editedSlices(), (std::vector<std::int64_t>{2}));
    ed.redo();
    EXPECT_TRUE(ed.isEdited(5));
    ed.stamp(3, 1, 1, 0, 0);   // erasing background changes nothing
    EXPECT_FALSE(ed.isEdited(3));
    ed.markEdited({0});
    EXPECT_EQ(ed.editedSlices(), (std::vector<std::int64_t>{0, 2, 4, 5}));
}

TEST(LabelEditor, AcceptPredictionIsUndoable)
{
    LabelEditor ed(Shape{3, 16, 16}, twoClasses());
    ed.stamp(1, 3, 3, 2, 1);
    const VolumeU8 before = ed.labels().toVolume();
    VolumeU8 pred(ed.shape(), 0);
    for (std::int64_t y = 8; y < 16; ++y)
        for (std::int64_t x = 0; x < 16; ++x)
            pred(1, y, x) = pred(2, y, x) = 1;
    ASSERT_TRUE(ed.acceptPrediction(1, pred.slice(1)));
    EXPECT_EQ(ed.labels()(1, 3, 3), 0);
    EXPECT_EQ(ed.labels()(1, 10, 3), 1);
    EXPECT_EQ(ed.labels()(2, 10, 3), 0);
    EXPECT_EQ(ed.editedSlices(), (std::vector<std::int64_t>{1})) << "accepting is not a user edit";
    ed.undo();
    EXPECT_EQ(ed.labels().toVolume().values(), before.values());

    ASSERT_TRUE(ed.acceptPrediction(pred, {false, true, true}));
    EXPECT_EQ(ed.history().undoCount(), 2u) << "whole-stack accept is one step";
    EXPECT_EQ(ed.labels()(2, 10, 3), 1);
    ed.undo();
    EXPECT_EQ(ed.labels().toVolume().values(), before.values());
    ed.redo();
    EXPECT_EQ(ed.labels().toVolume().values(), pred.values());
}

TEST(LabelEditor, FloodRegionSizeCountsWithoutChanging)
{
    LabelEditor ed(Shape{2, 20, 30}, twoClasses());
    EXPECT_EQ(ed.floodRegionSize(0, 3, 3), 20 * 30);
    ed.stamp(0, 10, 10, 2, 1);
    const std::int64_t disc = ed.floodRegionSize(0, 10, 10);
    EXPECT_GT(disc, 0);
    EXPECT_EQ(ed.floodRegionSize(0, 0, 0), 20 * 30 - disc);
    EXPECT_EQ(ed.floodRegionSize(0, 30, 0), 0);
    EXPECT_EQ(ed.history().undoCount(), 1u);
    EXPECT_EQ(ed.floodFill(0, 0, 0, 1), 20 * 30 - disc);
}

TEST(LabelEditor, TracksAcceptedSlicesThroughUndoAndRestore)
{
    LabelEditor ed(Shape{4, 16, 16}, twoClasses());
    VolumeU8 pred(ed.shape(), 0);
    for (std::int64_t z = 0; z < 4; ++z)
        pred(z, 5, 5) = 1;
    ASSERT_TRUE(ed.acceptPrediction(2, pred.slice(2)));
    EXPECT_EQ(ed.acceptedSlices(), (std::vector<std::int64_t>{2}));
    EXPECT_TRUE(ed.editedSlices().empty());
    ed.undo();
    EXPECT_TRUE(ed.acceptedSlices().empty());
    ed.redo();
    EXPECT_TRUE(ed.isAccepted(2));
    ASSERT_TRUE(ed.acceptPrediction(pred, {true, false, false, true}));
    EXPECT_EQ(ed.acceptedSlices(), (std::vector<std::int64_t>{0, 2, 3}));
    ed.undo();
    EXPECT_EQ(ed.acceptedSlices(), (std::vector<std::int64_t>{2}));
    // A slice that already equals the prediction still becomes accepted (once).
    const VolumeU8 before = ed.labels().toVolume();
    VolumeU8 same = ed.labels().toVolume();
    ASSERT_TRUE(ed.acceptPrediction(1, same.slice(1)));
    EXPECT_EQ(ed.acceptedSlices(), (std::vector<std::int64_t>{1, 2}));
    EXPECT_EQ(ed.labels().toVolume().values(), before.values());
    EXPECT_FALSE(ed.acceptPrediction(1, same.slice(1)));
    ASSERT_TRUE(ed.acceptPrediction(same, {true, true, false, false}));   // slice 0 is new
    EXPECT_EQ(ed.acceptedSlices(), (std::vector<std::int64_t>{0, 1, 2}));
    ed.undo();
    ed.undo();
    EXPECT_EQ(ed.acceptedSlices(), (std::vector<std::int64_t>{2}));
    ed.markAccepted({1, 9});
    EXPECT_EQ(ed.acceptedSlices(), (std::vector<std::int64_t>{1, 2}));
    ed.setLabels(VolumeU8(ed.shape(), 0));
    EXPECT_TRUE(ed.acceptedSlices().empty());
}

TEST(LabelEditor, NotifiesChangedBoxes)
{
    LabelEditor ed(Shape{3, 40, 40}, twoClasses());
    std::vector<Box> boxes;
    const int id = ed.labelsChanged.connect([&](const Box& b) { boxes.push_back(b); });
    ed.stamp(1, 20, 10, 3, 1);
    ASSERT_EQ(boxes.size(), 1u);
    EXPECT_EQ(boxes[0], (Box{1, 7, 17, 2, 14, 24}));
    ed.stamp(1, 20, 10, 3, 1);   // no change, no notification
    EXPECT_EQ(boxes.size(), 1u);
    ed.undo();
    ASSERT_EQ(boxes.size(), 2u);
    EXPECT_EQ(boxes[1], boxes[0]);
    ed.labelsChanged.disconnect(id);
    ed.redo();
    EXPECT_EQ(boxes.size(), 2u);
    // Stamps clip at the slice border.
    boxes.clear();
    ed.labelsChanged.connect([&](const Box& b) { boxes.push_back(b); });
    ed.stamp(0, 0, 0, 5, 1);
    ASSERT_EQ(boxes.size(), 1u);
    EXPECT_EQ(boxes[0], (Box{0, 0, 0, 1, 6, 6}));
}

TEST(EditHistory, ShrinkingTheBoundEvictsAndKeepsNewest)
{
    LabelEditor ed(Shape{1, 64, 64}, twoClasses());
    for (int i = 0; i < 10; ++i)
        ed.stamp(0, 5 + 5 * i, 30, 2, 1);
    EXPECT_EQ(ed.history().undoCount(), 10u);
    ed.setHistoryLimit(1);
    EXPECT_EQ(ed.history().undoCount(), 1u) << "the newest step is always kept";
    EXPECT_EQ(ed.history().evicted(), 9u);
    ed.undo();
    EXPECT_EQ(ed.labels()(0, 30, 50), 0);   // the newest stamp is undone
    EXPECT_EQ(ed.labels()(0, 30, 5), 1);    // older ones are permanent now
}

void expectSameCounts(const ConfusionCounts& a, const ConfusionCounts& b)
{
    ASSERT_EQ(a.depth(), b.depth());
    for (int c = 0; c < a.classes(); ++c) {
        EXPECT_EQ(a.stack(c), b.stack(c)) << "class " << c;
        for (std::int64_t z = 0; z < a.depth(); ++z)
            EXPECT_EQ(a.slice(z, c), b.slice(z, c)) << "slice " << z << " class " << c;
    }
}

TEST(ConfusionCounts, IncrementalEqualsRecountAfterRandomEdits)
{
    LabelEditor ed(Shape{5, 48, 40}, threeClasses());
    ed.setLabels(randomBlobs(ed.shape(), 3, 11));
    ed.setReference(std::make_shared<VolumeU8>(randomBlobs(ed.shape(), 3, 12)));
    std::mt19937 rng(5);
    for (int i = 0; i < 80; ++i) {
        randomEdit(ed, rng, 3);
        if (i % 10 == 3)
            ed.undo();
        if (i % 20 == 7)
            ed.redo();
    }
    ConfusionCounts fresh;
    fresh.reset(ed.shape().depth, 3);
    fresh.recountAll(ed.labels(), *ed.reference());
    expectSameCounts(ed.confusion(), fresh);
}

TEST(ConfusionCounts, HandComputedIoUAndDice)
{
    LabelEditor ed(Shape{2, 1, 10}, twoClasses());
    auto ref = std::make_shared<VolumeU8>(ed.shape());
    for (int x = 0; x < 6; ++x)
        (*ref)(0, 0, x) = 1;   // reference: x 0..5 on slice 0
    ed.setReference(ref);
    ed.stamp(0, 4, 0, 3, 1);   // x 1..7 (radius 3: |dx| <= 3)
    // TP = x1..5 = 5, FP = x6,7 = 2, FN = x0 = 1.
    const Confusion c = ed.confusion().slice(0, 1);
    EXPECT_EQ(c, (Confusion{5, 2, 1}));
    EXPECT_DOUBLE_EQ(c.iou(), 5.0 / 8.0);
    EXPECT_DOUBLE_EQ(c.dice(), 10.0 / 13.0);
    EXPECT_EQ(ed.confusion().stack(1), c);
    EXPECT_TRUE(std::isnan(ed.confusion().slice(1, 1).iou()));
}

TEST(LabelEditor, SetClassesKeepsLabelsAndRecountsPerClass)
{
    LabelEditor ed(Shape{1, 1, 6}, twoClasses());
    auto ref = std::make_shared<VolumeU8>(Shape{1, 1, 6});
    // reference 1 1 2 2 0 0, labels 1 2 2 0 0 1
    const std::uint8_t r[6] = {1, 1, 2, 2, 0, 0}, l[6] = {1, 2, 2, 0, 0, 1};
    VolumeU8 labels(Shape{1, 1, 6});
    for (int x = 0; x < 6; ++x)
        (*ref)(0, 0, x) = r[x], labels(0, 0, x) = l[x];
    ed.setReference(ref);
    ed.setLabels(labels);
    EXPECT_EQ(ed.confusion().classes(), 2);
    EXPECT_THROW(ed.setClasses({{"background", 0, 0, 0}}), std::invalid_argument);
    ed.setClasses(threeClasses());
    EXPECT_EQ(ed.classes().size(), 3u);
    EXPECT_EQ(ed.labels().toVolume().values(), labels.values());
    EXPECT_EQ(ed.confusion().stack(1), (Confusion{1, 1, 1}));   // x0 TP, x5 FP, x1 FN
    EXPECT_EQ(ed.confusion().stack(2), (Confusion{1, 1, 1}));   // x2 TP, x1 FP, x3 FN
    EXPECT_EQ(ed.confusion().stack(0), (Confusion{3, 1, 1}));   // any: x0..2 TP, x5 FP, x3 FN
}

}  // namespace
}  // namespace mitoseg::labels

namespace mitoseg::labels {

// The same property with a memory budget so small that the editor's store keeps two decoded
// slices and spills every encoded chunk to scratch: undo/redo and the live confusion counts
// must not notice.
TEST(LabelEditor, UndoRedoAndCountsWorkAcrossEvictionAndSpill)
{
    setMemoryBudget(4 * 1024);   // cache 512 bytes (two slices kept at least), encoded 256 bytes
    for (unsigned seed = 1; seed <= 3; ++seed) {
        LabelEditor ed(Shape{12, 40, 50}, threeClasses());
        ed.setLabels(randomBlobs(ed.shape(), 3, seed));
        ed.setReference(std::make_shared<VolumeU8>(randomBlobs(ed.shape(), 3, seed + 100)));
        const VolumeU8 original = ed.labels().toVolume();
        std::mt19937 rng(seed * 31);
        for (int i = 0; i < 80; ++i)
            randomEdit(ed, rng, 3);
        const auto st = ed.labels().stats();
        EXPECT_LE(st.cachedSlices, 2);
        EXPECT_GT(st.spilledChunks, 0);
        ConfusionCounts fresh;
        fresh.reset(ed.shape().depth, 3);
        fresh.recountAll(ed.labels(), *ed.reference());
        for (int cls = 0; cls < 3; ++cls)
            EXPECT_EQ(ed.confusion().stack(cls), fresh.stack(cls)) << "seed " << seed << " class " << cls;
        const VolumeU8 edited = ed.labels().toVolume();
        while (ed.canUndo())
            ed.undo();
        EXPECT_EQ(ed.labels().toVolume().values(), original.values()) << "seed " << seed;
        while (ed.canRedo())
            ed.redo();
        EXPECT_EQ(ed.labels().toVolume().values(), edited.values()) << "seed " << seed;
    }
    setMemoryBudget(0);
}

}  // namespace mitoseg::labels
