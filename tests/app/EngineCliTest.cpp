// `mitoseg train / predict / evaluate` end to end on a tiny synthetic stack, cross-checked with
// peer.py's IoU, plus their error paths.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "DiscStack.h"
#include "TestSupport.h"
#include "core/engine/Json.h"
#include "core/engine/PostProcessPlan.h"
#include "core/engine/Segmenter.h"
#include "core/io/TiffStack.h"
#include "core/io/TiffWriter.h"

using mitoseg::test::runCommand;
using mitoseg::test::ScratchDir;
using namespace mitoseg;

namespace {

std::string cli() { return MITOSEG_CLI_EXE; }

/// 6 x 48 x 64 stack with bright discs, and its 0/255 mask.
void writeDiscStack(const std::filesystem::path& image, const std::filesystem::path& mask)
{
    test::writeDiscStack(image, mask, 6, 11, 5, 4);
}

}  // namespace

TEST(EngineCli, TrainPredictEvaluateAgreesWithPeer)
{
    ScratchDir dir;
    writeDiscStack(dir / "img.tif", dir / "mask.tif");
    std::string out;
    int rc = runCommand(cli() + " train " + (dir / "img.tif").string() + " " + (dir / "mask.tif").string() + " --out " +
                            (dir / "m.msm").string() + " --preset tiny --base 8 --steps 120 --patch 32 --lr 0.01 --threads 1" +
                            " --val-z 5-5 --validate-every 60 --fp32 --boundary-weight 2 --checkpoint-dir " + (dir / "ck").string() + " 2>&1",
                        &out);
    ASSERT_EQ(rc, 0) << out;
    EXPECT_NE(out.find("best validation IoU"), std::string::npos) << out;
    EXPECT_TRUE(std::filesystem::exists(dir / "ck" / "checkpoint.msc"));

    rc = runCommand(cli() + " predict " + (dir / "img.tif").string() + " --model " + (dir / "m.msm").string() + " --out " +
                        (dir / "pred.tif").string() + " --prob " + (dir / "prob.tif").string() + " --prob-type uint8 --threads 1 2>&1",
                    &out);
    ASSERT_EQ(rc, 0) << out;
    VolumeU8 pred = readLabels(dir / "pred.tif", false);
    VolumeU8 prob = readStackU8(dir / "prob.tif");
    ASSERT_EQ(pred.shape(), (Shape{6, 48, 64}));
    for (std::size_t i = 0; i < pred.values().size(); ++i) {
        ASSERT_TRUE(pred.values()[i] == 0 || pred.values()[i] == 255);
        // uint8 probabilities agree with the mask (threshold 0.5 = 127.5), up to rounding.
        if (prob.values()[i] >= 129) {
            ASSERT_EQ(pred.values()[i], 255) << i;
        }
        if (prob.values()[i] <= 126) {
            ASSERT_EQ(pred.values()[i], 0) << i;
        }
    }

    rc = runCommand(cli() + " evaluate " + (dir / "pred.tif").string() + " " + (dir / "mask.tif").string() + " --json --objects", &out);
    ASSERT_EQ(rc, 0) << out;
    Json ours = Json::parse(out.substr(0, out.find_last_not_of("\n") + 1));
    EXPECT_GT(ours.number("foreground_iou", 0), 0.7) << out;
    std::string peerOut;
    rc = runCommand("/usr/bin/python3 " + test::peerScript().string() + " iou " + (dir / "pred.tif").string() + " " +
                        (dir / "mask.tif").string(),
                    &peerOut);
    ASSERT_EQ(rc, 0) << peerOut;
    Json peer = Json::parse(peerOut.substr(0, peerOut.find_last_not_of("\n") + 1));
    EXPECT_NEAR(ours.number("foreground_iou", 0), peer.number("foreground_iou", -1), 1e-4);
    EXPECT_NEAR(ours.number("dice", 0), peer.number("dice", -1), 1e-4);
    EXPECT_NEAR(ours.number("mean_iou_2class", 0), peer.number("mean_iou_2class", -1), 1e-4);
    const Json* objects = ours.find("objects");
    ASSERT_NE(objects, nullptr);
    EXPECT_GT(objects->number("truth", 0), 0);

    // --z-range restricts the score to those slices.
    rc = runCommand(cli() + " evaluate " + (dir / "pred.tif").string() + " " + (dir / "mask.tif").string() + " --json --z-range 5-5", &out);
    ASSERT_EQ(rc, 0) << out;
    EXPECT_EQ(Json::parse(out.substr(0, out.find_last_not_of("\n") + 1)).number("slices", 0), 1);

    // Post-processing from the command line: a higher threshold and dropping every object
    // smaller than the whole stack leaves nothing; a higher threshold alone keeps less.
    rc = runCommand(cli() + " predict " + (dir / "img.tif").string() + " --model " + (dir / "m.msm").string() + " --out " +
                        (dir / "none.tif").string() + " --min-object 1000000 --threads 1 2>&1",
                    &out);
    ASSERT_EQ(rc, 0) << out;
    VolumeU8 none = readLabels(dir / "none.tif", false);
    EXPECT_TRUE(std::all_of(none.values().begin(), none.values().end(), [](std::uint8_t v) { return v == 0; }));
    rc = runCommand(cli() + " predict " + (dir / "img.tif").string() + " --model " + (dir / "m.msm").string() + " --out " +
                        (dir / "strict.tif").string() + " --threshold 0.9 --min-object 0 --threads 1 2>&1",
                    &out);
    ASSERT_EQ(rc, 0) << out;
    VolumeU8 strict = readLabels(dir / "strict.tif", false);
    std::size_t kept = 0, all = 0;
    for (std::size_t i = 0; i < strict.values().size(); ++i) {
        ASSERT_TRUE(!strict.values()[i] || pred.values()[i]) << "a voxel above 0.9 must be above 0.5";
        kept += strict.values()[i] != 0;
        all += pred.values()[i] != 0;
    }
    EXPECT_LT(kept, all);

    // info describes model files too.
    rc = runCommand(cli() + " info " + (dir / "m.msm").string(), &out);
    ASSERT_EQ(rc, 0) << out;
    EXPECT_NE(out.find("preset tiny"), std::string::npos) << out;
    EXPECT_NE(out.find("post-processing: z-smoothing"), std::string::npos) << out;
    // ... with the options they were trained with.
    EXPECT_NE(out.find("recipe:          mitoseg train "), std::string::npos) << out;
    EXPECT_NE(out.find(" --boundary-weight 2 "), std::string::npos) << out;

    // calibrate: chooses post-processing on labelled slices and writes it into a model copy.
    rc = runCommand(cli() + " calibrate " + (dir / "img.tif").string() + " " + (dir / "mask.tif").string() + " --model " +
                        (dir / "m.msm").string() + " --z-range 4-5 --threads 1 --json --out " + (dir / "cal.msm").string(),
                    &out);
    ASSERT_EQ(rc, 0) << out;
    Json cal = Json::parse(out.substr(0, out.find_last_not_of("\n") + 1));
    const Json* best = cal.find("best");
    ASSERT_NE(best, nullptr) << out;
    EXPECT_GE(best->number("foreground_iou", 0), cal.number("current_foreground_iou", 2)) << out;
    auto calibrated = Segmenter::load(dir / "cal.msm");
    EXPECT_EQ(calibrated->info().zSmooth, static_cast<int>(best->number("z_smooth", -1)));
    EXPECT_NEAR(calibrated->info().threshold, best->number("threshold", -1), 1e-6);
    EXPECT_EQ(calibrated->info().minObjectVoxels, static_cast<std::int64_t>(best->number("min_object_voxels", -1)));
    // Two folds: each scored alone, ranked by their mean, each with the other's choice.
    rc = runCommand(cli() + " calibrate " + (dir / "img.tif").string() + " " + (dir / "mask.tif").string() + " --model " +
                        (dir / "m.msm").string() + " --z-range 0-2,4-5 --threads 1 --json",
                    &out);
    ASSERT_EQ(rc, 0) << out;
    Json folds = Json::parse(out.substr(0, out.find_last_not_of("\n") + 1));
    const Json* held = folds.find("held_out_fold_iou");
    ASSERT_NE(held, nullptr) << out;
    ASSERT_EQ(held->items().size(), 2u) << out;
    const Json* foldBest = folds.find("best");
    ASSERT_NE(foldBest, nullptr) << out;
    const Json* foldIoU = foldBest->find("fold_iou");
    ASSERT_NE(foldIoU, nullptr) << out;
    ASSERT_EQ(foldIoU->items().size(), 2u) << out;
    EXPECT_NEAR(foldBest->number("foreground_iou", -1), (foldIoU->items()[0].number() + foldIoU->items()[1].number()) / 2, 1e-9)
        << out;
    for (const Json& v : held->items())
        EXPECT_TRUE(v.number() >= 0 && v.number() <= 1) << out;
    rc = runCommand(cli() + " calibrate " + (dir / "img.tif").string() + " " + (dir / "mask.tif").string() + " --model " +
                        (dir / "m.msm").string() + " --z-range 4-9 2>&1",
                    &out);
    EXPECT_EQ(rc, 2) << out;
    EXPECT_NE(out.find("exceeds"), std::string::npos) << out;

    // Fine-tuning: --init starts from the model (its architecture, even when --preset differs).
    rc = runCommand(cli() + " train " + (dir / "img.tif").string() + " " + (dir / "mask.tif").string() + " --out " +
                        (dir / "tuned.msm").string() + " --init " + (dir / "m.msm").string() +
                        " --preset fast --steps 4 --patch 32 --lr 0.001 --threads 1 --val-z 5-5 --validate-every 4 --fp32 2>&1",
                    &out);
    ASSERT_EQ(rc, 0) << out;
    EXPECT_GT(Segmenter::load(dir / "tuned.msm")->info().validationIoU, 0.5) << out;
    EXPECT_EQ(Segmenter::load(dir / "tuned.msm")->info().preset, "tiny");
    EXPECT_NE(Segmenter::load(dir / "tuned.msm")->info().trainedOn.find("fine-tuned from m.msm"), std::string::npos);

    // calibrate --fold-models: each range is predicted by its own model (here m.msm for 0-2 and
    // tuned.msm for 4-5); the fold figures are those models' own, and --model takes the choice.
    rc = runCommand(cli() + " calibrate " + (dir / "img.tif").string() + " " + (dir / "mask.tif").string() + " --model " +
                        (dir / "m.msm").string() + " --z-range 0-2,4-5 --fold-models " + (dir / "m.msm").string() + "," +
                        (dir / "tuned.msm").string() + " --threads 1 --json --out " + (dir / "fm.msm").string(),
                    &out);
    ASSERT_EQ(rc, 0) << out;
    Json fm = Json::parse(out.substr(0, out.find_last_not_of("\n") + 1));
    rc = runCommand(cli() + " calibrate " + (dir / "img.tif").string() + " " + (dir / "mask.tif").string() + " --model " +
                        (dir / "tuned.msm").string() + " --z-range 4-5 --threads 1 --json",
                    &out);
    ASSERT_EQ(rc, 0) << out;
    Json tunedAlone = Json::parse(out.substr(0, out.find_last_not_of("\n") + 1));
    // The row of `all` ([z, t, n, mean, fold IoU...]) with these settings.
    auto row = [](const Json& result, const Json& settings) -> const Json* {
        for (const Json& r : result.find("all")->items())
            if (r.items()[0].number() == settings.items()[0].number() && r.items()[1].number() == settings.items()[1].number() &&
                r.items()[2].number() == settings.items()[2].number())
                return &r;
        return nullptr;
    };
    ASSERT_NE(fm.find("all"), nullptr);
    ASSERT_EQ(fm.find("all")->items().size(), folds.find("all")->items().size());
    for (const Json& r : fm.find("all")->items()) {
        ASSERT_EQ(r.items().size(), 6u);
        const Json* single = row(folds, r);          // m.msm on 0-2 (and 4-5)
        const Json* tunedRow = row(tunedAlone, r);   // tuned.msm on 4-5
        ASSERT_TRUE(single && tunedRow);
        EXPECT_NEAR(r.items()[4].number(), single->items()[4].number(), 1e-9);
        EXPECT_NEAR(r.items()[5].number(), tunedRow->items()[3].number(), 1e-9);
        EXPECT_NEAR(r.items()[3].number(), (r.items()[4].number() + r.items()[5].number()) / 2, 1e-9);
    }
    const Json* fmBest = fm.find("best");
    ASSERT_NE(fmBest, nullptr);
    EXPECT_EQ(Segmenter::load(dir / "fm.msm")->info().minObjectVoxels, static_cast<std::int64_t>(fmBest->number("min_object_voxels", -1)));
    rc = runCommand(cli() + " info " + (dir / "fm.msm").string(), &out);
    ASSERT_EQ(rc, 0) << out;
    EXPECT_NE(out.find("each range predicted by its fold model (m.msm, tuned.msm)"), std::string::npos) << out;
    // ... with the figures the choice had: the mean, each fold, each fold chosen on the others.
    char figures[64];
    std::snprintf(figures, sizeof figures, "(mean over the folds): IoU %.4f, folds %.4f ", fmBest->number("foreground_iou", -1),
                  fmBest->find("fold_iou")->items()[0].number());
    EXPECT_NE(out.find(figures), std::string::npos) << figures << "\n" << out;
    EXPECT_NE(out.find(", each chosen on the others "), std::string::npos) << out;
    rc = runCommand(cli() + " calibrate " + (dir / "img.tif").string() + " " + (dir / "mask.tif").string() + " --z-range 0-2,4-5 --fold-models " +
                        (dir / "m.msm").string() + " 2>&1",
                    &out);
    EXPECT_EQ(rc, 2) << out;
    EXPECT_NE(out.find("one model per range"), std::string::npos) << out;
    rc = runCommand(cli() + " train " + (dir / "img.tif").string() + " " + (dir / "mask.tif").string() + " --out " +
                        (dir / "bad.msm").string() + " --init " + (dir / "mask.tif").string() + " --steps 1 2>&1",
                    &out);
    EXPECT_EQ(rc, 1) << out;
    EXPECT_NE(out.find("mask.tif"), std::string::npos) << out;

    // Snapshot averaging of the model and its fine-tuned copy (same architecture).
    rc = runCommand(cli() + " average " + (dir / "m.msm").string() + " " + (dir / "tuned.msm").string() + " --out " +
                        (dir / "avg.msm").string() + " 2>&1",
                    &out);
    ASSERT_EQ(rc, 0) << out;
    EXPECT_NE(Segmenter::load(dir / "avg.msm")->info().trainedOn.find("averaged over 2 models"), std::string::npos);
    rc = runCommand(cli() + " average " + (dir / "m.msm").string() + " --out " + (dir / "x.msm").string() + " 2>&1", &out);
    EXPECT_EQ(rc, 2) << out;
    rc = runCommand(cli() + " average " + (dir / "m.msm").string() + " " + (dir / "mask.tif").string() + " --out " +
                        (dir / "x.msm").string() + " 2>&1",
                    &out);
    EXPECT_EQ(rc, 1) << out;
    EXPECT_NE(out.find("mask.tif"), std::string::npos) << out;
    EXPECT_FALSE(std::filesystem::exists(dir / "x.msm"));
}

