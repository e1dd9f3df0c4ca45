#include <gtest/gtest.h>

#include "core/engine/PostProcessPlan.h"

using mitoseg::planPostProcessing;
using mitoseg::PostProcessing;
using mitoseg::Shape;

TEST(PostProcessPlan, FullStacksKeepTheModelsSettings)
{
    const PostProcessing model{2, 0.45f, 10000};
    const auto plan = planPostProcessing(model, Shape{165, 768, 1024});
    EXPECT_EQ(plan.effective.zSmooth, 2);
    EXPECT_EQ(plan.effective.minObjectVoxels, 10000);
    EXPECT_FLOAT_EQ(plan.effective.threshold, 0.45f);
    EXPECT_FALSE(plan.zSmoothReduced || plan.minObjectScaled);
    EXPECT_EQ(plan.note(), "");
    // 22 slices: thicker than a 10000-voxel cube (side 21.5).
    EXPECT_EQ(planPostProcessing(model, Shape{22, 64, 64}).effective.minObjectVoxels, 10000);
}

TEST(PostProcessPlan, ASingleImageIsJudgedPerSlice)
{
    const auto plan = planPostProcessing({2, 0.45f, 10000}, Shape{1, 768, 1024});
    EXPECT_EQ(plan.effective.zSmooth, 0);
    EXPECT_TRUE(plan.zSmoothReduced);
    EXPECT_TRUE(plan.minObjectScaled);
    EXPECT_EQ(plan.effective.minObjectVoxels, 464);   // 10000 / cbrt(10000)
    EXPECT_NE(plan.note().find("no z-smoothing"), std::string::npos);
    EXPECT_NE(plan.note().find("464"), std::string::npos);
}

TEST(PostProcessPlan, ShortStacksScaleWithTheirDepth)
{
    const auto plan = planPostProcessing({3, 0.5f, 10000}, Shape{3, 100, 100});
    EXPECT_EQ(plan.effective.zSmooth, 2);
    EXPECT_EQ(plan.effective.minObjectVoxels, 1392);   // 10000 * 3 / 21.54
    EXPECT_EQ(planPostProcessing({1, 0.5f, 0}, Shape{1, 10, 10}).effective.minObjectVoxels, 0);
    EXPECT_EQ(planPostProcessing({0, 0.5f, 8}, Shape{1, 10, 10}).effective.minObjectVoxels, 4);   // 8 / 2
    EXPECT_EQ(planPostProcessing({2, 0.5f, 500}, Shape{0, 0, 0}).effective.zSmooth, 2);
}
