// Streamed labelling and scores (SliceComponents, OverlapCounter, ObjectMatcher) against the
// in-memory functions on generated volumes, including objects that merge only late in z.
#include <gtest/gtest.h>

#include <random>

#include "core/base/Error.h"
#include "core/metrics/Metrics.h"
#include "core/metrics/StreamingMetrics.h"

using namespace mitoseg;

namespace {

// Random blobs (balls and z-elongated sausages) plus salt noise: many components of all sizes,
// diagonal contacts included.
VolumeU8 blobs(Shape s, unsigned seed, int count, double noise)
{
    VolumeU8 v(s, 0);
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    for (int b = 0; b < count; ++b) {
        const double cz = u(rng) * static_cast<double>(s.depth), cy = u(rng) * static_cast<double>(s.height),
                     cx = u(rng) * static_cast<double>(s.width);
        const double r = 1.0 + u(rng) * 3.0, stretch = 1.0 + u(rng) * 3.0;
        for (std::int64_t z = 0; z < s.depth; ++z)
            for (std::int64_t y = 0; y < s.height; ++y)
                for (std::int64_t x = 0; x < s.width; ++x) {
                    const double dz = (static_cast<double>(z) - cz) / stretch, dy = static_cast<double>(y) - cy,
                                 dx = static_cast<double>(x) - cx;
                    if (dz * dz + dy * dy + dx * dx <= r * r)
                        v(z, y, x) = 1;
                }
    }
    for (auto& x : v.values())
        if (u(rng) < noise)
            x = static_cast<std::uint8_t>(1 + (rng() % 3));
    return v;
}

// A U: two pillars going down in z from slice 0, joined by a bar only on the last slice, plus a
// second U rotated so its arms meet diagonally (26- but not 6-connected) at the bottom.
VolumeU8 lateMerges()
{
    VolumeU8 v(Shape{10, 12, 14}, 0);
    for (std::int64_t z = 0; z < 10; ++z) {
        v(z, 2, 2) = v(z, 2, 9) = 1;
        v(z, 8, 3) = v(z, 10, 12) = 1;
    }
    for (std::int64_t x = 2; x <= 9; ++x)
        v(9, 2, x) = 1;
    // Arms of the second shape: (8,3) walks right on the last slice, ends one diagonal step from (10,12)'s path.
    for (std::int64_t x = 3; x <= 11; ++x)
        v(9, 8, x) = 1;
    v(9, 9, 12) = 0;
    v(8, 9, 12) = 1;   // touches (9, 8, 11) across z and a diagonal: 26-connected only
    return v;
}

Components streamed(const VolumeU8& v, Connectivity c, int value = -1)
{
    SliceComponents sc(v.height(), v.width(), c, value);
    std::vector<std::vector<ForegroundRun>> runs;
    for (std::int64_t z = 0; z < v.depth(); ++z)
        runs.push_back(sc.push(v.slice(z)));
    Components out;
    out.labels = Volume<std::uint32_t>(v.shape(), 0);
    const std::vector<std::uint32_t> label = sc.finalLabels(out.count, &out.sizes);
    for (std::int64_t z = 0; z < v.depth(); ++z)
        for (const ForegroundRun& r : runs[static_cast<std::size_t>(z)])
            for (std::uint32_t x = r.x0; x < r.x1; ++x)
                out.labels(z, r.y, x) = label[r.id];
    return out;
}

void expectSameComponents(const VolumeU8& v, Connectivity c, int value = -1)
{
    const Components a = connectedComponents(v, c, value), b = streamed(v, c, value);
    ASSERT_EQ(a.count, b.count);
    EXPECT_EQ(a.sizes, b.sizes);
    EXPECT_TRUE(a.labels.values() == b.labels.values()) << "labels differ";
}

void expectSameScores(const VolumeU8& pred, const VolumeU8& truth, int classes, std::int64_t z0, std::int64_t z1)
{
    const std::int64_t n = truth.shape().sliceVoxels();
    OverlapCounter counter(classes);
    ObjectMatcher matcher(truth.height(), truth.width());
    std::vector<double> per;
    for (std::int64_t z = z0; z <= z1; ++z) {
        counter.add(pred.slice(z), truth.slice(z), n);
        matcher.add(pred.slice(z), truth.slice(z));
        per.push_back(foregroundIoU(pred.slice(z), truth.slice(z), n));
    }
    const OverlapScores a = overlapScores(pred, truth, classes, z0, z1), b = counter.scores();
    EXPECT_EQ(a.truePositives, b.truePositives);
    EXPECT_EQ(a.falsePositives, b.falsePositives);
    EXPECT_EQ(a.falseNegatives, b.falseNegatives);
    EXPECT_EQ(a.trueNegatives, b.trueNegatives);
    EXPECT_EQ(a.foregroundIoU, b.foregroundIoU);
    EXPECT_EQ(a.dice, b.dice);
    EXPECT_EQ(a.meanIoU2Class, b.meanIoU2Class);
    EXPECT_EQ(a.classIoU, b.classIoU);
    EXPECT_EQ(a.meanIoU, b.meanIoU);
    EXPECT_EQ(perSliceIoU(pred, truth, z0, z1), per);
    const ObjectScores oa = objectScores(pred, truth, Connectivity::TwentySix, 0.5, z0, z1), ob = matcher.scores();
    EXPECT_EQ(oa.predicted, ob.predicted);
    EXPECT_EQ(oa.truth, ob.truth);
    EXPECT_EQ(oa.matched, ob.matched);
    EXPECT_EQ(oa.precision, ob.precision);
    EXPECT_EQ(oa.recall, ob.recall);
    EXPECT_EQ(oa.f1, ob.f1);
}

}  // namespace

