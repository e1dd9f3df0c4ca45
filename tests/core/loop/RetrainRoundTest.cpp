// One retraining round end to end on tiny synthetic stacks (torch-free, through RetrainRound.h).
#include <gtest/gtest.h>

#include "../base/TestSupport.h"
#include "../engine/SyntheticData.h"
#include "core/base/Error.h"
#include "core/engine/ModelFile.h"
#include "core/loop/RetrainRound.h"

using namespace mitoseg;
using mitoseg::test::ScratchDir;

namespace {

/// A starting model: a tiny U-Net trained for a few steps only on slices 0-1.
std::filesystem::path weakModel(const ScratchDir& dir, const test::SyntheticStack& s)
{
    TrainConfig c;
    c.arch = UNetConfig::fromPreset("tiny");
    c.arch.base = 8;
    c.steps = 6;
    c.batch = 4;
    c.patch = 32;
    c.learningRate = 1e-2;
    c.warmupSteps = 2;
    c.threads = 1;
    c.validateEvery = 1000000;
    c.bf16 = false;
    c.channelsLast = false;
    c.outModel = dir / "base.msm";
    TrainData d{&s.image, nullptr, &s.labels, {0, 1}, -1, -1};
    train(c, d, {}, CancelToken{});
    return c.outModel;
}

RoundSettings exactSettings(const std::filesystem::path& base, const std::filesystem::path& out, std::int64_t steps)
{
    RoundSettings r;
    r.model = base;
    r.outModel = out;
    r.seconds = 600;     // the step count ends these runs
    r.maxSteps = steps;
    r.batch = 4;
    r.patch = 32;
    r.learningRate = 1e-2;
    r.warmupSteps = 5;
    r.threads = 1;
    r.bf16 = false;
    r.channelsLast = false;
    return r;
}

PredictOptions exactOptions()
{
    PredictOptions o;
    o.bf16 = false;
    o.channelsLast = false;
    o.threads = 1;
    return o;
}

}  // namespace

TEST(RetrainRound, FineTuningOnCorrectedSlicesRaisesTheirIoU)
{
    // The model learnt bright discs on a dark background; the user's stack has them dark on a
    // bright one (another microscope), so it segments them badly until corrected.
    ScratchDir dir;
    const auto base = weakModel(dir, test::makeDiscs(4, 48, 48, 2));
    auto s = test::makeDiscs(8, 48, 48, 3);
    for (auto& v : s.image.values())
        v = static_cast<std::uint8_t>(255 - v);
    RoundData data;
    data.image = &s.image;
    data.labels = &s.labels;
    data.corrected = {2, 3};
    data.replay = {0, 1};
    data.scoreSlices = {6, 7};
    RetrainRound round(exactSettings(base, dir / "round1.msm", 100), data);
    std::vector<RoundProgress> seen;
    RoundReport r = round.run([&](const RoundProgress& p) { seen.push_back(p); }, CancelToken{});
    EXPECT_FALSE(r.cancelled);
    EXPECT_EQ(r.steps, 100);
    EXPECT_EQ(r.trainedOn, (std::vector<std::int64_t>{0, 1, 2, 3}));
    ASSERT_FALSE(seen.empty());
    EXPECT_EQ(seen.front().phase, RoundProgress::Phase::ScoringBefore);
    EXPECT_EQ(seen.back().phase, RoundProgress::Phase::ScoringAfter);

    // On the corrected slices themselves, and on the held-out ones the round scored.
    auto before = Segmenter::load(base), after = Segmenter::load(dir / "round1.msm");
    const double corrBefore = RetrainRound::scoreSlices(*before, data, {2, 3}, exactOptions(), nullptr);
    const double corrAfter = RetrainRound::scoreSlices(*after, data, {2, 3}, exactOptions(), nullptr);
    EXPECT_GT(corrAfter, corrBefore + 0.2) << corrBefore << " -> " << corrAfter;
    EXPECT_GT(corrAfter, 0.6);
    EXPECT_NEAR(r.iouBefore, RetrainRound::scoreSlices(*before, data, {6, 7}, exactOptions(), nullptr), 1e-12);
    EXPECT_NEAR(r.iouAfter, RetrainRound::scoreSlices(*after, data, {6, 7}, exactOptions(), nullptr), 1e-12);
    EXPECT_GT(r.iouAfter, r.iouBefore);
    EXPECT_EQ(after->info().steps, 100);
}

