// Per-slice uncertainty and slice picking for the retraining loop.
#include <gtest/gtest.h>

#include "core/loop/SlicePicker.h"

using namespace mitoseg;

TEST(SlicePicker, EntropyIsZeroWhenSureAndOneAtHalf)
{
    const float sure[] = {0.0f, 1.0f, 0.0f, 1.0f};
    const float half[] = {0.5f, 0.5f};
    EXPECT_DOUBLE_EQ(meanBinaryEntropy(sure, 4), 0.0);
    EXPECT_NEAR(meanBinaryEntropy(half, 2), 1.0, 1e-12);
    const float mixed[] = {0.5f, 1.0f};
    EXPECT_NEAR(meanBinaryEntropy(mixed, 2), 0.5, 1e-12);
    // The overlay's 0..255 form agrees with the float form.
    const std::uint8_t bytes[] = {0, 255, 51, 204};
    const float floats[] = {0.0f, 1.0f, 0.2f, 0.8f};
    EXPECT_NEAR(meanBinaryEntropy(bytes, 4), meanBinaryEntropy(floats, 4), 1e-6);
    EXPECT_DOUBLE_EQ(meanBinaryEntropy(floats, 0), 0.0);
}

TEST(SlicePicker, SliceUncertaintyRanksTheDoubtfulSliceFirst)
{
    VolumeF32 p(Shape{4, 2, 2}, 0.99f);
    p(2, 0, 0) = 0.5f;
    p(2, 1, 1) = 0.4f;
    p(1, 0, 0) = 0.7f;
    const auto u = sliceUncertainty(p, Uncertainty::Entropy);
    ASSERT_EQ(u.size(), 4u);
    EXPECT_GT(u[2], u[1]);
    EXPECT_GT(u[1], u[0]);
    EXPECT_DOUBLE_EQ(u[0], u[3]);
    EXPECT_EQ(pickSlices(u, {}, 2), (std::vector<std::int64_t>{2, 1}));
    // Labelled slices are never picked; ties go to the lower index.
    EXPECT_EQ(pickSlices(u, {2}, 2), (std::vector<std::int64_t>{1, 0}));
    EXPECT_EQ(pickSlices(u, {0, 1, 2, 3}, 2), (std::vector<std::int64_t>{}));
}

TEST(SlicePicker, IoUShortfallIsZeroWhenSureAndCountsDoubtRelativeToTheObjects)
{
    // Sure slices, empty or not, miss nothing; the byte form agrees with the float form.
    const float sureEmpty[] = {0.0f, 0.0f, 0.0f, 0.0f};
    const float sureFull[] = {1.0f, 1.0f, 0.0f, 0.0f};
    EXPECT_NEAR(expectedIoUShortfall(sureEmpty, 4), 0.0, 1e-12);
    EXPECT_NEAR(expectedIoUShortfall(sureFull, 4), 0.0, 1e-12);
    const float floats[] = {0.8f, 0.6f, 0.2f, 0.0f};
    const std::uint8_t bytes[] = {204, 153, 51, 0};
    EXPECT_NEAR(expectedIoUShortfall(bytes, 4), expectedIoUShortfall(floats, 4), 1e-6);
    // Mask {0.8, 0.6}: E[I] = 1.4, E[U] = 2 + 1.6 - 1.4 = 2.2, each plus the smoothing 0.004.
    EXPECT_NEAR(expectedIoUShortfall(floats, 4), 1.0 - 1.404 / 2.204, 1e-6);
    // The threshold decides the mask the shortfall is about.
    EXPECT_GT(expectedIoUShortfall(floats, 4, 0.7f), expectedIoUShortfall(floats, 4, 0.5f));

    // Slice 0: ten sure objects, each with a doubtful rim (many uncertain pixels, small share
    // of the objects). Slice 1: one object the model half believes in. The mean entropy ranks
    // slice 0 first; the IoU shortfall ranks slice 1 first, where the IoU is at stake.
    VolumeF32 p(Shape{2, 100, 100}, 0.0f);
    for (int k = 0; k < 10; ++k)
        for (int y = 0; y < 20; ++y)
            for (int x = k * 10; x < k * 10 + 8; ++x)
                p(0, 10 + y, x) = (y == 0 || y == 19 || x == k * 10 || x == k * 10 + 7) ? 0.5f : 0.99f;
    for (int y = 40; y < 50; ++y)
        for (int x = 40; x < 50; ++x)
            p(1, y, x) = 0.6f;
    const auto entropy = sliceUncertainty(p, Uncertainty::Entropy);
    const auto shortfall = sliceUncertainty(p, Uncertainty::IoUShortfall, 0.5f);
    EXPECT_GT(entropy[0], entropy[1]);
    EXPECT_GT(shortfall[1], shortfall[0]);
    EXPECT_EQ(pickSlices(shortfall, {}, 1), (std::vector<std::int64_t>{1}));
}

TEST(SlicePicker, RandomPicksAreSeededAndSkipLabelledAndUnpredictedSlices)
{
    std::vector<double> u(50, 0.1);
    u[7] = -1;   // not predicted
    const auto a = pickSlices(u, {3, 4}, 10, PickMode::Random, 5);
    EXPECT_EQ(a, pickSlices(u, {3, 4}, 10, PickMode::Random, 5));
    EXPECT_NE(a, pickSlices(u, {3, 4}, 10, PickMode::Random, 6));
    ASSERT_EQ(a.size(), 10u);
    for (auto z : a) {
        EXPECT_NE(z, 3);
        EXPECT_NE(z, 4);
        EXPECT_NE(z, 7);
    }
}

