// Training end to end on tiny synthetic problems (torch-free: through Trainer.h/Segmenter.h).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "../base/TestSupport.h"
#include "SyntheticData.h"
#include "core/base/AtomicFile.h"
#include "core/base/Error.h"
#include "core/engine/ComputePrecision.h"
#include "core/engine/Segmenter.h"
#include "core/engine/PatchSampler.h"
#include "core/engine/Trainer.h"
#include "core/metrics/Metrics.h"

using namespace mitoseg;
using mitoseg::test::ScratchDir;

namespace {

TrainConfig tinyConfig(std::int64_t steps)
{
    TrainConfig c;
    c.arch = UNetConfig::fromPreset("tiny");
    c.arch.base = 8;
    c.steps = steps;
    c.batch = 4;
    c.patch = 32;
    c.learningRate = 1e-2;
    c.warmupSteps = 5;
    c.threads = 1;
    c.validateEvery = 1000000;
    c.bf16 = false;
    c.channelsLast = false;
    return c;
}

PredictOptions exactOptions()
{
    PredictOptions o;
    o.bf16 = false;
    o.channelsLast = false;
    o.threads = 1;
    return o;
}

double foregroundIoU(const VolumeU8& pred, const VolumeU8& truth, std::int64_t z0, std::int64_t z1)
{
    return overlapScores(pred, truth, 2, z0, z1).foregroundIoU;
}

}  // namespace

TEST(Trainer, BinaryOverfitRaisesValidationIoUAndWritesModel)
{
    ScratchDir dir;
    auto s = test::makeDiscs(6, 48, 48, 1);
    TrainConfig c = tinyConfig(120);
    c.outModel = dir / "m.msm";
    c.validateEvery = 40;
    c.checkpointDir = dir / "ck";
    c.keepSnapshots = true;
    TrainData d{&s.image, nullptr, &s.labels, {}, 5, 5};
    TrainResult r = train(c, d, {}, CancelToken{});
    ASSERT_EQ(r.steps, 120);
    ASSERT_EQ(r.validationCurve.size(), 3u);
    for (const auto& [step, iou] : r.validationCurve) {   // one snapshot per validation, with its score
        auto snap = Segmenter::load(dir / "ck" / ("model-step" + std::to_string(step) + ".msm"));
        EXPECT_EQ(snap->info().steps, step);
        EXPECT_DOUBLE_EQ(snap->info().validationIoU, iou);
    }
    double firstLoss = (r.losses[0] + r.losses[1] + r.losses[2]) / 3, lastLoss = (r.losses[117] + r.losses[118] + r.losses[119]) / 3;
    EXPECT_LT(lastLoss, 0.5 * firstLoss);
    EXPECT_GT(r.bestValIoU, 0.7);
    auto seg = Segmenter::load(c.outModel);
    EXPECT_EQ(seg->info().steps, r.bestStep);
    EXPECT_NEAR(seg->info().validationIoU, r.bestValIoU, 1e-9);
    StackPrediction p = seg->predictStack(s.image, exactOptions());
    EXPECT_NEAR(foregroundIoU(p.labels, s.labels, 5, 5), r.bestValIoU, 1e-6);
}

TEST(Trainer, MulticlassLearnsBothClasses)
{
    auto s = test::makeDiscs(6, 48, 48, 2, true);
    TrainConfig c = tinyConfig(150);
    c.arch.classes = 3;
    c.validateEvery = 150;
    TrainData d{&s.image, nullptr, &s.labels, {}, 5, 5};
    TrainResult r = train(c, d, {}, CancelToken{});
    ASSERT_EQ(r.validationCurve.size(), 1u);
    EXPECT_GT(r.bestValIoU, 0.5);   // mean IoU of classes 1 and 2
    double firstLoss = (r.losses[0] + r.losses[1] + r.losses[2]) / 3, lastLoss = (r.losses[147] + r.losses[148] + r.losses[149]) / 3;
    EXPECT_LT(lastLoss, 0.5 * firstLoss);
}