TEST(SliceComponents, LateMergesGiveOneObjectNumberedByFirstVoxel)
{
    const VolumeU8 v = lateMerges();
    const Components c26 = streamed(v, Connectivity::TwentySix);
    EXPECT_EQ(c26.count, 2u);   // both U shapes close on the last slices
    EXPECT_EQ(c26.labels(0, 2, 2), 1u);
    EXPECT_EQ(c26.labels(0, 2, 9), 1u);
    EXPECT_EQ(c26.labels(0, 8, 3), 2u);
    EXPECT_EQ(c26.labels(0, 10, 12), 2u);
    const Components c6 = streamed(v, Connectivity::Six);
    EXPECT_EQ(c6.count, 3u);    // the diagonal contact does not join with faces only
    expectSameComponents(v, Connectivity::TwentySix);
    expectSameComponents(v, Connectivity::Six);
}

TEST(SliceComponents, EqualsConnectedComponentsOnRandomVolumes)
{
    for (unsigned seed = 1; seed <= 6; ++seed) {
        const VolumeU8 v = blobs(Shape{17, 23, 29}, seed, 12, seed % 2 ? 0.08 : 0.01);
        expectSameComponents(v, Connectivity::TwentySix);
        expectSameComponents(v, Connectivity::Six);
        expectSameComponents(v, Connectivity::TwentySix, 2);
    }
}

TEST(SliceComponents, ObjectVoxelsFollowMerges)
{
    const VolumeU8 v = lateMerges();
    SliceComponents sc(v.height(), v.width(), Connectivity::TwentySix);
    std::uint32_t left = 0, right = 0;
    for (std::int64_t z = 0; z < v.depth(); ++z) {
        const auto& runs = sc.push(v.slice(z));
        if (z == 0) {
            left = runs[0].id;
            right = runs[1].id;
        }
    }
    EXPECT_EQ(sc.find(right), sc.find(left));
    EXPECT_EQ(sc.objectVoxels(right), 10 + 10 + 6);   // two pillars and the bar's inner voxels
    EXPECT_GT(sc.memoryBytes(), 0u);
}

