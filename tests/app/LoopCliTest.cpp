// `mitoseg bench loop` (the studio's retraining loop, simulated) and `mitoseg train --minutes`
// end to end on a tiny synthetic stack.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>

#include "TestSupport.h"
#include "core/engine/Json.h"
#include "core/engine/Segmenter.h"
#include "core/io/TiffWriter.h"

using mitoseg::test::runCommand;
using mitoseg::test::ScratchDir;
using namespace mitoseg;

namespace {

std::string cli() { return MITOSEG_CLI_EXE; }

/// 12 x 48 x 64 stack with bright discs, its 0/255 mask, and a weak model (12 steps on slice 0).
void writeLoopFixture(const ScratchDir& dir)
{
    VolumeU8 img(Shape{12, 48, 64}), lab(Shape{12, 48, 64});
    std::mt19937 rng(21);
    std::uniform_real_distribution<double> u(0, 1);
    for (std::int64_t z = 0; z < 12; ++z) {
        for (std::int64_t i = 0; i < 48 * 64; ++i)
            img.slice(z)[i] = static_cast<std::uint8_t>(60 + 30 * u(rng));
        for (int d = 0; d < 3 + static_cast<int>(z % 3); ++d) {
            double cy = 8 + 32 * u(rng), cx = 8 + 48 * u(rng), r = 4 + 5 * u(rng);
            for (std::int64_t y = 0; y < 48; ++y)
                for (std::int64_t x = 0; x < 64; ++x)
                    if (std::hypot(static_cast<double>(y) - cy, static_cast<double>(x) - cx) <= r) {
                        img(z, y, x) = static_cast<std::uint8_t>(150 + 40 * u(rng));
                        lab(z, y, x) = 255;
                    }
        }
    }
    writeStack(dir / "img.tif", img);
    writeStack(dir / "mask.tif", lab);
    std::string out;
    ASSERT_EQ(runCommand(cli() + " train " + (dir / "img.tif").string() + " " + (dir / "mask.tif").string() + " --out " +
                             (dir / "m.msm").string() +
                             " --preset tiny --base 8 --steps 12 --patch 32 --lr 0.01 --threads 1 --no-val --fp32"
                             " --labelled-slices 0 2>&1",
                         &out),
              0)
        << out;
}

/// The last line of `out`, parsed.
Json lastJsonLine(const std::string& out)
{
    std::string text = out;
    while (!text.empty() && text.back() == '\n')
        text.pop_back();
    return Json::parse(text.substr(text.rfind('\n') + 1));
}

}  // namespace

TEST(LoopCli, BenchLoopRunsRoundsOnUncertainSlicesOutsideValidation)
{
    ScratchDir dir;
    writeLoopFixture(dir);
    std::string out;
    const std::string cmd = cli() + " bench loop " + (dir / "img.tif").string() + " " + (dir / "mask.tif").string() + " --model " +
                            (dir / "m.msm").string() +
                            " --rounds 2 --per-round 2 --seconds 1.5 --val-z 9-11 --patch 32 --lr 0.01 --threads 1 --json"
                            " --keep-models " + (dir / "rounds").string();
    ASSERT_EQ(runCommand(cmd + " 2>/dev/null", &out), 0) << out;
    EXPECT_NE(out.find("round 2"), std::string::npos) << out;
    const Json j = lastJsonLine(out);
    ASSERT_TRUE(j.isObject()) << out;
    const auto& rounds = j.find("rounds")->items();
    ASSERT_EQ(rounds.size(), 3u) << out;
    EXPECT_TRUE(rounds[0].find("slices")->items().empty());
    EXPECT_EQ(rounds[0].number("steps", -1), 0);
    std::set<double> picked;
    for (std::size_t r = 1; r < rounds.size(); ++r) {
        const Json& round = rounds[r];
        EXPECT_EQ(round.number("round", -1), static_cast<double>(r));
        ASSERT_EQ(round.find("slices")->items().size(), 2u);
        for (const Json& z : round.find("slices")->items()) {
            EXPECT_LT(z.number(), 9) << "picked a validation slice";
            EXPECT_TRUE(picked.insert(z.number()).second) << "picked slice " << z.number() << " twice";
        }
        EXPECT_GT(round.number("steps", 0), 0);
        EXPECT_LE(round.number("retrain_s", 99), 1.5 + 1.0);
        EXPECT_GT(round.number("predict_s", 0), 0);
        for (const char* key : {"iou_val", "iou_uncorrected"}) {
            EXPECT_GE(round.number(key, -1), 0) << key;
            EXPECT_LE(round.number(key, 2), 1) << key;
        }
        // Each round's model is a usable model file, fine-tuned from the previous one.
        auto m = Segmenter::load(dir / "rounds" / ("round-" + std::to_string(r) + ".msm"));
        EXPECT_EQ(m->info().steps, static_cast<std::int64_t>(round.number("steps", 0)));
    }
    // The comparison pickers run the same loop, and stay out of the validation range too.
    for (const std::string pick : {"random", "shortfall", "spread", "uncertain"}) {
        std::string out2;
        ASSERT_EQ(runCommand(cli() + " bench loop " + (dir / "img.tif").string() + " " + (dir / "mask.tif").string() + " --model " +
                                 (dir / "m.msm").string() +
                                 " --rounds 1 --per-round 2 --seconds 0.5 --val-z 9-11 --patch 32 --threads 1 --json --pick " + pick +
                                 " 2>/dev/null",
                             &out2),
                  0)
            << out2;
        const Json r = lastJsonLine(out2);
        ASSERT_EQ(r.find("rounds")->items().size(), 2u);
        EXPECT_EQ(r.string("pick", ""), pick);
        const auto& slices = r.find("rounds")->items()[1].find("slices")->items();
        ASSERT_EQ(slices.size(), 2u) << pick;
        for (const auto& z : slices)
            EXPECT_LT(z.number(), 9) << pick << " picked a validation slice";
    }
}

TEST(LoopCli, BenchLoopRejectsBadOptions)
{
    std::string out;
    EXPECT_EQ(runCommand(cli() + " bench loop a.tif b.tif --pick best 2>&1", &out), 2) << out;
    EXPECT_EQ(runCommand(cli() + " bench loop a.tif b.tif --seconds 0 2>&1", &out), 2) << out;
    EXPECT_EQ(runCommand(cli() + " bench loop a.tif 2>&1", &out), 2) << out;
}

TEST(LoopCli, TrainWithMinutesStopsOnTime)
{
    ScratchDir dir;
    writeLoopFixture(dir);
    std::string out;
    ASSERT_EQ(runCommand(cli() + " train " + (dir / "img.tif").string() + " " + (dir / "mask.tif").string() + " --out " +
                             (dir / "t.msm").string() + " --preset tiny --base 8 --minutes 0.02 --patch 32 --threads 1 --no-val 2>&1",
                         &out),
              0)
        << out;
    EXPECT_NE(out.find("time budget spent"), std::string::npos) << out;
    EXPECT_GT(Segmenter::load(dir / "t.msm")->info().steps, 1);
}