TEST(Trainer, PartlyLabelledStackIgnoresUnlabelledSlices)
{
    ScratchDir dir;
    auto s = test::makeDiscs(8, 48, 48, 3);
    VolumeU8 labels = s.labels;
    for (std::int64_t z = 3; z < 8; ++z)   // unlabelled slices carry the inverted (wrong) mask
        for (std::int64_t i = 0; i < labels.shape().sliceVoxels(); ++i)
            labels.slice(z)[i] = labels.slice(z)[i] ? 0 : 1;
    TrainConfig c = tinyConfig(120);
    c.outModel = dir / "m.msm";
    TrainData d{&s.image, nullptr, &labels, {0, 1, 2}, -1, -1};
    train(c, d, {}, CancelToken{});
    auto seg = Segmenter::load(c.outModel);
    StackPrediction p = seg->predictStack(s.image, exactOptions());
    EXPECT_GT(foregroundIoU(p.labels, s.labels, 3, 7), 0.7);    // the true discs
    EXPECT_LT(foregroundIoU(p.labels, labels, 3, 7), 0.2);      // not the contradicting masks
}

TEST(Trainer, ResumeContinuesExactlyLikeAnUninterruptedRun)
{
    ScratchDir dir;
    auto s = test::makeDiscs(6, 48, 48, 4);
    TrainData d{&s.image, nullptr, &s.labels, {}, 5, 5};
    TrainConfig c = tinyConfig(16);
    c.validateEvery = 6;
    TrainResult full = train(c, d, {}, CancelToken{});

    c.checkpointDir = dir.path();
    CancelToken cancel;
    TrainResult first = train(c, d, [&](const TrainProgress& p) { if (p.step == 9) cancel.cancel(); }, cancel);
    ASSERT_TRUE(first.cancelled);
    ASSERT_EQ(first.steps, 9);
    c.resumeFrom = dir / "checkpoint.msc";
    TrainResult second = train(c, d, {}, CancelToken{});
    ASSERT_EQ(second.steps, 16);
    std::vector<double> joined = first.losses;
    joined.insert(joined.end(), second.losses.begin(), second.losses.end());
    ASSERT_EQ(joined.size(), full.losses.size());
    for (std::size_t i = 0; i < joined.size(); ++i)
        EXPECT_DOUBLE_EQ(joined[i], full.losses[i]) << "step " << i + 1;
    EXPECT_EQ(second.validationCurve, full.validationCurve);
}

TEST(Trainer, ResumeRejectsADifferentArchitecture)
{
    ScratchDir dir;
    auto s = test::makeDiscs(4, 32, 32, 5);
    TrainData d{&s.image, nullptr, &s.labels, {}, -1, -1};
    TrainConfig c = tinyConfig(2);
    c.checkpointDir = dir.path();
    train(c, d, {}, CancelToken{});
    c.arch.base = 6;
    c.resumeFrom = dir / "checkpoint.msc";
    c.steps = 4;
    EXPECT_THROW(train(c, d, {}, CancelToken{}), IoError);
}

// A resumed run that asks for another loss or sampling would go on silently as another recipe:
// it is refused, naming the option. Extending the run (--steps) stays allowed.
TEST(Trainer, ResumeRejectsDifferentStepSettingsButAllowsMoreSteps)
{
    ScratchDir dir;
    auto s = test::makeDiscs(4, 32, 32, 5);
    TrainData d{&s.image, nullptr, &s.labels, {}, -1, -1};
    TrainConfig c = tinyConfig(2);
    c.boundaryWeight = 3;
    c.checkpointDir = dir.path();
    train(c, d, {}, CancelToken{});
    TrainConfig resume = c;
    resume.resumeFrom = dir / "checkpoint.msc";
    resume.steps = 3;
    resume.boundaryWeight = 0;
    try {
        train(resume, d, {}, CancelToken{});
        ADD_FAILURE() << "resumed with another --boundary-weight";
    } catch (const IoError& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("--boundary-weight 3"), std::string::npos) << what;
        EXPECT_NE(what.find("checkpoint.msc"), std::string::npos) << what;
    }
    resume.boundaryWeight = 3;
    resume.foregroundFraction = c.foregroundFraction + 0.2;
    EXPECT_THROW(train(resume, d, {}, CancelToken{}), IoError);
    resume.foregroundFraction = c.foregroundFraction;
    EXPECT_EQ(train(resume, d, {}, CancelToken{}).steps, 3);
}