TEST(SlicePicker, SpreadSlicesCoverTheStackEvenlyOutsideExcluded)
{
    EXPECT_EQ(spreadSlices(10, {}, 2), (std::vector<std::int64_t>{2, 7}));
    EXPECT_EQ(spreadSlices(10, {7}, 3), (std::vector<std::int64_t>{1, 4, 8}));
    EXPECT_EQ(spreadSlices(3, {1}, 5), (std::vector<std::int64_t>{0, 2}));
    EXPECT_TRUE(spreadSlices(3, {}, 0).empty());
}

TEST(SlicePicker, UncertainPicksKeepTheirDistanceFromEachOtherAndFromLabelledSlices)
{
    // Doubt peaks at 10-12 (next to the labelled slice 9) and at 30-31.
    std::vector<double> u(40, 0.1);
    u[10] = 0.9, u[11] = 0.8, u[12] = 0.7, u[31] = 0.6, u[30] = 0.5, u[20] = 0.3;
    EXPECT_EQ(pickSlices(u, {9}, 3), (std::vector<std::int64_t>{10, 11, 12}));
    EXPECT_EQ(pickSlices(u, {9}, 3, PickMode::Uncertain, 1, 3), (std::vector<std::int64_t>{12, 31, 20}));
    // Too few far-apart slices: the rest are the most uncertain of the others.
    std::vector<double> few{0.5, 0.9, 0.4};
    EXPECT_EQ(pickSlices(few, {}, 3, PickMode::Uncertain, 1, 3), (std::vector<std::int64_t>{1, 0, 2}));
    EXPECT_EQ(pickGapFor(2), 3);
}

TEST(SlicePicker, SlicesToCorrectStayOutOfTheValidationSlicesContext)
{
    // Most doubt right next to the validation slices 10-12; a 2-slice context keeps 8-14 out.
    std::vector<double> u(20, 0.1);
    u[9] = 0.9, u[13] = 0.9, u[8] = 0.8, u[14] = 0.7, u[11] = 0.95, u[5] = 0.5, u[4] = 0.45, u[17] = 0.4;
    const std::vector<std::int64_t> validation{10, 11, 12};
    EXPECT_EQ(pickSlicesToCorrect(u, {}, validation, 2, 2), (std::vector<std::int64_t>{5, 17}));
    // Labelled slice 16 pushes the second pick away from 17 (gap 3), to the next doubtful far slice.
    EXPECT_EQ(pickSlicesToCorrect(u, {16}, validation, 2, 2), (std::vector<std::int64_t>{5, 0}));
    // A 2D model (no context): only the validation slices themselves are out, no spacing.
    EXPECT_EQ(pickSlicesToCorrect(u, {}, validation, 2, 0), (std::vector<std::int64_t>{9, 13}));
    for (auto z : pickSlicesToCorrect(u, {}, validation, 20, 2, PickMode::Random, 4))
        EXPECT_TRUE(z < 8 || z > 14) << z;
}

TEST(SlicePicker, SpreadPicksPreferDoubtBeyondTheNeighbourhoodOfLabelledSlices)
{
    // 40 slices; doubt is highest in a cluster at 10-13, a little lower at 30.
    std::vector<double> u(40, 0.1);
    u[10] = 0.9;
    u[11] = 0.95;
    u[12] = 0.92;
    u[13] = 0.9;
    u[30] = 0.6;
    // Nothing labelled: the first pick is the most doubtful slice; the second is not its
    // neighbour (the plain uncertain rule, without a gap, takes 11 then 12) but slice 30.
    std::vector<std::int64_t> p = pickSlices(u, {}, 2, PickMode::Spread);
    EXPECT_EQ(p, (std::vector<std::int64_t>{11, 30}));
    EXPECT_EQ(pickSlices(u, {}, 2, PickMode::Uncertain), (std::vector<std::int64_t>{11, 12}));
    // Slice 11 labelled already: its neighbours are discounted, 30 comes first.
    p = pickSlices(u, {11}, 1, PickMode::Spread);
    EXPECT_EQ(p, (std::vector<std::int64_t>{30}));
    // Far from everything labelled, doubt decides again; within the even spacing (here 40 / 3
    // slices) of a labelled slice it is discounted by the distance: 13 beats 11 next to 0.
    p = pickSlices(u, {39}, 1, PickMode::Spread);
    EXPECT_EQ(p, (std::vector<std::int64_t>{11}));
    p = pickSlices(u, {0, 39}, 1, PickMode::Spread);
    EXPECT_EQ(p, (std::vector<std::int64_t>{13}));
    // Never a labelled or unpredicted slice; as many picks as asked while candidates last.
    u[5] = -1;
    p = pickSlices(u, {11, 30}, 38, PickMode::Spread);
    EXPECT_EQ(p.size(), 37u);
    for (std::int64_t z : p) {
        EXPECT_NE(z, 5);
        EXPECT_NE(z, 11);
        EXPECT_NE(z, 30);
    }
}
