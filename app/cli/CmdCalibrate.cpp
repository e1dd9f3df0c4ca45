#include <algorithm>
#include <cstdio>
#include <iostream>

#include "app/cli/Args.h"
#include "app/cli/Command.h"
#include "core/base/AtomicFile.h"
#include "app/cli/ModelArg.h"
#include "app/cli/TerminalProgress.h"
#include "core/base/Error.h"
#include "core/engine/Calibration.h"
#include "core/engine/ComputePrecision.h"
#include "core/engine/Json.h"
#include "core/engine/Segmenter.h"
#include "core/io/TiffStack.h"

namespace mitoseg::cli {

namespace {

const char* kHelp =
    "usage: mitoseg calibrate IMAGE MASK --z-range A-B[,C-D...] [--model F] [--out MODEL] [options]\n"
    "\n"
    "Chooses a binary model's post-processing on labelled slices: every combination of\n"
    "z-smoothing radius (0-3), threshold (0.30-0.80) and smallest kept 3D object (0-20000 voxels)\n"
    "is scored by foreground IoU on slices A-B of IMAGE against MASK. Prints the best settings\n"
    "and, with --out, writes a copy of the model that applies them by default (--out may name\n"
    "the model itself). Use slices that the model was not trained on.\n"
    "\n"
    "Several ranges are folds: each is scored alone, settings are ranked by the mean over the\n"
    "folds, and each fold also gets the IoU of the settings the other folds choose (what the\n"
    "choice gives on slices it did not see). The whole stack is predicted, so 3D objects are\n"
    "counted whole, as `mitoseg predict` counts them (a stack cut down to the ranges would cut\n"
    "objects and favour smaller minimum sizes); --margin N predicts only N slices beyond them.\n"
    "Precision as `mitoseg predict` (bfloat16 or int8 by CPU; --fp32 for float32).\n"
    "\n"
    "With --fold-models M1,M2,... each range of --z-range is predicted by its own model (the\n"
    "models of a recipe's z-folds, each trained without its range's slices), and the settings\n"
    "are ranked by the mean over the ranges as above; --model is the model that --out copies\n"
    "(for example the recipe's model trained on every slice, which has no slices of its own\n"
    "left to calibrate on). The printed \"current settings\" are --model's.\n"
    "\n"
    "  --model F       model file (default: the shipped model, or $MITOSEG_MODEL)\n"
    "  --out MODEL     write the calibrated model here (atomically)\n"
    "  --top N         print the N best settings (default 10)\n"
    "  --margin N      predict only N slices either side of the ranges (default: the whole stack)\n"
    "  --fold-models L one model per range of --z-range (comma-separated) that predicts it\n"
    "  --tta           predict with the 8 flips/rotations\n"
    "  --fp32          predict in float32\n"
    "  --threads N     torch threads (default: all cores)\n"
    "  --json          machine-readable result on stdout\n";

std::string describe(const PostProcessing& p)
{
    char buf[120];
    std::snprintf(buf, sizeof buf, "z-smoothing +-%d, threshold %.2f, smallest object %lld voxels", p.zSmooth,
                  static_cast<double>(p.threshold), static_cast<long long>(p.minObjectVoxels));
    return buf;
}

std::string foldText(const std::vector<double>& v)
{
    std::string out;
    for (double x : v) {
        char buf[16];
        std::snprintf(buf, sizeof buf, "%s%.4f", out.empty() ? "" : " ", x);
        out += buf;
    }
    return out;
}

int run(const std::vector<std::string>& argv)
{
    Args args(argv, {"z-range", "model", "out", "top", "threads", "margin", "fold-models"}, {"tta", "json", "fp32"});
    args.expectPositionals(2, 2);
    auto range = args.value("z-range");
    if (!range)
        throw UsageError("--z-range A-B is required (labelled slices the model was not trained on)");
    std::vector<SliceRange> folds;
    for (const std::string& item : splitCommas(*range)) {
        auto [f0, f1] = parseRange(item, "--z-range");
        folds.push_back({f0, f1});
    }
    std::vector<std::filesystem::path> foldModels;
    if (auto list = args.value("fold-models")) {
        for (const std::string& item : splitCommas(*list)) {
            if (item.empty())
                throw UsageError("--fold-models: empty model name in '" + *list + "'");
            foldModels.emplace_back(item);
        }
        if (foldModels.size() != folds.size())
            throw UsageError("--fold-models names " + std::to_string(foldModels.size()) + " model(s) for " +
                             std::to_string(folds.size()) + " range(s) of --z-range: one model per range");
    }
    const long long top = args.integer("top", 10, 1, 1000000);
    if (top < 1)
        throw UsageError("--top must be >= 1");
    if (auto out = args.value("out"))
        checkWritableOutput(*out);
    const std::filesystem::path modelPath = modelPathFromArgs(args);
    auto segmenter = Segmenter::load(modelPath);
    const ModelInfo& mi = segmenter->info();
    if (mi.classes != 2)
        throw Error("model " + modelPath.string() + " has " + std::to_string(mi.classes) +
                    " classes; calibration is for binary models");

    const std::filesystem::path imagePath = args.positionals()[0], maskPath = args.positionals()[1];
    auto stack = TiffStack::open(imagePath);
    const StackInfo& info = stack->info();
    VolumeU8 truth = readLabels(maskPath, true);
    if (!(truth.shape() == info.shape))
        throw Error("image " + imagePath.string() + " and mask " + maskPath.string() + " differ in shape");
    for (const SliceRange& f : folds)
        if (f.last >= info.shape.depth)
            throw UsageError("--z-range " + *range + " exceeds the " + std::to_string(info.shape.depth) + " slices");

    // The whole stack, or the ranges plus --margin slices.
    const std::int64_t margin = args.integer("margin", info.shape.depth, 0, 1000000000);
    PredictOptions opt;
    opt.tta = args.flag("tta");
    opt.threads = static_cast<int>(args.integer("threads", 0, 0, 1024));
    if (args.flag("fp32"))
        opt.bf16 = false;
    opt.int8 = !args.flag("fp32") && !opt.bf16 && defaultInt8();
    opt.zSmooth = 0;
    opt.minObjectVoxels = 0;
    std::string predicted;   // the slices predicted, "A-B" (one per model with --fold-models)
    // Predicts slices lo..hi of `fs` (plus the margin) with `seg` and scores the grid on `fs`.
    auto score = [&](Segmenter& seg, const std::vector<SliceRange>& fs) {
        std::int64_t lo = info.shape.depth, hi = 0;
        for (const SliceRange& f : fs) {
            lo = std::min(lo, f.first);
            hi = std::max(hi, f.last);
        }
        const std::int64_t a = std::max<std::int64_t>(0, lo - margin), b = std::min<std::int64_t>(info.shape.depth - 1, hi + margin);
        predicted += (predicted.empty() ? "" : ", ") + std::to_string(a) + "-" + std::to_string(b);
        Shape sub = info.shape;
        sub.depth = b - a + 1;
        TerminalProgress bar("calibrate", 10.0);
        FunctionProgress progress([&](double done, double total, const std::string&) {
            bar.update(done, total, "predicting slice " + std::to_string(a + static_cast<long long>(done)));
        });
        StackPrediction p = seg.predictStack(
            sub, [&](std::int64_t z, float* dst) { stack->readSliceF32(a + z, dst); }, opt, &progress);
        bar.finish();
        VolumeU8 subTruth(sub);
        std::copy(truth.slice(a), truth.slice(a) + sub.voxels(), subTruth.data());
        std::vector<SliceRange> local = fs;
        for (SliceRange& f : local)
            f = {f.first - a, f.last - a};
        return calibratePostProcessing(p.probability, subTruth, local, CalibrationGrid{});
    };
    std::vector<CalibrationEntry> entries;
    std::string foldModelNames;
    if (foldModels.empty()) {
        entries = score(*segmenter, folds);
    } else {
        std::vector<std::vector<CalibrationEntry>> perFold;
        for (std::size_t f = 0; f < folds.size(); ++f) {
            auto foldSeg = Segmenter::load(foldModels[f]);
            if (foldSeg->info().classes != 2)
                throw Error("fold model " + foldModels[f].string() + " is not a binary model");
            perFold.push_back(score(*foldSeg, {folds[f]}));
            foldModelNames += (f ? ", " : "") + foldModels[f].filename().string();
        }
        entries = joinFoldCalibrations(perFold);
    }
    const std::vector<double> held = heldOutFoldIoU(entries);

    // The model's current settings, for comparison.
    const CalibrationEntry* current = nullptr;
    for (const auto& e : entries)
        if (e.settings.zSmooth == mi.zSmooth && std::abs(e.settings.threshold - mi.threshold) < 1e-6f &&
            e.settings.minObjectVoxels == mi.minObjectVoxels)
            current = &e;
    const std::string chosenOn = imagePath.filename().string() + " z " + *range +
                                 (foldModels.empty() ? "" : ", each range predicted by its fold model (" + foldModelNames + ")") +
                                 (folds.size() > 1 ? " (mean over the folds)" : "") + ": IoU " +
                                 foldText({entries.front().iou}) +
                                 (folds.size() > 1 ? ", folds " + foldText(entries.front().foldIoU) +
                                                         (held.empty() ? "" : ", each chosen on the others " + foldText(held))
                                                   : "");
    if (auto out = args.value("out"))
        writeModelPostProcessing(modelPath, *out, entries.front().settings, chosenOn);
    if (args.flag("json")) {
        Json j = Json::object();
        j["model"] = modelPath.string();
        j["z_range"] = *range;
        j["predicted_slices"] = predicted;
        if (!foldModels.empty()) {
            Json fm = Json::array();
            for (const auto& m : foldModels)
                fm.push(Json(m.string()));
            j["fold_models"] = fm;
        }
        Json best = Json::object();
        best["z_smooth"] = entries.front().settings.zSmooth;
        best["threshold"] = static_cast<double>(entries.front().settings.threshold);
        best["min_object_voxels"] = entries.front().settings.minObjectVoxels;
        best["foreground_iou"] = entries.front().iou;
        Json fold = Json::array();
        for (double v : entries.front().foldIoU)
            fold.push(Json(v));
        best["fold_iou"] = fold;
        j["best"] = best;
        j["current_foreground_iou"] = current ? current->iou : -1.0;
        if (!held.empty()) {
            Json h = Json::array();
            for (double v : held)
                h.push(Json(v));
            j["held_out_fold_iou"] = h;
        }
        Json all = Json::array();
        for (const auto& e : entries) {
            Json r = Json::array();
            r.push(Json(e.settings.zSmooth));
            r.push(Json(static_cast<double>(e.settings.threshold)));
            r.push(Json(e.settings.minObjectVoxels));
            r.push(Json(e.iou));
            for (double v : e.foldIoU)
                r.push(Json(v));
            all.push(r);
        }
        j["all"] = all;
        std::cout << j.dump() << "\n";
    } else {
        const bool several = folds.size() > 1;
        std::printf("foreground IoU on %s, slices %s%s (%zu settings; slices %s predicted%s%s)\n",
                    imagePath.filename().string().c_str(), range->c_str(), several ? ": mean, then each fold" : "", entries.size(),
                    predicted.c_str(), foldModels.empty() ? "" : ", each range by its fold model: ", foldModelNames.c_str());
        for (std::size_t i = 0; i < entries.size() && i < static_cast<std::size_t>(top); ++i)
            std::printf("  %.4f  %s%s%s\n", entries[i].iou, several ? foldText(entries[i].foldIoU).c_str() : "", several ? "  " : "",
                        describe(entries[i].settings).c_str());
        if (current)
            std::printf("model's current settings (%s): %.4f%s%s\n", describe({mi.zSmooth, mi.threshold, mi.minObjectVoxels}).c_str(),
                        current->iou, several ? "  folds " : "", several ? foldText(current->foldIoU).c_str() : "");
        if (!held.empty())
            std::printf("each fold with the settings chosen on the others (held out): %s\n", foldText(held).c_str());
        if (auto out = args.value("out"))
            std::printf("wrote %s with %s\n", out->c_str(), describe(entries.front().settings).c_str());
    }
    return 0;
}

}  // namespace

const Command kCalibrateCommand{"calibrate", "choose a model's post-processing on labelled slices", kHelp, &run};

}  // namespace mitoseg::cli