TEST(EngineCli, ClearErrorsForMismatchedShapesAndBadModels)
{
    ScratchDir dir;
    writeDiscStack(dir / "img.tif", dir / "mask.tif");
    writeStack(dir / "small.tif", VolumeU8(Shape{6, 48, 32}));
    std::string out;
    int rc = runCommand(cli() + " train " + (dir / "img.tif").string() + " " + (dir / "small.tif").string() + " --out " +
                            (dir / "m.msm").string() + " --preset tiny --steps 2 2>&1",
                        &out);
    EXPECT_EQ(rc, 1);
    EXPECT_NE(out.find("must match"), std::string::npos) << out;
    EXPECT_NE(out.find("small.tif"), std::string::npos) << out;
    EXPECT_FALSE(std::filesystem::exists(dir / "m.msm"));

    rc = runCommand(cli() + " evaluate " + (dir / "img.tif").string() + " " + (dir / "small.tif").string() + " 2>&1", &out);
    EXPECT_EQ(rc, 1);
    EXPECT_NE(out.find("small.tif"), std::string::npos) << out;

    std::ofstream(dir / "bad.msm") << "MITOSEGM garbage";
    rc = runCommand(cli() + " predict " + (dir / "img.tif").string() + " --model " + (dir / "bad.msm").string() + " --out " +
                        (dir / "p.tif").string() + " 2>&1",
                    &out);
    EXPECT_EQ(rc, 1);
    EXPECT_NE(out.find("bad.msm"), std::string::npos) << out;
    EXPECT_FALSE(std::filesystem::exists(dir / "p.tif"));

    rc = runCommand(cli() + " train " + (dir / "img.tif").string() + " " + (dir / "mask.tif").string() + " --out x.msm --val-z 9-3 2>&1", &out);
    EXPECT_EQ(rc, 2) << out;
    rc = runCommand(cli() + " train " + (dir / "img.tif").string() + " " + (dir / "mask.tif").string() + " --out x.msm --preset huge 2>&1", &out);
    EXPECT_EQ(rc, 2) << out;
}