TEST(Trainer, CancelStopsPromptly)
{
    auto s = test::makeDiscs(4, 64, 64, 6);
    TrainConfig c = tinyConfig(1000000);
    c.patch = 64;
    TrainData d{&s.image, nullptr, &s.labels, {}, -1, -1};
    CancelToken cancel;
    std::thread stopper([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        cancel.cancel();
    });
    auto t0 = std::chrono::steady_clock::now();
    TrainResult r = train(c, d, {}, cancel);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    stopper.join();
    EXPECT_TRUE(r.cancelled);
    EXPECT_LT(r.steps, 1000000);
    EXPECT_LT(secs, 5.0);
}

TEST(Trainer, RejectsMismatchedShapesAndNothingToTrainOn)
{
    auto s = test::makeDiscs(4, 32, 32, 7);
    VolumeU8 wrong(Shape{4, 32, 16});
    TrainConfig c = tinyConfig(1);
    EXPECT_THROW(train(c, TrainData{&s.image, nullptr, &wrong, {}, -1, -1}, {}, CancelToken{}), Error);
    EXPECT_THROW(train(c, TrainData{&s.image, nullptr, &s.labels, {3}, 3, 3}, {}, CancelToken{}), Error);
    EXPECT_THROW(train(c, TrainData{&s.image, nullptr, &s.labels, {}, 2, 9}, {}, CancelToken{}), Error);
}

TEST(Trainer, ParseIndexList)
{
    EXPECT_EQ(parseIndexList("0-3,7,5"), (std::vector<std::int64_t>{0, 1, 2, 3, 5, 7}));
    EXPECT_EQ(parseIndexList("2,2,1-2"), (std::vector<std::int64_t>{1, 2}));
    EXPECT_THROW(parseIndexList("3-1"), Error);
    EXPECT_THROW(parseIndexList("a"), Error);
    EXPECT_THROW(parseIndexList(""), Error);
}

