#include <cstdio>
#include <iostream>
#include <optional>
#include <tuple>

#include "app/cli/Args.h"
#include "app/cli/Command.h"
#include "core/base/Error.h"
#include "core/base/Memory.h"
#include "core/engine/Json.h"
#include "core/io/TiffStack.h"
#include "core/metrics/StreamingMetrics.h"

namespace mitoseg::cli {

namespace {

const char* kHelp =
    "usage: mitoseg evaluate PRED.tif TRUTH.tif [--json] [--z-range A-B] [--classes N] [--objects] [--per-slice]\n"
    "                        [--memory-budget SIZE]\n"
    "\n"
    "Compares a predicted mask with the true one: foreground IoU, Dice, the two-class mean IoU\n"
    "(as the seed notebook reported), per-class IoU for label volumes (--classes N), object-level\n"
    "precision/recall/F1 of 3D connected components matched at IoU >= 0.5 (--objects) and the IoU\n"
    "of each slice (--per-slice). Masks: any non-zero voxel is foreground.\n"
    "Both stacks are read slice by slice (objects too: 2D components joined across z), so memory\n"
    "holds a few slices and the objects' counts, not the volumes. --memory-budget SIZE (e.g. 512M,\n"
    "2G; default MITOSEG_MEMORY_BUDGET, else 1G) caps that; a job that cannot fit is refused\n"
    "with the figure it needs.\n";

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
    auto predStack = TiffStack::open(predPath), truthStack = TiffStack::open(truthPath);
    const Shape shape = truthStack->info().shape;
    if (z1 < 0)
        z1 = shape.depth - 1;
    if (z0 > z1)
        throw UsageError("--z-range " + std::to_string(z0) + "-" + std::to_string(z1) + " is empty");
    const bool objects = args.flag("objects"), perSlice = args.flag("per-slice");
    // Two label slices, plus float scratch for stacks that are not uint8.
    const auto sliceVoxels = static_cast<std::uint64_t>(shape.sliceVoxels());
    const std::uint64_t sliceBytes =
        sliceVoxels * (2 + 4 * ((predStack->info().dtype != DType::U8) + (truthStack->info().dtype != DType::U8)));
    const std::uint64_t budget = memoryBudget();
    if (sliceBytes > budget)
        throw Error("evaluating " + predPath.string() + " against " + truthPath.string() + " needs about " +
                    formatBytes(sliceBytes) + " for its slices of " + std::to_string(shape.height) + " x " +
                    std::to_string(shape.width) + " voxels, over the memory budget of " + formatBytes(budget) +
                    ": give --memory-budget " + budgetArgument(sliceBytes) + " or more");
    std::vector<std::uint8_t> p(sliceVoxels), t(sliceVoxels);
    std::vector<float> scratchP, scratchT;
    OverlapCounter counter(classes);
    std::optional<ObjectMatcher> matcher;
    if (objects)
        matcher.emplace(shape.height, shape.width, Connectivity::TwentySix, 0.5);
    std::vector<double> per;
    for (std::int64_t z = z0; z <= z1; ++z) {
        readLabelSlice(*predStack, z, classes == 2, p.data(), scratchP);
        readLabelSlice(*truthStack, z, classes == 2, t.data(), scratchT);
        counter.add(p.data(), t.data(), shape.sliceVoxels());
        if (perSlice)
            per.push_back(foregroundIoU(p.data(), t.data(), shape.sliceVoxels()));
        if (matcher && sliceBytes + matcher->memoryBytes() > budget)
            throw Error("matching the objects of " + predPath.string() + " and " + truthPath.string() + " needs over " +
                        formatBytes(sliceBytes + matcher->memoryBytes()) + " by slice " + std::to_string(z) +
                        " (too many objects or fragments), over the memory budget of " + formatBytes(budget) +
                        ": give a larger --memory-budget");
        if (matcher)
            matcher->add(p.data(), t.data());
    }
    const OverlapScores s = counter.scores();
    Json j = Json::object();
    j["foreground_iou"] = s.foregroundIoU;
    j["dice"] = s.dice;
    j["mean_iou_2class"] = s.meanIoU2Class;
    j["slices"] = Json(static_cast<std::int64_t>(z1 - z0 + 1));
    if (classes > 2) {
        Json perClass = Json::array();
        for (double v : s.classIoU)
            perClass.push(Json(v));
        j["class_iou"] = perClass;
        j["mean_iou"] = s.meanIoU;
    }
    if (matcher) {
        ObjectScores o = matcher->scores();
        Json oj = Json::object();
        oj["predicted"] = o.predicted;
        oj["truth"] = o.truth;
        oj["matched"] = o.matched;
        oj["precision"] = o.precision;
        oj["recall"] = o.recall;
        oj["f1"] = o.f1;
        j["objects"] = oj;
    }
    if (perSlice) {
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