TEST(RetrainRound, KeepsTheModelsPostProcessingAndPredictsTheStack)
{
    ScratchDir dir;
    auto s = test::makeDiscs(6, 48, 48, 4);
    const auto base = weakModel(dir, s);
    ModelContainer c = readModelContainer(base);
    c.header["threshold"] = 0.35;
    c.header["z_smooth"] = 1;
    c.header["min_object_voxels"] = 5;
    writeModelContainer(base, c);
    RoundData data;
    data.image = &s.image;
    data.labels = &s.labels;
    data.corrected = {1};
    data.truth = &s.labels;
    data.scoreSlices = {4, 5};
    RoundSettings settings = exactSettings(base, dir / "r.msm", 20);
    settings.predictStack = true;
    settings.scoreBefore = false;
    settings.firstSlice = 3;
    RoundReport r = RetrainRound(settings, data).run({}, CancelToken{});
    auto m = Segmenter::load(dir / "r.msm");
    EXPECT_FLOAT_EQ(m->info().threshold, 0.35f);
    EXPECT_EQ(m->info().zSmooth, 1);
    EXPECT_EQ(m->info().minObjectVoxels, 5);
    EXPECT_EQ(r.iouBefore, -1);
    ASSERT_EQ(r.prediction.labels.shape(), s.labels.shape());
    EXPECT_GE(r.firstSliceSeconds, 0);
    EXPECT_LE(r.firstSliceSeconds, r.predictSeconds);
    // The reported score is the stack prediction's (with the model's post-processing).
    PredictOptions o = exactOptions();
    StackPrediction again = m->predictStack(s.image, o);
    EXPECT_EQ(again.labels.values(), r.prediction.labels.values());
    double inter = 0, uni = 0;
    for (std::int64_t z : {4, 5})
        for (std::int64_t i = 0; i < 48 * 48; ++i) {
            const bool p = again.labels.slice(z)[i] != 0, t = s.labels.slice(z)[i] != 0;
            inter += p && t;
            uni += p || t;
        }
    EXPECT_NEAR(r.iouAfter, inter / uni, 1e-12);
}

TEST(RetrainRound, TimeBudgetEndsTheRound)
{
    ScratchDir dir;
    auto s = test::makeDiscs(4, 48, 48, 5);
    const auto base = weakModel(dir, s);
    RoundData data;
    data.image = &s.image;
    data.labels = &s.labels;
    data.corrected = {0, 1};
    RoundSettings settings = exactSettings(base, dir / "r.msm", 1000000);
    settings.seconds = 1.0;
    RoundReport r = RetrainRound(settings, data).run({}, CancelToken{});
    EXPECT_GT(r.steps, 1);
    EXPECT_LT(r.steps, 1000000);
    EXPECT_LT(r.trainSeconds, 1.0 + 0.5);
    EXPECT_TRUE(std::filesystem::exists(dir / "r.msm"));
}

TEST(RetrainRound, CancelBeforeTheFirstStepWritesNothing)
{
    ScratchDir dir;
    auto s = test::makeDiscs(4, 48, 48, 6);
    const auto base = weakModel(dir, s);
    RoundData data;
    data.image = &s.image;
    data.labels = &s.labels;
    data.corrected = {0};
    CancelToken cancel;
    cancel.cancel();
    RoundReport r = RetrainRound(exactSettings(base, dir / "r.msm", 50), data).run({}, cancel);
    EXPECT_TRUE(r.cancelled);
    EXPECT_EQ(r.steps, 0);
    EXPECT_FALSE(std::filesystem::exists(dir / "r.msm"));
}

TEST(RetrainRound, RejectsUnusableData)
{
    ScratchDir dir;
    auto s = test::makeDiscs(4, 48, 48, 7);
    RoundData data;
    data.image = &s.image;
    data.labels = &s.labels;
    RoundSettings settings = exactSettings(dir / "none.msm", dir / "r.msm", 5);
    EXPECT_THROW(RetrainRound(settings, data).run({}, CancelToken{}), Error);   // nothing labelled
    data.corrected = {1};
    data.scoreSlices = {1};
    EXPECT_THROW(RetrainRound(settings, data).run({}, CancelToken{}), Error);   // trains on a score slice
    data.scoreSlices = {9};
    EXPECT_THROW(RetrainRound(settings, data).run({}, CancelToken{}), Error);   // outside the stack
    data.scoreSlices = {3};
    data.pseudoSlices = {2};
    EXPECT_THROW(RetrainRound(settings, data).run({}, CancelToken{}), Error);   // pseudo slices without labels
    data.pseudoLabels = &s.labels;
    data.pseudoSlices = {3};
    EXPECT_THROW(RetrainRound(settings, data).run({}, CancelToken{}), Error);   // a validation slice as pseudo
}
