// Post-processing calibration: every score equals applying the setting and measuring, the
// best setting is found, and the model file takes the choice.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <random>

#include "../base/TestSupport.h"
#include "core/base/Error.h"
#include "core/engine/Calibration.h"
#include "core/engine/ModelFile.h"
#include "core/engine/Segmenter.h"
#include "core/engine/Trainer.h"
#include "core/metrics/Metrics.h"
#include "SyntheticData.h"

using namespace mitoseg;
using mitoseg::test::ScratchDir;

namespace {

/// Blobs of truth, blurred into noisy probabilities with specks and a flickering slice.
void makeProblem(VolumeF32& prob, VolumeU8& truth)
{
    const Shape s{9, 24, 28};
    prob = VolumeF32(s);
    truth = VolumeU8(s);
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> u(0, 1);
    for (std::int64_t z = 0; z < s.depth; ++z)
        for (std::int64_t y = 0; y < s.height; ++y)
            for (std::int64_t x = 0; x < s.width; ++x) {
                bool a = (y - 8) * (y - 8) + (x - 9) * (x - 9) < 30, b = (y - 16) * (y - 16) + (x - 20) * (x - 20) < 16 && z > 2;
                truth(z, y, x) = a || b;
                float p = (a || b) ? 0.55f + 0.4f * u(rng) : 0.45f * u(rng);
                if (u(rng) < 0.01f)
                    p = 0.9f;   // specks
                if (z == 4 && (a || b) && u(rng) < 0.5f)
                    p = 0.2f;   // a bad slice
                prob(z, y, x) = p;
            }
}

}  // namespace

TEST(Calibration, EveryScoreEqualsApplyingTheSettingAndMeasuring)
{
    VolumeF32 prob;
    VolumeU8 truth;
    makeProblem(prob, truth);
    CalibrationGrid grid;
    grid.zSmooth = {0, 1, 2};
    grid.thresholds = {0.4f, 0.5f, 0.6f};
    grid.minObjectVoxels = {0, 3, 50};
    auto entries = calibratePostProcessing(prob, truth, 2, 7, grid);
    ASSERT_EQ(entries.size(), 27u);
    for (std::size_t i = 1; i < entries.size(); ++i)
        EXPECT_GE(entries[i - 1].iou, entries[i].iou);
    for (const auto& e : entries) {
        StackPrediction p{prob, VolumeU8(prob.shape())};
        postProcessBinary(p, e.settings.zSmooth, e.settings.threshold, e.settings.minObjectVoxels);
        EXPECT_NEAR(overlapScores(p.labels, truth, 2, 2, 7).foregroundIoU, e.iou, 1e-12)
            << e.settings.zSmooth << " " << e.settings.threshold << " " << e.settings.minObjectVoxels;
    }
    // Smoothing mends the bad slice and dropping specks helps: the best uses both.
    EXPECT_GT(entries.front().settings.zSmooth, 0);
    EXPECT_GT(entries.front().settings.minObjectVoxels, 0);
    EXPECT_THROW(calibratePostProcessing(prob, truth, 5, 9, grid), Error);
    EXPECT_THROW(calibratePostProcessing(prob, VolumeU8(Shape{9, 24, 27}), 0, 1, grid), Error);
}

TEST(Calibration, FoldsAreScoredAloneRankedByTheirMeanAndEstimatedOnTheOthers)
{
    VolumeF32 prob;
    VolumeU8 truth;
    makeProblem(prob, truth);
    CalibrationGrid grid;
    grid.zSmooth = {0, 1, 2};
    grid.thresholds = {0.4f, 0.5f, 0.6f};
    grid.minObjectVoxels = {0, 3, 50};
    const std::vector<SliceRange> folds{{0, 3}, {4, 8}};
    auto entries = calibratePostProcessing(prob, truth, folds, grid);
    ASSERT_EQ(entries.size(), 27u);
    auto a = calibratePostProcessing(prob, truth, 0, 3, grid), b = calibratePostProcessing(prob, truth, 4, 8, grid);
    auto find = [](const std::vector<CalibrationEntry>& es, const PostProcessing& s) {
        for (const auto& e : es)
            if (e.settings.zSmooth == s.zSmooth && e.settings.threshold == s.threshold && e.settings.minObjectVoxels == s.minObjectVoxels)
                return e;
        ADD_FAILURE() << "setting missing";
        return CalibrationEntry{};
    };
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const auto& e = entries[i];
        ASSERT_EQ(e.foldIoU.size(), 2u);
        // Each fold's score is the single-range calibration's, objects counted over the whole volume.
        EXPECT_NEAR(e.foldIoU[0], find(a, e.settings).iou, 1e-12);
        EXPECT_NEAR(e.foldIoU[1], find(b, e.settings).iou, 1e-12);
        EXPECT_NEAR(e.iou, (e.foldIoU[0] + e.foldIoU[1]) / 2, 1e-12);
        if (i > 0) {
            EXPECT_GE(entries[i - 1].iou, e.iou);
        }
    }
    // Held out: fold 0 gets the IoU there of the best setting on fold 1, and the other way round.
    const std::vector<double> held = heldOutFoldIoU(entries);
    ASSERT_EQ(held.size(), 2u);
    EXPECT_NEAR(held[0], find(entries, b.front().settings).foldIoU[0], 1e-12);
    EXPECT_NEAR(held[1], find(entries, a.front().settings).foldIoU[1], 1e-12);
    EXPECT_LE(held[0], a.front().iou);   // no better than choosing on the fold itself
    EXPECT_LE(held[1], b.front().iou);
    EXPECT_TRUE(heldOutFoldIoU(a).empty());
    EXPECT_THROW(calibratePostProcessing(prob, truth, std::vector<SliceRange>{}, grid), Error);
    EXPECT_THROW(calibratePostProcessing(prob, truth, std::vector<SliceRange>{{0, 3}, {7, 9}}, grid), Error);
}

