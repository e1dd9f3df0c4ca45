// The slices a training job keeps in memory (core/loop/SliceSubset): the neighbours a 2.5D job
// sees in the compact volume are the real ones, and training or a retraining round on the
// compact volume is the same run as on the whole stack.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "../base/TestSupport.h"
#include "../engine/SyntheticData.h"
#include "core/base/Error.h"
#include "core/engine/ComputePrecision.h"
#include "core/engine/Trainer.h"
#include "core/loop/RetrainRound.h"
#include "core/loop/SliceSubset.h"

using namespace mitoseg;
using mitoseg::test::ScratchDir;

TEST(SliceSubset, NeighboursAndStackEndsAreTheRealOnes)
{
    std::mt19937 rng(7);
    for (int trial = 0; trial < 400; ++trial) {
        const std::int64_t depth = 1 + static_cast<std::int64_t>(rng() % 24);
        const int context = static_cast<int>(rng() % 4);
        std::vector<std::int64_t> needed;
        for (int n = 1 + static_cast<int>(rng() % 5); n > 0; --n)
            needed.push_back(static_cast<std::int64_t>(rng() % static_cast<unsigned>(depth)));
        const SliceSubset s = SliceSubset::around(needed, context, depth);
        ASSERT_EQ(s.stackDepth(), depth);
        // Ascending, and exactly the slices within `context` of a needed one.
        for (std::int64_t z = 0; z < depth; ++z) {
            bool near = false;
            for (auto n : needed)
                near = near || std::abs(n - z) <= context;
            ASSERT_EQ(s.contains(z), near) << "trial " << trial << " z " << z;
        }
        ASSERT_TRUE(std::is_sorted(s.slices().begin(), s.slices().end()));
        for (std::int64_t i = 0; i < s.size(); ++i)
            ASSERT_EQ(s.local(s.original(i)), i);
        for (auto z : needed)
            for (int k = -context; k <= context; ++k) {
                const std::int64_t inStack = std::clamp<std::int64_t>(z + k, 0, depth - 1);
                const std::int64_t inSubset = std::clamp<std::int64_t>(s.local(z) + k, 0, s.size() - 1);
                ASSERT_EQ(s.original(inSubset), inStack) << "trial " << trial << " z " << z << " k " << k;
            }
    }
}

TEST(SliceSubset, RefusesSlicesOutsideTheStackOrNotKept)
{
    EXPECT_THROW(SliceSubset::around({5}, 1, 5), Error);
    EXPECT_THROW(SliceSubset::around({-1}, 0, 5), Error);
    EXPECT_THROW(SliceSubset::around({1}, -1, 5), Error);
    const SliceSubset s = SliceSubset::around({1, 8}, 1, 20);
    EXPECT_EQ(s.slices(), (std::vector<std::int64_t>{0, 1, 2, 7, 8, 9}));
    EXPECT_THROW(s.local(5), Error);
    EXPECT_EQ(s.local(std::vector<std::int64_t>{8, 1}), (std::vector<std::int64_t>{4, 1}));
    EXPECT_EQ(s.original(std::vector<std::int64_t>{5, 0}), (std::vector<std::int64_t>{9, 0}));
}

TEST(SliceSubset, ReadsOnlyItsSlicesAsBytesOrFloats)
{
    const SliceSubset s = SliceSubset::around({2, 10}, 1, 30);
    std::vector<std::int64_t> read;
    auto reader = [&](bool fractional) {
        return [&read, fractional](std::int64_t z, float* dst) {
            read.push_back(z);
            for (int i = 0; i < 6; ++i)
                dst[i] = static_cast<float>(z * 10 + i) + (fractional && z == 10 ? 0.5f : 0.0f);
        };
    };
    SubsetImage bytes = readSubsetImage(s, 2, 3, reader(false), CancelToken{});
    EXPECT_EQ(read, s.slices());
    ASSERT_TRUE(bytes.isU8());
    ASSERT_EQ(bytes.u8.depth(), 6);
    EXPECT_EQ(bytes.u8(s.local(10), 1, 2), 105);
    EXPECT_EQ(bytes.u8(s.local(1), 0, 0), 10);

    read.clear();
    SubsetImage floats = readSubsetImage(s, 2, 3, reader(true), CancelToken{});   // slice 10 is not bytes
    ASSERT_FALSE(floats.isU8());
    EXPECT_TRUE(floats.u8.empty());
    EXPECT_FLOAT_EQ(floats.f32(s.local(10), 0, 1), 101.5f);
    EXPECT_FLOAT_EQ(floats.f32(s.local(3), 1, 0), 33.0f);   // read as bytes first, then converted
    EXPECT_FLOAT_EQ(floats.f32(s.local(11), 1, 2), 115.0f);

    CancelToken cancel;
    cancel.cancel();
    EXPECT_THROW(readSubsetImage(s, 2, 3, reader(false), cancel), Cancelled);
}