TEST(Trainer, InitFromAModelStartsFromItsWeightsAndCanAddContext)
{
    ScratchDir dir;
    auto s = test::makeDiscs(6, 48, 48, 1);
    TrainConfig c = tinyConfig(80);
    c.outModel = dir / "base.msm";
    TrainData d{&s.image, nullptr, &s.labels, {}, 5, 5};
    c.validateEvery = 80;
    TrainResult base = train(c, d, {}, CancelToken{});
    ASSERT_GT(base.bestValIoU, 0.5);

    // Fine-tuning starts where the model left off: its first losses are far below a fresh run's.
    TrainConfig fresh = tinyConfig(3);
    TrainResult freshRun = train(fresh, d, {}, CancelToken{});
    TrainConfig tune = tinyConfig(3);
    tune.initFrom = c.outModel;
    tune.arch = UNetConfig::fromPreset("fast");   // replaced by the model's architecture
    tune.outModel = dir / "tuned.msm";
    tune.validateEvery = 3;
    TrainResult tuned = train(tune, d, {}, CancelToken{});
    EXPECT_LT(tuned.losses[0], 0.5 * freshRun.losses[0]);
    auto seg = Segmenter::load(tune.outModel);
    EXPECT_EQ(seg->info().preset, "tiny");
    EXPECT_GT(tuned.bestValIoU, 0.5);

    // 2D -> 2.5D: with the neighbours' weights zero, the first step sees the same function.
    TrainConfig ctx = tinyConfig(1);
    ctx.initFrom = c.outModel;
    ctx.arch.inChannels = 3;
    ctx.learningRate = 1e-9;
    ctx.outModel = dir / "ctx.msm";
    ctx.validateEvery = 1;
    TrainResult r3 = train(ctx, d, {}, CancelToken{});
    EXPECT_NEAR(r3.bestValIoU, base.bestValIoU, 0.02);
    EXPECT_EQ(Segmenter::load(ctx.outModel)->info().preset, "tiny");
    TrainConfig ctxTrained = tinyConfig(10);   // neighbours' weights now matter
    ctxTrained.initFrom = c.outModel;
    ctxTrained.arch.inChannels = 3;
    ctxTrained.outModel = dir / "ctx10.msm";
    train(ctxTrained, TrainData{&s.image, nullptr, &s.labels, {}, -1, -1}, {}, CancelToken{});
    auto seg3 = Segmenter::load(ctxTrained.outModel);
    EXPECT_EQ(seg3->info().contextSlices, 1);
    // inChannels 0 keeps the model's input slices; without validation, snapshots still follow the run.
    TrainConfig keep = tinyConfig(4);
    keep.initFrom = ctxTrained.outModel;
    keep.arch.inChannels = 0;
    keep.validateEvery = 2;
    keep.checkpointDir = dir / "keep";
    keep.keepSnapshots = true;
    keep.outModel = dir / "keep.msm";
    TrainResult kept = train(keep, TrainData{&s.image, nullptr, &s.labels, {}, -1, -1}, {}, CancelToken{});
    EXPECT_TRUE(kept.validationCurve.empty());
    EXPECT_EQ(Segmenter::load(keep.outModel)->info().contextSlices, 1);
    for (int step : {2, 4})
        EXPECT_EQ(Segmenter::load(dir / "keep" / ("model-step" + std::to_string(step) + ".msm"))->info().steps, step);
    EXPECT_FALSE(std::filesystem::exists(dir / "keep" / "model-step3.msm"));

    // One slice with its real neighbours equals that slice of a whole-stack prediction.
    PredictOptions o = exactOptions();
    o.zSmooth = 0;
    o.minObjectVoxels = 0;
    StackPrediction whole = seg3->predictStack(s.image, o);
    const std::int64_t H = s.image.height(), W = s.image.width();
    std::vector<std::vector<float>> raw(3, std::vector<float>(static_cast<std::size_t>(H * W)));
    for (int k = 0; k < 3; ++k)
        for (std::int64_t i = 0; i < H * W; ++i)
            raw[static_cast<std::size_t>(k)][static_cast<std::size_t>(i)] = s.image.slice(1 + k)[i];
    SlicePrediction one = seg3->predictSliceWithContext({raw[0].data(), raw[1].data(), raw[2].data()}, H, W, o);
    for (std::int64_t i = 0; i < H * W; ++i)
        ASSERT_FLOAT_EQ(one.probability(1, i), whole.probability.slice(2)[i]) << i;
    EXPECT_THROW(seg3->predictSliceWithContext({raw[1].data()}, H, W, o), Error);
    SlicePrediction alone = seg3->predictSlice(raw[1].data(), H, W, o);   // no real neighbours
    EXPECT_NE(alone.probabilities, one.probabilities);

    // Fewer input slices than the model reads, or a file that is not a model: clear errors.
    TrainConfig narrow = tinyConfig(1);
    narrow.initFrom = ctx.outModel;
    EXPECT_THROW(train(narrow, d, {}, CancelToken{}), Error);
    TrainConfig missing = tinyConfig(1);
    missing.initFrom = dir / "nope.msm";
    EXPECT_THROW(train(missing, d, {}, CancelToken{}), IoError);
}

TEST(Segmenter, PostProcessThresholdsThenDropsSmallObjects)
{
    StackPrediction p{VolumeF32(Shape{3, 4, 4}), VolumeU8(Shape{3, 4, 4})};
    for (int z = 0; z < 3; ++z)
        for (int y = 0; y < 2; ++y)
            for (int x = 0; x < 2; ++x)
                p.probability(z, y, x) = 0.8f;   // a 12-voxel column
    p.probability(1, 3, 3) = 0.95f;              // a one-voxel speck
    p.probability(1, 3, 0) = 0.55f;              // below a 0.6 threshold
    postProcessBinary(p, 0, 0.6f, 0);
    EXPECT_EQ(p.labels(1, 3, 3), 1);
    EXPECT_EQ(p.labels(1, 3, 0), 0);
    EXPECT_EQ(p.labels(2, 1, 1), 1);
    postProcessBinary(p, 0, 0.5f, 2);
    EXPECT_EQ(p.labels(1, 3, 3), 0);             // speck dropped
    EXPECT_EQ(p.labels(1, 3, 0), 0);             // 0.55 passes 0.5 but is a single voxel
    EXPECT_EQ(p.labels(0, 0, 0), 1);
    EXPECT_FLOAT_EQ(p.probability(1, 3, 3), 0.95f);   // probabilities are kept
}

