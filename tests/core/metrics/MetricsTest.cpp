#include <gtest/gtest.h>

#include "core/base/Error.h"
#include "core/metrics/Metrics.h"

using namespace mitoseg;

namespace {
VolumeU8 fromRows(std::int64_t depth, std::int64_t height, std::int64_t width, const std::vector<int>& v)
{
    VolumeU8 out(Shape{depth, height, width});
    for (std::size_t i = 0; i < v.size(); ++i)
        out.values()[i] = static_cast<std::uint8_t>(v[i]);
    return out;
}
}  // namespace

TEST(Metrics, ForegroundIoUDiceAndTwoClassMeanByHand)
{
    // 1 x 2 x 4: pred has 3 fg voxels, truth 2, overlap 1 -> TP 1, FP 2, FN 1, TN 4.
    VolumeU8 pred = fromRows(1, 2, 4, {255, 255, 0, 0, 255, 0, 0, 0});
    VolumeU8 truth = fromRows(1, 2, 4, {255, 0, 255, 0, 0, 0, 0, 0});
    OverlapScores s = overlapScores(pred, truth);
    EXPECT_EQ(s.truePositives, 1);
    EXPECT_EQ(s.falsePositives, 2);
    EXPECT_EQ(s.falseNegatives, 1);
    EXPECT_EQ(s.trueNegatives, 4);
    EXPECT_DOUBLE_EQ(s.foregroundIoU, 1.0 / 4.0);
    EXPECT_DOUBLE_EQ(s.dice, 2.0 / 5.0);
    EXPECT_DOUBLE_EQ(s.meanIoU2Class, (1.0 / 4.0 + 4.0 / 7.0) / 2.0);
    EXPECT_DOUBLE_EQ(s.meanIoU, 0.25);
}

TEST(Metrics, EmptyVersusEmptyIsPerfectAndShapeMismatchThrows)
{
    VolumeU8 a(Shape{2, 3, 3}), b(Shape{2, 3, 3});
    OverlapScores s = overlapScores(a, b);
    EXPECT_DOUBLE_EQ(s.foregroundIoU, 1.0);
    EXPECT_DOUBLE_EQ(s.dice, 1.0);
    VolumeU8 c(Shape{2, 3, 4});
    EXPECT_THROW(overlapScores(a, c), Error);
    EXPECT_THROW(overlapScores(a, b, 2, 1, 5), Error);
}

TEST(Metrics, MulticlassPerClassIoU)
{
    // classes 0,1,2 on 1 x 1 x 6
    VolumeU8 pred = fromRows(1, 1, 6, {0, 1, 1, 2, 2, 0});
    VolumeU8 truth = fromRows(1, 1, 6, {0, 1, 2, 2, 0, 0});
    OverlapScores s = overlapScores(pred, truth, 3);
    ASSERT_EQ(s.classIoU.size(), 3u);
    EXPECT_DOUBLE_EQ(s.classIoU[0], 2.0 / 3.0);   // {0,5} of {0,4,5}
    EXPECT_DOUBLE_EQ(s.classIoU[1], 1.0 / 2.0);   // {1} of {1,2}
    EXPECT_DOUBLE_EQ(s.classIoU[2], 1.0 / 3.0);   // {3} of {2,3,4}
    EXPECT_DOUBLE_EQ(s.meanIoU, (0.5 + 1.0 / 3.0) / 2.0);   // classes 1 and 2
    VolumeU8 bad = fromRows(1, 1, 6, {0, 3, 0, 0, 0, 0});
    EXPECT_THROW(overlapScores(bad, truth, 3), Error);
}

TEST(Metrics, PerSliceIoUAndZRange)
{
    VolumeU8 pred(Shape{3, 2, 2}), truth(Shape{3, 2, 2});
    pred(0, 0, 0) = truth(0, 0, 0) = 1;   // slice 0: 1/1
    pred(1, 0, 0) = 1;                    // slice 1: 0/2
    truth(1, 1, 1) = 1;
    // slice 2: both empty -> 1
    auto per = perSliceIoU(pred, truth);
    ASSERT_EQ(per.size(), 3u);
    EXPECT_DOUBLE_EQ(per[0], 1.0);
    EXPECT_DOUBLE_EQ(per[1], 0.0);
    EXPECT_DOUBLE_EQ(per[2], 1.0);
    EXPECT_DOUBLE_EQ(overlapScores(pred, truth, 2, 1, 2).foregroundIoU, 0.0);
    EXPECT_DOUBLE_EQ(overlapScores(pred, truth, 2, 0, 0).foregroundIoU, 1.0);
    EXPECT_EQ(perSliceIoU(pred, truth, 1, 1).size(), 1u);
}

TEST(Metrics, ObjectScoresMatchAtHalfIoU)
{
    // Truth: three objects along x in a 1 x 1 x 20 line. Prediction: object A exact (match),
    // object B covered only 1/3 (IoU < 0.5, no match), object C missed, plus one false object.
    VolumeU8 truth(Shape{1, 1, 20}), pred(Shape{1, 1, 20});
    for (int x : {0, 1, 2}) truth(0, 0, x) = pred(0, 0, x) = 1;      // A
    for (int x : {5, 6, 7}) truth(0, 0, x) = 1;                      // B
    pred(0, 0, 5) = 1;
    for (int x : {10, 11}) truth(0, 0, x) = 1;                       // C
    for (int x : {15, 16}) pred(0, 0, x) = 1;                        // false positive
    ObjectScores s = objectScores(pred, truth);
    EXPECT_EQ(s.truth, 3);
    EXPECT_EQ(s.predicted, 3);
    EXPECT_EQ(s.matched, 1);
    EXPECT_DOUBLE_EQ(s.precision, 1.0 / 3.0);
    EXPECT_DOUBLE_EQ(s.recall, 1.0 / 3.0);
    EXPECT_DOUBLE_EQ(s.f1, 1.0 / 3.0);
    // B at exactly 2/3 overlap matches.
    pred(0, 0, 6) = 1;
    EXPECT_EQ(objectScores(pred, truth).matched, 2);
}

TEST(Metrics, ObjectScoresSplitPredictionDoesNotDoubleMatch)
{
    // One true object of 10 voxels; prediction splits it into 6 + 3 (gap at x=6).
    VolumeU8 truth(Shape{1, 1, 10}), pred(Shape{1, 1, 10});
    for (int x = 0; x < 10; ++x) truth(0, 0, x) = 1;
    for (int x = 0; x < 6; ++x) pred(0, 0, x) = 1;
    for (int x = 7; x < 10; ++x) pred(0, 0, x) = 1;
    ObjectScores s = objectScores(pred, truth);
    EXPECT_EQ(s.predicted, 2);
    EXPECT_EQ(s.matched, 1);   // 6/10 matches, 3/10 does not
    EXPECT_DOUBLE_EQ(s.precision, 0.5);
    EXPECT_DOUBLE_EQ(s.recall, 1.0);
}