// Folds scored by models of their own (here: the problem's probabilities for one fold, and a
// second "model" that misses slice 6 for the other) join into one ranking by the mean, entry
// by entry of the grid: each fold keeps its own model's scores.
TEST(Calibration, FoldCalibrationsOfTheirOwnModelsJoinByTheMean)
{
    VolumeF32 prob;
    VolumeU8 truth;
    makeProblem(prob, truth);
    CalibrationGrid grid;
    grid.zSmooth = {0, 1};
    grid.thresholds = {0.4f, 0.6f};
    grid.minObjectVoxels = {0, 50};
    VolumeF32 other = prob;
    std::fill(other.slice(6), other.slice(6) + prob.shape().sliceVoxels(), 0.0f);
    auto a = calibratePostProcessing(prob, truth, 0, 3, grid), b = calibratePostProcessing(other, truth, 4, 8, grid);
    auto joined = joinFoldCalibrations({a, b});
    ASSERT_EQ(joined.size(), 8u);
    for (std::size_t i = 0; i < joined.size(); ++i) {
        const auto& e = joined[i];
        ASSERT_EQ(e.foldIoU.size(), 2u);
        for (const auto* list : {&a, &b}) {
            const std::size_t f = list == &a ? 0 : 1;
            auto it = std::find_if(list->begin(), list->end(), [&](const CalibrationEntry& x) { return x.gridIndex == e.gridIndex; });
            ASSERT_NE(it, list->end());
            EXPECT_EQ(it->settings.zSmooth, e.settings.zSmooth);
            EXPECT_EQ(it->settings.minObjectVoxels, e.settings.minObjectVoxels);
            EXPECT_NEAR(e.foldIoU[f], it->iou, 1e-12);
        }
        EXPECT_NEAR(e.iou, (e.foldIoU[0] + e.foldIoU[1]) / 2, 1e-12);
        if (i > 0) {
            EXPECT_GE(joined[i - 1].iou, e.iou);
        }
    }
    EXPECT_EQ(heldOutFoldIoU(joined).size(), 2u);
    // Lists that are not one fold each of one grid are refused.
    EXPECT_THROW(joinFoldCalibrations({}), Error);
    EXPECT_THROW(joinFoldCalibrations({a, calibratePostProcessing(prob, truth, std::vector<SliceRange>{{0, 3}, {4, 8}}, grid)}), Error);
    CalibrationGrid smaller = grid;
    smaller.minObjectVoxels = {0};
    EXPECT_THROW(joinFoldCalibrations({a, calibratePostProcessing(prob, truth, 4, 8, smaller)}), Error);
}

TEST(Calibration, WritesTheChosenSettingsIntoACopyOfTheModel)
{
    ScratchDir dir;
    auto s = test::makeDiscs(4, 32, 32, 1);
    TrainConfig c;
    c.arch = UNetConfig::fromPreset("tiny");
    c.steps = 2;
    c.patch = 32;
    c.threads = 1;
    c.bf16 = false;
    c.outModel = dir / "m.msm";
    train(c, TrainData{&s.image, nullptr, &s.labels, {}, -1, -1}, {}, CancelToken{});
    writeModelPostProcessing(dir / "m.msm", dir / "cal.msm", PostProcessing{2, 0.65f, 1234}, "unit test z 1-2");
    // Keep the segmenter alive while its info is used (info() refers into it).
    const auto calibrated = Segmenter::load(dir / "cal.msm");
    const ModelInfo& info = calibrated->info();
    EXPECT_EQ(info.zSmooth, 2);
    EXPECT_FLOAT_EQ(info.threshold, 0.65f);
    EXPECT_EQ(info.minObjectVoxels, 1234);
    EXPECT_EQ(readModelContainer(dir / "cal.msm").header.string("post_processing_chosen_on", ""), "unit test z 1-2");
    EXPECT_EQ(Segmenter::load(dir / "m.msm")->info().minObjectVoxels, 0);   // the original is untouched
    // Out-of-range settings and files that are not models are refused; nothing is written.
    EXPECT_THROW(writeModelPostProcessing(dir / "m.msm", dir / "bad.msm", PostProcessing{2, 1.5f, 0}, ""), IoError);
    EXPECT_FALSE(std::filesystem::exists(dir / "bad.msm"));
    std::ofstream(dir / "junk.msm") << "not a model";
    EXPECT_THROW(writeModelPostProcessing(dir / "junk.msm", dir / "out.msm", PostProcessing{}, ""), IoError);
    EXPECT_FALSE(std::filesystem::exists(dir / "out.msm"));
}