TEST(Segmenter, SmoothAlongZAveragesNeighbourSlicesAndRethresholds)
{
    StackPrediction p{VolumeF32(Shape{3, 1, 2}), VolumeU8(Shape{3, 1, 2})};
    const float probs[3][2] = {{0.9f, 0.1f}, {0.3f, 0.1f}, {0.9f, 0.4f}};
    for (int z = 0; z < 3; ++z)
        for (int x = 0; x < 2; ++x)
            p.probability(z, 0, x) = probs[z][x];
    smoothAlongZ(p, 1, 0.5f);
    EXPECT_FLOAT_EQ(p.probability(0, 0, 0), 0.6f);          // (0.9 + 0.3) / 2
    EXPECT_FLOAT_EQ(p.probability(1, 0, 0), 0.7f);          // (0.9 + 0.3 + 0.9) / 3
    EXPECT_FLOAT_EQ(p.probability(2, 0, 1), 0.25f);         // (0.1 + 0.4) / 2
    EXPECT_EQ(p.labels(1, 0, 0), 1);                        // 0.3 alone would be background
    EXPECT_EQ(p.labels(2, 0, 1), 0);
}

TEST(Trainer, TimeBudgetStopsTheRunAndSavesTheModel)
{
    ScratchDir dir;
    auto s = test::makeDiscs(4, 48, 48, 2);
    TrainConfig c = tinyConfig(1000000);
    c.maxSeconds = 1.0;
    c.outModel = dir / "m.msm";
    TrainData d{&s.image, nullptr, &s.labels, {}, -1, -1};
    std::int64_t lastTotal = 0;
    double lastEta = -1;
    TrainResult r = train(c, d, [&](const TrainProgress& p) { lastTotal = p.totalSteps; lastEta = p.etaSeconds; }, CancelToken{});
    EXPECT_TRUE(r.outOfTime);
    EXPECT_GT(r.steps, 2);
    EXPECT_LT(r.seconds, 1.0 + 0.5);
    EXPECT_EQ(lastTotal, r.steps);   // the estimate of the total shrinks to the steps done
    EXPECT_EQ(lastEta, 0.0);
    EXPECT_EQ(Segmenter::load(c.outModel)->info().steps, r.steps);
}

TEST(Trainer, PauseGateHoldsTheRunBetweenStepsAndPausedTimeIsNotBudget)
{
    auto s = test::makeDiscs(4, 48, 48, 1);
    TrainConfig c = tinyConfig(1000000);
    c.maxSeconds = 1.0;
    auto gate = std::make_shared<PauseGate>();
    c.pause = gate.get();
    std::atomic<std::int64_t> steps{0};
    TrainData d{&s.image, nullptr, &s.labels, {}, -1, -1};
    auto held = PauseGate::hold(gate);   // paused before the first step
    TrainResult r;
    std::thread worker([&] { r = train(c, d, [&](const TrainProgress& p) { steps = p.step; }, CancelToken{}); });
    // The run parks in the gate and makes no step while paused, however long.
    for (int i = 0; i < 500 && !gate->waiting(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    ASSERT_TRUE(gate->waiting());
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));   // longer than the whole budget
    EXPECT_EQ(steps.load(), 0);
    held.reset();                                                      // resumes
    worker.join();
    EXPECT_FALSE(gate->paused());
    EXPECT_TRUE(r.outOfTime);
    EXPECT_GT(r.steps, 3);   // the budget was still there after the pause
}

TEST(Trainer, ExplicitValidationSlicesAreHeldOutAndScored)
{
    auto s = test::makeDiscs(6, 48, 48, 1);
    TrainConfig c = tinyConfig(12);
    c.validateEvery = 6;
    TrainData d{&s.image, nullptr, &s.labels, {0, 1, 2, 4}, -1, -1};
    d.valSlices = {4, 1};
    TrainResult r = train(c, d, {}, CancelToken{});
    EXPECT_EQ(r.validationCurve.size(), 2u);
    EXPECT_GE(r.bestValIoU, 0.0);
    d.valSlices = {0, 1, 2, 4};   // nothing left to train on
    EXPECT_THROW(train(c, d, {}, CancelToken{}), Error);
    d.valSlices = {6};
    EXPECT_THROW(train(c, d, {}, CancelToken{}), Error);
}

