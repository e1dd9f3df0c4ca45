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
#include "core/engine/Json.h"
#include "core/engine/Segmenter.h"
#include "core/io/TiffStack.h"

namespace mitoseg::cli {

namespace {

const char* kHelp =
    "usage: mitoseg calibrate IMAGE MASK --z-range A-B [--model F] [--out MODEL] [options]\n"
    "\n"
    "Chooses a binary model's post-processing on labelled slices: every combination of\n"
    "z-smoothing radius (0-3), threshold (0.30-0.80) and smallest kept 3D object (0-20000 voxels)\n"
    "is scored by foreground IoU on slices A-B of IMAGE against MASK. Prints the best settings\n"
    "and, with --out, writes a copy of the model that applies them by default (--out may name\n"
    "the model itself). Use slices that the model was not trained on.\n"
    "\n"
    "  --model F       model file (default: the shipped model, or $MITOSEG_MODEL)\n"
    "  --out MODEL     write the calibrated model here (atomically)\n"
    "  --top N         print the N best settings (default 10)\n"
    "  --tta           predict with the 8 flips/rotations\n"
    "  --threads N     torch threads (default: all cores)\n"
    "  --json          machine-readable result on stdout\n";

std::string describe(const PostProcessing& p)
{
    char buf[120];
    std::snprintf(buf, sizeof buf, "z-smoothing +-%d, threshold %.2f, smallest object %lld voxels", p.zSmooth,
                  static_cast<double>(p.threshold), static_cast<long long>(p.minObjectVoxels));
    return buf;
}

int run(const std::vector<std::string>& argv)
{
    Args args(argv, {"z-range", "model", "out", "top", "threads"}, {"tta", "json"});
    args.expectPositionals(2, 2);
    auto range = args.value("z-range");
    if (!range)
        throw UsageError("--z-range A-B is required (labelled slices the model was not trained on)");
    auto [z0, z1] = parseRange(*range, "--z-range");
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
    if (z1 >= info.shape.depth)
        throw UsageError("--z-range " + *range + " exceeds the " + std::to_string(info.shape.depth) + " slices");

    // Predict the range plus a margin, so smoothing sees real neighbours.
    CalibrationGrid grid;
    const std::int64_t margin = *std::max_element(grid.zSmooth.begin(), grid.zSmooth.end()) + 2;
    const std::int64_t a = std::max<std::int64_t>(0, z0 - margin), b = std::min<std::int64_t>(info.shape.depth - 1, z1 + margin);
    Shape sub = info.shape;
    sub.depth = b - a + 1;
    PredictOptions opt;
    opt.tta = args.flag("tta");
    opt.threads = static_cast<int>(args.integer("threads", 0, 0, 1024));
    opt.zSmooth = 0;
    opt.minObjectVoxels = 0;
    TerminalProgress bar("calibrate", 10.0);
    FunctionProgress progress([&](double done, double total, const std::string&) {
        bar.update(done, total, "predicting slice " + std::to_string(a + static_cast<long long>(done)));
    });
    StackPrediction p = segmenter->predictStack(
        sub, [&](std::int64_t z, float* dst) { stack->readSliceF32(a + z, dst); }, opt, &progress);
    bar.finish();
    VolumeU8 subTruth(sub);
    std::copy(truth.slice(a), truth.slice(a) + sub.voxels(), subTruth.data());
    std::vector<CalibrationEntry> entries = calibratePostProcessing(p.probability, subTruth, z0 - a, z1 - a, grid);

    // The model's current settings, for comparison.
    double current = -1;
    for (const auto& e : entries)
        if (e.settings.zSmooth == mi.zSmooth && std::abs(e.settings.threshold - mi.threshold) < 1e-6f &&
            e.settings.minObjectVoxels == mi.minObjectVoxels)
            current = e.iou;
    const std::string chosenOn = imagePath.filename().string() + " z " + *range;
    if (auto out = args.value("out"))
        writeModelPostProcessing(modelPath, *out, entries.front().settings, chosenOn);
    if (args.flag("json")) {
        Json j = Json::object();
        j["model"] = modelPath.string();
        j["z_range"] = *range;
        Json best = Json::object();
        best["z_smooth"] = entries.front().settings.zSmooth;
        best["threshold"] = static_cast<double>(entries.front().settings.threshold);
        best["min_object_voxels"] = entries.front().settings.minObjectVoxels;
        best["foreground_iou"] = entries.front().iou;
        j["best"] = best;
        j["current_foreground_iou"] = current;
        Json all = Json::array();
        for (const auto& e : entries) {
            Json r = Json::array();
            r.push(Json(e.settings.zSmooth));
            r.push(Json(static_cast<double>(e.settings.threshold)));
            r.push(Json(e.settings.minObjectVoxels));
            r.push(Json(e.iou));
            all.push(r);
        }
        j["all"] = all;
        std::cout << j.dump() << "\n";
    } else {
        std::printf("foreground IoU on %s, slices %s (%zu settings)\n", imagePath.filename().string().c_str(), range->c_str(),
                    entries.size());
        for (std::size_t i = 0; i < entries.size() && i < static_cast<std::size_t>(top); ++i)
            std::printf("  %.4f  %s\n", entries[i].iou, describe(entries[i].settings).c_str());
        if (current >= 0)
            std::printf("model's current settings (%s): %.4f\n", describe({mi.zSmooth, mi.threshold, mi.minObjectVoxels}).c_str(), current);
        if (auto out = args.value("out"))
            std::printf("wrote %s with %s\n", out->c_str(), describe(entries.front().settings).c_str());
    }
    return 0;
}

}  // namespace

const Command kCalibrateCommand{"calibrate", "choose a model's post-processing on labelled slices", kHelp, &run};

}  // namespace mitoseg::cli
