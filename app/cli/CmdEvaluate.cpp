#include <cstdio>
#include <iostream>
#include <tuple>

#include "app/cli/Args.h"
#include "app/cli/Command.h"
#include "core/base/Error.h"
#include "core/engine/Json.h"
#include "core/io/TiffStack.h"
#include "core/metrics/Metrics.h"

namespace mitoseg::cli {

namespace {

const char* kHelp =
    "usage: mitoseg evaluate PRED.tif TRUTH.tif [--json] [--z-range A-B] [--classes N] [--objects] [--per-slice]\n"
    "\n"
    "Compares a predicted mask with the true one: foreground IoU, Dice, the two-class mean IoU\n"
    "(as the seed notebook reported), per-class IoU for label volumes (--classes N), object-level\n"
    "precision/recall/F1 of 3D connected components matched at IoU >= 0.5 (--objects) and the IoU\n"
    "of each slice (--per-slice). Masks: any non-zero voxel is foreground.\n";

int run(const std::vector<std::string>& argv)
{
    Args args(argv, {"z-range", "classes"}, {"json", "objects", "per-slice"});
    args.expectPositionals(2, 2);
    int classes = static_cast<int>(args.integer("classes", 2, 2, 256));
    if (classes < 2 || classes > 256)
        throw UsageError("--classes must be in 2..256");
    std::int64_t z0 = 0, z1 = -1;
    if (auto r = args.value("z-range"))
        std::tie(z0, z1) = parseRange(*r, "--z-range");
    const std::filesystem::path predPath = args.positionals()[0], truthPath = args.positionals()[1];
    // Compare the headers before reading a voxel: a mismatch costs nothing, whatever the sizes.
    {
        const Shape p = TiffStack::open(predPath)->info().shape, t = TiffStack::open(truthPath)->info().shape;
        auto text = [](const Shape& s) {
            return std::to_string(s.depth) + " x " + std::to_string(s.height) + " x " + std::to_string(s.width);
        };
        if (!(p == t))
            throw Error("prediction " + predPath.string() + " is " + text(p) + " but truth " + truthPath.string() + " is " +
                        text(t) + " (z x y x x): they must have the same shape");
        if (z1 >= t.depth)
            throw UsageError("--z-range exceeds the " + std::to_string(t.depth) + " slices");
    }
    VolumeU8 pred = readLabels(predPath, classes == 2);
    VolumeU8 truth = readLabels(truthPath, classes == 2);
    OverlapScores s = overlapScores(pred, truth, classes, z0, z1);
    Json j = Json::object();
    j["foreground_iou"] = s.foregroundIoU;
    j["dice"] = s.dice;
    j["mean_iou_2class"] = s.meanIoU2Class;
    j["slices"] = Json(static_cast<std::int64_t>((z1 < 0 ? truth.depth() - 1 : z1) - z0 + 1));
    if (classes > 2) {
        Json per = Json::array();
        for (double v : s.classIoU)
            per.push(Json(v));
        j["class_iou"] = per;
        j["mean_iou"] = s.meanIoU;
    }
    if (args.flag("objects")) {
        ObjectScores o = objectScores(pred, truth, Connectivity::TwentySix, 0.5, z0, z1);
        Json oj = Json::object();
        oj["predicted"] = o.predicted;
        oj["truth"] = o.truth;
        oj["matched"] = o.matched;
        oj["precision"] = o.precision;
        oj["recall"] = o.recall;
        oj["f1"] = o.f1;
        j["objects"] = oj;
    }
    std::vector<double> per;
    if (args.flag("per-slice")) {
        per = perSliceIoU(pred, truth, z0, z1);
        Json pj = Json::array();
        for (double v : per)
            pj.push(Json(v));
        j["per_slice_iou"] = pj;
    }
    if (args.flag("json")) {
        std::cout << j.dump() << "\n";
        return 0;
    }
    std::printf("foreground IoU   %.4f\nDice             %.4f\nmean IoU (2-cls) %.4f\n", s.foregroundIoU, s.dice, s.meanIoU2Class);
    if (classes > 2) {
        for (std::size_t k = 0; k < s.classIoU.size(); ++k)
            std::printf("class %zu IoU      %.4f\n", k, s.classIoU[k]);
        std::printf("mean IoU         %.4f\n", s.meanIoU);
    }
    if (const Json* o = j.find("objects"))
        std::printf("objects          %lld predicted, %lld true, %lld matched: precision %.4f recall %.4f F1 %.4f\n",
                    static_cast<long long>(o->number("predicted", 0)), static_cast<long long>(o->number("truth", 0)),
                    static_cast<long long>(o->number("matched", 0)), o->number("precision", 0), o->number("recall", 0),
                    o->number("f1", 0));
    for (std::size_t i = 0; i < per.size(); ++i)
        std::printf("slice %lld IoU %.4f\n", static_cast<long long>(z0) + static_cast<long long>(i), per[i]);
    return 0;
}

}  // namespace

const Command kEvaluateCommand{"evaluate", "score a predicted mask against the truth (IoU, Dice, objects)", kHelp, &run};

}  // namespace mitoseg::cli