// A one-page TIFF (one EPFL slice) through `mitoseg predict` with the shipped model: its 3D
// clean-up (z-smoothing +-2, objects >= 10000 voxels) must not wipe a 2D image; the plan scales
// the smallest object to the image and the mask keeps the mitochondria.
TEST(EngineCli, PredictKeepsTheObjectsOfASingleImage)
{
    auto image = test::lucchiFile("training.tif"), truthPath = test::lucchiFile("training_groundtruth.tif");
    if (image.empty() || truthPath.empty())
        return;
    ScratchDir dir;
    auto stack = TiffStack::open(image);
    VolumeU8 one(Shape{1, stack->info().shape.height, stack->info().shape.width});
    stack->readSlice(150, one.slice(0));
    writeStack(dir / "one.tif", one);
    std::string out;
    const int rc = runCommand(cli() + " predict " + (dir / "one.tif").string() + " --out " + (dir / "mask.tif").string() +
                                  " --threads 2 2>&1",
                              &out);
    ASSERT_EQ(rc, 0) << out;
    // The shipped model's smallest 3D object, cut to one image (10000 voxels -> 464 pixels).
    const ModelInfo shipped = Segmenter::load(Segmenter::defaultModelPath())->info();
    ASSERT_GT(shipped.minObjectVoxels, 0);
    const std::int64_t scaled =
        planPostProcessing({shipped.zSmooth, shipped.threshold, shipped.minObjectVoxels}, one.shape()).effective.minObjectVoxels;
    EXPECT_LT(scaled, shipped.minObjectVoxels);
    EXPECT_NE(out.find("smallest object " + std::to_string(scaled) + " voxels"), std::string::npos) << out;
    VolumeU8 mask = TiffStack::open(dir / "mask.tif")->readAll<std::uint8_t>();
    VolumeU8 truth = readLabels(truthPath, true);
    std::int64_t inter = 0, uni = 0;
    for (std::int64_t i = 0; i < one.shape().sliceVoxels(); ++i) {
        const bool p = mask.slice(0)[i] != 0, t = truth.slice(150)[i] != 0;
        inter += p && t;
        uni += p || t;
    }
    ASSERT_GT(uni, 0);
    EXPECT_GT(static_cast<double>(inter) / static_cast<double>(uni), 0.7);
}