namespace {

/// Copies the subset's slices of a volume.
VolumeU8 compact(const VolumeU8& v, const SliceSubset& s)
{
    VolumeU8 out(Shape{s.size(), v.height(), v.width()});
    for (std::int64_t i = 0; i < s.size(); ++i)
        std::copy(v.slice(s.original(i)), v.slice(s.original(i)) + v.shape().sliceVoxels(), out.slice(i));
    return out;
}

TrainConfig contextConfig(const std::filesystem::path& out)
{
    TrainConfig c;
    c.arch = UNetConfig::fromPreset("tiny");
    c.arch.base = 8;
    c.arch.inChannels = 3;   // one neighbour a side: the compact volume must give the real ones
    c.steps = 6;
    c.batch = 4;
    c.patch = 32;
    c.learningRate = 1e-2;
    c.warmupSteps = 2;
    c.threads = 1;
    c.validateEvery = 3;
    c.bf16 = false;
    c.channelsLast = false;
    c.outModel = out;
    return c;
}

}  // namespace

TEST(SliceSubset, TrainingOnTheKeptSlicesIsTheSameRunAsOnTheStack)
{
    ScratchDir dir;
    const auto s = test::makeDiscs(16, 40, 40, 3);
    const std::vector<std::int64_t> labelled{0, 6, 7}, val{12};
    std::vector<std::int64_t> needed = labelled;
    needed.push_back(val[0]);
    const SliceSubset subset = SliceSubset::around(needed, 1, s.image.depth());
    ASSERT_LT(subset.size(), 10);

    TrainData whole{&s.image, nullptr, &s.labels, labelled, -1, -1};
    whole.valSlices = val;
    const TrainResult a = train(contextConfig(dir / "whole.msm"), whole, {}, CancelToken{});

    const VolumeU8 image = compact(s.image, subset), labels = compact(s.labels, subset);
    TrainData part{&image, nullptr, &labels, subset.local(labelled), -1, -1};
    part.valSlices = subset.local(val);
    const TrainResult b = train(contextConfig(dir / "part.msm"), part, {}, CancelToken{});

    ASSERT_EQ(a.losses.size(), 6u);
    EXPECT_EQ(a.losses, b.losses);
    ASSERT_EQ(a.validationCurve.size(), 2u);
    EXPECT_EQ(a.validationCurve, b.validationCurve);

    // A retraining round from that model, on the whole stack and on the kept slices of its data.
    const std::vector<std::int64_t> corrected{6}, replay{0, 7}, score{12};
    auto round = [&](const VolumeU8& img, const VolumeU8& lab, const SliceSubset* sub, const char* name, bool int8 = false,
                     const Int8Calibration* calibration = nullptr) {
        RoundData d;
        d.int8Calibration = calibration;
        d.image = &img;
        d.labels = &lab;
        d.corrected = sub ? sub->local(corrected) : corrected;
        d.replay = sub ? sub->local(replay) : replay;
        d.scoreSlices = sub ? sub->local(score) : score;
        RoundSettings r;
        r.model = dir / "whole.msm";
        r.outModel = dir / name;
        r.seconds = 600;
        r.maxSteps = 4;
        r.batch = 4;
        r.patch = 32;
        r.learningRate = 1e-2;
        // Every step in warm-up: after it a round's learning rate follows the wall clock (the
        // cosine decay over its time budget), and runs compared bit for bit must not depend on
        // how busy the machine is (a loaded machine made them differ in the 6th digit).
        r.warmupSteps = 4;
        r.threads = 1;
        r.bf16 = false;
        r.channelsLast = false;
        r.int8 = int8;
        RoundReport rep = RetrainRound(r, d).run({}, CancelToken{});
        if (sub)
            rep.trainedOn = sub->original(rep.trainedOn);
        return rep;
    };
    const RoundReport ra = round(s.image, s.labels, nullptr, "ra.msm");
    const RoundReport rb = round(image, labels, &subset, "rb.msm");
    EXPECT_EQ(ra.trainedOn, (std::vector<std::int64_t>{0, 6, 7}));
    EXPECT_EQ(ra.trainedOn, rb.trainedOn);
    EXPECT_EQ(ra.losses, rb.losses);
    EXPECT_GE(ra.iouBefore, 0.0);
    EXPECT_EQ(ra.iouBefore, rb.iouBefore);
    EXPECT_EQ(ra.iouAfter, rb.iouAfter);

    // In int8 the kept slices are scored with the whole stack's calibration (the studio passes
    // it), so the round scores what the whole stack's prediction gives. (Not on CPUs where int8
    // is refused: FastPathInt8 checks the refusal there.)
    if (!int8Unavailable().empty())
        return;
    const Int8Calibration calibration =
        int8CalibrationOf(s.image.shape(), 1, [&](std::int64_t z, float* dst) { std::copy_n(s.image.slice(z), 40 * 40, dst); });
    const RoundReport qa = round(s.image, s.labels, nullptr, "qa.msm", true);
    const RoundReport qb = round(image, labels, &subset, "qb.msm", true, &calibration);
    EXPECT_EQ(qa.losses, ra.losses);   // training stays float32
    EXPECT_GE(qa.iouBefore, 0.0);
    EXPECT_NEAR(qa.iouBefore, ra.iouBefore, 0.05);
    EXPECT_EQ(qa.iouBefore, qb.iouBefore);
    EXPECT_EQ(qa.iouAfter, qb.iouAfter);
}