// Issue #13 item 10: a checkpoint write that fails (disk full, injected through the product's
// commit hook) is reported, leaves the last good checkpoint in place, and training goes on to
// the end and writes its model.
TEST(Trainer, FailedCheckpointWritesAreReportedAndTrainingGoesOn)
{
    ScratchDir dir;
    auto s = test::makeDiscs(4, 32, 32, 5);
    TrainData d{&s.image, nullptr, &s.labels, {}, -1, -1};
    TrainConfig c = tinyConfig(6);
    c.checkpointDir = dir / "ckpt";
    c.checkpointSeconds = 0;   // a checkpoint after every step
    c.outModel = dir / "m.msm";
    int checkpoints = 0;
    setCommitFailureForTesting([&](const std::filesystem::path& target) {
        return target.filename() == "checkpoint.msc" && ++checkpoints > 2;   // the disk fills after two
    });
    std::vector<std::string> warnings;
    TrainResult r;
    try {
        r = train(c, d, [&](const TrainProgress& p) { if (!p.warning.empty()) warnings.push_back(p.warning); }, CancelToken{});
    } catch (...) {
        setCommitFailureForTesting(nullptr);
        throw;
    }
    setCommitFailureForTesting(nullptr);
    EXPECT_EQ(r.steps, 6);
    EXPECT_EQ(r.failedWrites, 4);
    ASSERT_EQ(warnings.size(), 4u);
    EXPECT_NE(warnings[0].find("checkpoint.msc"), std::string::npos) << warnings[0];
    EXPECT_NE(warnings[0].find("No space left"), std::string::npos) << warnings[0];
    EXPECT_NE(r.lastWriteError.find("checkpoint.msc"), std::string::npos);
    EXPECT_TRUE(std::filesystem::exists(c.outModel));
    // The checkpoint on disk is the last good one (step 2), and a run resumes from it.
    int files = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(c.checkpointDir))
        ++files;
    EXPECT_EQ(files, 1) << "no temporary files left";
    TrainConfig resume = tinyConfig(3);
    resume.resumeFrom = c.checkpointDir / "checkpoint.msc";
    EXPECT_EQ(train(resume, d, {}, CancelToken{}).steps, 3);
}

// Outputs that cannot be written fail before the first step, not after the training time.
TEST(Trainer, UnwritableOutputsFailBeforeTraining)
{
    ScratchDir dir;
    auto s = test::makeDiscs(4, 32, 32, 5);
    TrainData d{&s.image, nullptr, &s.labels, {}, -1, -1};
    TrainConfig c = tinyConfig(1000000);
    c.maxSeconds = 5;   // bounded even where the check is missing
    c.outModel = dir / "missing" / "m.msm";
    int steps = 0;
    EXPECT_THROW(train(c, d, [&](const TrainProgress&) { ++steps; }, CancelToken{}), IoError);
    EXPECT_EQ(steps, 0);
}

// 8-bit images take a table of the 256 intensity changes instead of a pow per pixel; the
// patches must be the ones the general (float) path draws from the same pixels, bit for bit,
// with every augmentation on and 2.5D context.
TEST(PatchSampler, EightBitTableDrawsThePatchesOfTheGeneralPath)
{
    auto s = test::makeDiscs(6, 48, 48, 7);
    s.image(0, 0, 0) = 255;   // so the float copy's maximum (its intensity scale) is 255 too
    VolumeF32 asFloat(s.image.shape());
    for (std::int64_t i = 0; i < s.image.shape().voxels(); ++i)
        asFloat.values()[static_cast<std::size_t>(i)] = static_cast<float>(s.image.values()[static_cast<std::size_t>(i)]);
    TrainConfig c = tinyConfig(1);
    c.arch.inChannels = 5;   // two neighbours a side, clamped at the stack's ends
    ASSERT_TRUE(c.augmentIntensity && c.augmentGeometry);
    const TrainData u8{&s.image, nullptr, &s.labels, {}, -1, -1};
    const TrainData f32{nullptr, &asFloat, &s.labels, {}, -1, -1};
    const Normalisation norm{70.0, 25.0};
    PatchSampler a(c, u8, {0, 1, 2, 3, 4, 5}, norm, 32), b(c, f32, {0, 1, 2, 3, 4, 5}, norm, 32);
    std::vector<float> inA, inB;
    std::vector<std::uint8_t> tgA, tgB;
    for (int step = 0; step < 3; ++step) {
        a.sample(4, inA, tgA);
        b.sample(4, inB, tgB);
        ASSERT_EQ(inA.size(), static_cast<std::size_t>(4 * 5 * 32 * 32));
        EXPECT_EQ(inA, inB) << "step " << step;
        EXPECT_EQ(tgA, tgB) << "step " << step;
        a.sampleIndexed(step, 2, 3, inA, tgA);
        b.sampleIndexed(step, 2, 3, inB, tgB);
        EXPECT_EQ(inA, inB) << "indexed, step " << step;
    }
    // The patches compared are augmented: un-normalised, most values are no longer whole
    // pixel values (without the intensity changes every one is).
    std::size_t changed = 0;
    for (float v : inA) {
        const double raw = static_cast<double>(v) * norm.std + norm.mean;
        changed += std::abs(raw - std::round(raw)) > 1e-3;
    }
    EXPECT_GT(changed, inA.size() / 2);
}