// --curve: one CSV row per validation (step, minutes, lr, loss, IoU, best), rewritten at each;
// a resumed run continues the file with minutes counting on.
TEST(EngineCli, TrainWritesTheLearningCurveAndAResumedRunContinuesIt)
{
    ScratchDir dir;
    writeDiscStack(dir / "img.tif", dir / "mask.tif");
    const std::string base = cli() + " train " + (dir / "img.tif").string() + " " + (dir / "mask.tif").string() + " --out " +
                             (dir / "m.msm").string() + " --preset tiny --base 8 --patch 32 --lr 0.01 --threads 1 --val-z 5-5" +
                             " --validate-every 20 --fp32 --checkpoint-dir " + (dir / "ck").string() + " --curve " +
                             (dir / "curve.csv").string();
    std::string out;
    ASSERT_EQ(runCommand(base + " --steps 40 2>&1", &out), 0) << out;
    ASSERT_EQ(runCommand(base + " --steps 60 --resume " + (dir / "ck" / "checkpoint.msc").string() + " 2>&1", &out), 0) << out;

    std::ifstream in(dir / "curve.csv");
    std::string line;
    ASSERT_TRUE(std::getline(in, line));
    EXPECT_EQ(line, "step,minutes,learning_rate,mean_loss,val_iou,best_val_iou");
    std::vector<std::vector<double>> rows;
    while (std::getline(in, line)) {
        std::vector<double> r;
        std::stringstream fields(line);
        for (std::string f; std::getline(fields, f, ',');)
            r.push_back(std::stod(f));
        ASSERT_EQ(r.size(), 6u) << line;
        rows.push_back(r);
    }
    ASSERT_EQ(rows.size(), 3u);
    double best = -1;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        EXPECT_EQ(rows[i][0], 20.0 * static_cast<double>(i + 1));
        if (i > 0) {
            EXPECT_GE(rows[i][1], rows[i - 1][1]);   // minutes go on across the resume
        }
        EXPECT_GT(rows[i][2], 0);
        EXPECT_GE(rows[i][4], 0);
        EXPECT_LE(rows[i][4], 1);
        best = std::max(best, rows[i][4]);
        EXPECT_NEAR(rows[i][5], best, 1e-5);
    }
    EXPECT_NE(out.find("best validation IoU"), std::string::npos) << out;
}