TEST(StreamingMetrics, EqualsInMemoryScoresOnRandomVolumes)
{
    for (unsigned seed = 1; seed <= 5; ++seed) {
        const VolumeU8 truth = blobs(Shape{15, 21, 26}, seed, 10, 0.0);
        VolumeU8 pred = blobs(Shape{15, 21, 26}, seed + 100, 4, 0.02);
        // Most true objects predicted (matches), some missed, some spurious ones.
        for (std::size_t i = 0; i < pred.values().size(); ++i)
            if (truth.values()[i] && (i % 7) != 0)
                pred.values()[i] = 1;
        expectSameScores(pred, truth, 2, 0, 14);
        expectSameScores(pred, truth, 2, 3, 11);
        expectSameScores(pred, truth, 4, 0, 14);
    }
}

TEST(StreamingMetrics, LateMergeDecidesTheMatch)
{
    // Truth: one U (joined at the bottom). Prediction: the two pillars without the bar, so each
    // pillar overlaps the U with IoU < 0.5 and nothing matches; seen slice by slice the pillars
    // look like separate matches until the last slice.
    const VolumeU8 truth = lateMerges();
    VolumeU8 pred = truth;
    for (std::int64_t x = 3; x <= 8; ++x)
        pred(9, 2, x) = 0;
    expectSameScores(pred, truth, 2, 0, 9);
    ObjectMatcher m(truth.height(), truth.width());
    for (std::int64_t z = 0; z < 10; ++z)
        m.add(pred.slice(z), truth.slice(z));
    const ObjectScores s = m.scores();
    EXPECT_EQ(s.truth, 2);
    EXPECT_EQ(s.predicted, 3);
    EXPECT_EQ(s.matched, 1);   // only the second shape, left intact
}

TEST(StreamingMetrics, LabelsBeyondTheClassesAreAnError)
{
    const std::uint8_t p[2] = {0, 3}, t[2] = {1, 0};
    OverlapCounter c(3);
    EXPECT_THROW(c.add(p, t, 2), Error);
    EXPECT_THROW(OverlapCounter(1), Error);
}

TEST(StreamingMetrics, PairsAreKeptPerObjectNotPerSliceComponent)
{
    // 60 columns through 300 slices in both volumes (the prediction shifted by one pixel): each
    // slice adds 60 pairs of new 2D components, 18000 in all, but there are only 60 pairs of
    // objects. The pairs held stay bounded and the scores equal the in-memory ones.
    Shape s{300, 40, 60};
    VolumeU8 truth(s, 0), pred(s, 0);
    for (std::int64_t z = 0; z < s.depth; ++z)
        for (int c = 0; c < 60; ++c) {
            const std::int64_t y = 1 + (c / 10) * 6, x = 1 + (c % 10) * 6;
            for (std::int64_t dy = 0; dy < 3; ++dy)
                for (std::int64_t dx = 0; dx < 3; ++dx) {
                    truth(z, y + dy, x + dx) = 1;
                    pred(z, y + dy, x + dx + 1) = 1;
                }
        }
    ObjectMatcher m(s.height, s.width);
    std::size_t most = 0;
    for (std::int64_t z = 0; z < s.depth; ++z) {
        m.add(pred.slice(z), truth.slice(z));
        most = std::max(most, m.pairsHeld());
    }
    EXPECT_LE(most, 2u * 60 + 4096 + 60);
    EXPECT_LT(m.pairsHeld(), 18000u / 2);
    const ObjectScores a = objectScores(pred, truth, Connectivity::TwentySix, 0.5, 0, s.depth - 1), b = m.scores();
    EXPECT_EQ(a.predicted, 60);
    EXPECT_EQ(b.predicted, 60);
    EXPECT_EQ(b.truth, 60);
    EXPECT_EQ(a.matched, b.matched);
    EXPECT_EQ(b.matched, 60);   // each pair shares 6 of 12 voxels a slice: IoU 0.5
}