// Validation predicts as `mitoseg predict` will: with validateInt8, the IoU it reports is the
// one int8 prediction of the written model gives on those slices (calibrated on three of them),
// and without it the float32 one; the two differ on this barely trained network, so the test
// tells which path validated.
TEST(Trainer, Int8ValidationScoresWhatInt8PredictionOfTheWrittenModelGives)
{
    if (!int8Unavailable().empty())
        GTEST_SKIP() << int8Unavailable();   // FastPathInt8 tests check the refusal
    ScratchDir dir;
    auto s = test::makeDiscs(8, 48, 48, 3);
    const std::vector<std::int64_t> val = {5, 6, 7};
    auto trainWith = [&](bool int8) {
        TrainConfig c = tinyConfig(6);
        c.arch.inChannels = 3;
        c.validateInt8 = int8;
        c.outModel = dir.path() / (int8 ? "int8.msm" : "fp32.msm");
        TrainData d{&s.image, nullptr, &s.labels, {}, -1, -1};
        d.valSlices = val;
        return train(c, d, {}, CancelToken{}).bestValIoU;
    };
    // IoU of the model's labels at 0.5 over the validation slices, each with its neighbours.
    auto predictedIoU = [&](const std::filesystem::path& model, bool int8) {
        auto seg = Segmenter::load(model);
        std::vector<std::vector<float>> raw;
        for (std::int64_t z = 0; z < 8; ++z)
            raw.emplace_back(s.image.slice(z), s.image.slice(z) + 48 * 48);
        Int8Calibration cal{3, 3, 48, 48, {}};
        for (std::int64_t z : val)
            for (std::int64_t k = -1; k <= 1; ++k) {
                const auto& r = raw[static_cast<std::size_t>(std::clamp<std::int64_t>(z + k, 0, 7))];
                cal.raw.insert(cal.raw.end(), r.begin(), r.end());
            }
        seg->setInt8Calibration(cal);
        PredictOptions o = exactOptions();
        o.int8 = int8;
        o.channelsLast = true;   // as validation runs
        double inter = 0, uni = 0;
        for (std::int64_t z : val) {
            std::vector<const float*> ctx;
            for (std::int64_t k = -1; k <= 1; ++k)
                ctx.push_back(raw[static_cast<std::size_t>(std::clamp<std::int64_t>(z + k, 0, 7))].data());
            SlicePrediction p = seg->predictSliceWithContext(ctx, 48, 48, o);
            for (std::size_t i = 0; i < p.labels.size(); ++i) {
                const bool a = p.labels[i] != 0, b = s.labels.slice(z)[i] != 0;
                inter += a && b;
                uni += a || b;
            }
        }
        return inter / uni;
    };
    const double int8Val = trainWith(true), fp32Val = trainWith(false);
    const double int8Pred = predictedIoU(dir.path() / "int8.msm", true), fp32Pred = predictedIoU(dir.path() / "fp32.msm", false);
    ASSERT_NE(int8Pred, fp32Pred) << "the two paths agree here: the test could not tell them apart";
    EXPECT_NEAR(int8Val, int8Pred, 1e-9);
    EXPECT_NEAR(fp32Val, fp32Pred, 1e-9);
}
