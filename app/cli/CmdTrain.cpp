#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>
#include <limits>
#include <optional>
#include <tuple>
#include <cstdio>
#include <iostream>

#include "app/cli/Args.h"
#include "app/cli/Precision.h"
#include "app/cli/Command.h"
#include "app/cli/DistArgs.h"
#include "core/base/AtomicFile.h"
#include "app/cli/TerminalProgress.h"
#include "core/base/Error.h"
#include "core/base/Memory.h"
#include "core/engine/ModelFile.h"
#include "core/engine/ModelSpec.h"
#include "core/engine/Trainer.h"
#include "core/loop/SliceSubset.h"
#include "core/io/TiffStack.h"

namespace mitoseg::cli {

namespace {

const char* kHelp =
    "usage: mitoseg train IMAGE MASK --out MODEL [options]\n"
    "\n"
    "Trains a U-Net on a TIFF stack and its mask (0/255 or 0/1; label values with --classes N)\n"
    "and writes the best model (by foreground IoU on the held-out validation slices) to MODEL.\n"
    "\n"
    "  --preset fast|seed|tiny     architecture (default fast: base 16, depth 4, 1.9 M parameters)\n"
    "  --base N --depth N          override width / depth of the preset\n"
    "  --upsampling transposed|resize   decoder up-sampling (default transposed)\n"
    "  --dropout P                 dropout before the bridge (default 0)\n"
    "  --context K                 2.5D: feed K neighbouring slices on each side as channels (default 0)\n"
    "  --classes N                 classes including background (default 2 = binary)\n"
    "  --steps N                   training steps (default 2000; with --minutes: no limit)\n"
    "  --minutes M                 wall-time budget: stop after M minutes, with the learning-rate\n"
    "                              decay fitted to the budget (--steps stays an upper bound)\n"
    "  --batch N --patch N         patches per step and patch edge (default 4 x 256)\n"
    "  --lr X --weight-decay X     AdamW learning rate and weight decay (default 1e-3, 1e-4)\n"
    "  --optimizer adam|adamw      (default adamw)\n"
    "  --warmup N                  warm-up steps before the cosine decay (default 50)\n"
    "  --labelled-slices LIST      only these slices carry labels, e.g. 0-10,20 (default all);\n"
    "                              then only they, the validation slices and their context\n"
    "                              neighbours are read, so a stack bigger than memory can train\n"
    "  --val-z A-B                 held-out validation slices (default: the last 32 slices of\n"
    "                              stacks of 100+ slices, else the last 20%); --no-val for none\n"
    "  --validate-every N          steps between validations (default 200)\n"
    "  --patience N                stop after N validations without improvement (default off)\n"
    "  --curve CSV                 write the learning curve (step, minutes, learning rate, mean\n"
    "                              loss, validation IoU, best) to CSV at every validation; with\n"
    "                              --resume an existing CSV is continued\n"
    "  --checkpoint-dir D          write D/checkpoint.msc (atomically) every few minutes\n"
    "  --checkpoint-minutes M      minutes between checkpoints (default 5)\n"
    "  --keep-snapshots            also keep D/model-step<N>.msm from every validation (with\n"
    "                              --no-val: every --validate-every steps)\n"
    "  --resume CKPT               continue a run from its checkpoint (same options)\n"
    "  --init MODEL                start from MODEL's weights (fine-tuning; its architecture is\n"
    "                              used, and its input slices unless --context adds more)\n"
    "  --fg-fraction F             share of patches centred on foreground (default 0.5)\n"
    "  --boundary-weight W         the BCE of pixels within 3 pixels of a mask edge counts 1 + W times\n"
    "                              (default 0: all pixels alike)\n"
    "  --threads N                 torch threads (default: all cores)\n"
    "  --seed N                    random seed (default 1)\n"
    "  --fp32 | --bf16             float32 or bfloat16-autocast convolutions (default: bfloat16\n"
    "                              where the CPU has AVX512-BF16 or AMX, else float32;\n"
    "                              MITOSEG_PRECISION=bf16|fp32 sets it for every command);\n"
    "                              validation predicts as `mitoseg predict` does on this CPU:\n"
    "                              in bfloat16, else in int8 (float32 with --fp32)\n"
    "  --no-augment                no flips/rotations or intensity changes\n"
    "  --freeze-bn                 keep batch-norm layers in inference mode (statistics fixed)\n"
    "  --no-batch-norm             a network without batch norm\n"
    "  --per-patch-seeds           draw patch i of each step from its own seed (seed, step, i);\n"
    "                              always on with several ranks, so one process with this and\n"
    "                              --batch N*b draws the patches of N ranks of --batch b\n"
    "  --no-overlap                with several ranks: all-reduce the gradients after backward\n"
    "                              instead of bucket by bucket during it (the default)\n"
    "\n"
    "With several ranks, --batch is per rank; gradients are averaged every step, rank 0\n"
    "validates (with the others' help) and writes the model and checkpoints, and --resume must\n"
    "name a checkpoint every rank can read.\n"
    "\n"
    "Ctrl-C (or SIGTERM) stops after the current step and writes a checkpoint.\n";

// The --curve CSV: one row per validation, rewritten atomically each time so a stopped run
// leaves every row so far. Minutes count from the start of training in this process, plus the
// last row's minutes of a continued (resumed) file.
class LearningCurve {
public:
    LearningCurve(std::filesystem::path path, bool continueExisting) : path_(std::move(path))
    {
        if (path_.empty() || !continueExisting || !std::filesystem::exists(path_))
            return;
        std::ifstream in(path_);
        std::string line;
        std::getline(in, line);   // header
        while (std::getline(in, line)) {
            if (line.empty())
                continue;
            rows_.push_back(line);
            std::istringstream fields(line);
            std::string step, minutes;
            if (std::getline(fields, step, ',') && std::getline(fields, minutes, ','))
                offsetMinutes_ = std::strtod(minutes.c_str(), nullptr);
        }
    }
    void add(const TrainProgress& p)
    {
        if (path_.empty())
            return;
        const double minutes = offsetMinutes_ + std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count() / 60.0;
        char row[200];
        std::snprintf(row, sizeof row, "%lld,%.3f,%.3e,%.5f,%.5f,%.5f", static_cast<long long>(p.step), minutes, p.learningRate,
                      p.averageLoss, p.valIoU, p.bestValIoU);
        rows_.emplace_back(row);
        try {
            writeFileAtomically(path_, [&](std::ostream& out) {
                out << "step,minutes,learning_rate,mean_loss,val_iou,best_val_iou\n";
                for (const std::string& r : rows_)
                    out << r << "\n";
            });
        } catch (const Error& e) {
            std::cerr << "\nwarning: " << e.what() << "\n";   // the run goes on; the next validation retries
        }
    }

private:
    std::filesystem::path path_;
    std::vector<std::string> rows_;
    double offsetMinutes_ = 0;
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

CancelToken* gCancel = nullptr;
extern "C" void onSignal(int)
{
    if (gCancel)
        gCancel->cancel();
}

int run(const std::vector<std::string>& argv)
{
    std::vector<std::string> valueOptions{"out", "minutes", "preset", "base", "depth", "upsampling", "dropout", "context", "classes",
                                          "steps", "batch", "patch", "lr", "weight-decay", "optimizer", "warmup", "labelled-slices",
                                          "val-z", "validate-every", "patience", "checkpoint-dir", "checkpoint-minutes", "resume",
                                          "init", "fg-fraction", "threads", "seed", "curve", "boundary-weight"};
    valueOptions.insert(valueOptions.end(), distValueOptions().begin(), distValueOptions().end());
    Args args(argv, valueOptions, {"no-val", "fp32", "bf16", "no-augment", "keep-snapshots", "freeze-bn", "no-batch-norm", "per-patch-seeds", "no-overlap"});
    args.expectPositionals(2, 2);
    auto out = args.value("out");
    if (!out)
        throw UsageError("--out MODEL is required");
    TrainConfig c;
    try {
        c.arch = UNetConfig::fromPreset(args.value("preset", "fast"));
        c.arch.base = static_cast<int>(args.integer("base", c.arch.base, 1, 256));
        c.arch.depth = static_cast<int>(args.integer("depth", c.arch.depth, 1, 7));
        c.arch.upsampling = parseUpsampling(args.value("upsampling", "transposed"));
        c.arch.dropout = args.number("dropout", 0.0, 0.0, 0.99);
        c.arch.inChannels = 2 * static_cast<int>(args.integer("context", 0, 0, 31)) + 1;
        c.arch.classes = static_cast<int>(args.integer("classes", 2, 2, 255));
        if (args.flag("no-batch-norm"))
            c.arch.batchNorm = false;
        c.arch.validate();
    } catch (const UsageError&) {
        throw;
    } catch (const Error& e) {
        throw UsageError(e.what());
    }
    c.maxSeconds = 60.0 * args.number("minutes", 0.0, 0.0, 1e6);
    if (c.maxSeconds < 0)
        throw UsageError("--minutes must be positive");
    c.steps = args.integer("steps", c.maxSeconds > 0 ? 1000000000LL : 2000, 1, 1000000000000LL);
    c.batch = static_cast<int>(args.integer("batch", 4, 1, 4096));
    c.patch = static_cast<int>(args.integer("patch", 256, 8, 65536));
    c.learningRate = args.number("lr", 1e-3, 0.0, 10.0);
    c.weightDecay = args.number("weight-decay", 1e-4, 0.0, 10.0);
    std::string optName = args.value("optimizer", "adamw");
    if (optName != "adam" && optName != "adamw")
        throw UsageError("--optimizer must be adam or adamw");
    c.optimizer = optName == "adam" ? OptimizerKind::Adam : OptimizerKind::AdamW;
    c.warmupSteps = args.integer("warmup", 50, 0, 1000000000000LL);
    c.validateEvery = args.integer("validate-every", 200, 1, 1000000000000LL);
    c.earlyStopPatience = static_cast<int>(args.integer("patience", 0, 0, 1000000));
    c.checkpointDir = args.value("checkpoint-dir", "");
    c.checkpointSeconds = 60.0 * args.number("checkpoint-minutes", 5.0, 0.0, 1e6);
    c.keepSnapshots = args.flag("keep-snapshots");
    if (c.keepSnapshots && c.checkpointDir.empty())
        throw UsageError("--keep-snapshots needs --checkpoint-dir");
    c.resumeFrom = args.value("resume", "");
    c.initFrom = args.value("init", "");
    if (!c.initFrom.empty() && !args.value("context"))
        c.arch.inChannels = 0;  // the model's own input slices
    c.foregroundFraction = args.number("fg-fraction", 0.5, 0.0, 1.0);
    if (!(c.foregroundFraction >= 0 && c.foregroundFraction <= 1))
        throw UsageError("--fg-fraction must be in [0, 1]");
    c.boundaryWeight = args.number("boundary-weight", 0.0, 0.0, 1000.0);
    if (!(c.boundaryWeight >= 0))
        throw UsageError("--boundary-weight must be 0 or more");
    c.threads = static_cast<int>(args.integer("threads", 0, 0, 1024));
    c.seed = static_cast<std::uint64_t>(args.integer("seed", 1, 0, std::numeric_limits<long long>::max()));
    c.bf16 = bf16FromArgs(args);
    // Validation predicts as `mitoseg predict` will on this CPU: int8 without bfloat16.
    c.validateInt8 = !c.bf16 && !args.flag("fp32") && defaultInt8();
    c.augmentGeometry = c.augmentIntensity = !args.flag("no-augment");
    c.freezeBatchNorm = args.flag("freeze-bn");
    c.perPatchSeeds = args.flag("per-patch-seeds");
    c.overlapGradients = !args.flag("no-overlap");
    c.outModel = *out;
    c.recipe = "mitoseg train";
    for (const std::string& word : argv)
        c.recipe += word.find_first_of(" \t\"'") == std::string::npos ? " " + word : " '" + word + "'";
    if (c.steps < 1 || c.batch < 1 || c.patch < 8 || !(c.learningRate > 0))
        throw UsageError("--steps, --batch, --patch and --lr must be positive (patch >= 8)");

    // Data-parallel: join the other ranks first (a bad rendezvous fails before any work).
    std::unique_ptr<ProcessGroup> group = openProcessGroup(args);
    c.group = group.get();
    const bool rank0 = !group || group->rank() == 0;
    // Fail now, not after hours of training, when an output cannot be written (rank 0 writes).
    if (rank0)
        checkWritableOutput(c.outModel);
    if (rank0 && !c.checkpointDir.empty()) {
        std::filesystem::create_directories(c.checkpointDir);
        checkWritableOutput(c.checkpointDir / "checkpoint.msc");
    }
    const std::filesystem::path imagePath = args.positionals()[0], maskPath = args.positionals()[1];
    auto stack = TiffStack::open(imagePath);
    const StackInfo& info = stack->info();
    const std::int64_t D = info.shape.depth;
    {
        auto mask = TiffStack::open(maskPath);   // headers first: a mismatch costs nothing
        const Shape m = mask->info().shape;
        if (!(m == info.shape))
            throw Error("image " + imagePath.string() + " is " + std::to_string(info.shape.depth) + "x" +
                        std::to_string(info.shape.height) + "x" + std::to_string(info.shape.width) + " but mask " +
                        maskPath.string() + " is " + std::to_string(m.depth) + "x" + std::to_string(m.height) + "x" +
                        std::to_string(m.width) + " (z x y x x): they must match");
    }
    TrainData data;
    if (auto list = args.value("labelled-slices")) {
        try {
            data.labelledSlices = parseIndexList(*list);
        } catch (const Error& e) {
            throw UsageError(e.what());
        }
        if (data.labelledSlices.back() >= D)
            throw UsageError("--labelled-slices names slice " + std::to_string(data.labelledSlices.back()) + " but the stack has " +
                             std::to_string(D));
    }
    if (auto vz = args.value("val-z")) {
        std::tie(data.valBegin, data.valEnd) = parseRange(*vz, "--val-z");
        if (data.valEnd >= D)
            throw UsageError("--val-z " + *vz + " exceeds the " + std::to_string(D) + " slices");
    } else if (!args.flag("no-val") && D >= 5) {
        std::int64_t n = D >= 100 ? 32 : std::max<std::int64_t>(1, D / 5);
        data.valBegin = D - n;
        data.valEnd = D - 1;
    }
    // What training reads. With --labelled-slices: those and the validation slices, each with
    // the network's context neighbours (core SliceSubset: the same patches as on the whole
    // stack), so sparse labels on a stack far bigger than memory train in a few slices' memory.
    // Otherwise every slice, refused up front when the stack and its mask cannot fit.
    VolumeU8 imageU8, labels;
    VolumeF32 imageF32;
    std::optional<SliceSubset> subset;
    if (!data.labelledSlices.empty()) {
        const int context = c.arch.inChannels > 0 ? c.arch.context()
                                                  : ModelSpec::fromJson(readModelContainer(c.initFrom).header, c.initFrom).arch.context();
        std::vector<std::int64_t> needed = data.labelledSlices;
        for (std::int64_t z = data.valBegin; z >= 0 && z <= data.valEnd; ++z)
            needed.push_back(z);
        subset = SliceSubset::around(needed, std::max(0, context), D);
    } else {
        const std::uint64_t need = static_cast<std::uint64_t>(info.shape.voxels()) * (info.dtype == DType::U8 ? 2 : 5);
        const std::uint64_t available = availableMemoryBytes();
        if (available > 0 && need > available)
            throw Error("training on every slice of " + imagePath.string() + " reads the stack and its mask, about " +
                        formatBytes(need) + ", but " + formatBytes(available) +
                        " is available: give --labelled-slices (the slices the mask labels; training then reads only "
                        "those, the validation slices and their neighbours)");
    }
    const Shape keptShape = subset ? Shape{subset->size(), info.shape.height, info.shape.width} : info.shape;
    if (subset && rank0)
        std::cerr << "reading " << subset->size() << " of " << D << " slices (labelled and validation slices with "
                  << "their neighbours)\n";
    auto sliceOf = [&](std::int64_t i) { return subset ? subset->original(i) : i; };
    if (info.dtype == DType::U8) {
        if (subset) {
            imageU8 = VolumeU8(keptShape);
            for (std::int64_t i = 0; i < keptShape.depth; ++i)
                stack->readSlice(sliceOf(i), imageU8.slice(i));
        } else {
            imageU8 = stack->readAll<std::uint8_t>();
        }
        data.image = &imageU8;
    } else {
        imageF32 = VolumeF32(keptShape);
        for (std::int64_t i = 0; i < keptShape.depth; ++i)
            stack->readSliceF32(sliceOf(i), imageF32.slice(i));
        data.imageF32 = &imageF32;
    }
    if (subset) {
        auto mask = TiffStack::open(maskPath);
        labels = VolumeU8(keptShape);
        std::vector<float> scratch;
        for (std::int64_t i = 0; i < keptShape.depth; ++i)
            readLabelSlice(*mask, sliceOf(i), c.arch.classes == 2, labels.slice(i), scratch);
    } else {
        labels = readLabels(maskPath, c.arch.classes == 2);
    }
    data.labels = &labels;
    c.dataDescription = imagePath.filename().string() + " + " + maskPath.filename().string() +
                        (data.labelledSlices.empty() ? "" : " (labelled slices " + *args.value("labelled-slices") + ")") +
                        (data.valBegin >= 0 ? ", validation z " + std::to_string(data.valBegin) + "-" + std::to_string(data.valEnd)
                                            : ", no validation") +
                        (c.initFrom.empty() ? "" : ", fine-tuned from " + c.initFrom.filename().string());
    if (subset) {
        std::vector<std::int64_t> val;
        for (std::int64_t z = data.valBegin; z >= 0 && z <= data.valEnd; ++z)
            val.push_back(z);
        data.labelledSlices = subset->local(data.labelledSlices);
        data.valSlices = subset->local(val);
        data.valBegin = data.valEnd = -1;
    }
    if (group)
        std::cerr << "rank " << group->rank() << " of " << group->size() << ": ";
    std::cerr << "training " << c.arch.preset << " U-Net (base " << c.arch.base << ", depth " << c.arch.depth << ") on "
              << c.dataDescription << ", "
              << (c.maxSeconds > 0 ? formatDuration(c.maxSeconds) + " of" : std::to_string(c.steps) + " steps of") << " " << c.batch << "x" << c.patch << "^2"
              << (c.bf16 ? ", bf16" : ", fp32") << (c.validateInt8 ? ", validates in int8" : "") << "\n";

    const std::filesystem::path curvePath = args.value("curve", "");
    LearningCurve curve(curvePath, !c.resumeFrom.empty());
    if (!curvePath.empty() && rank0)
        checkWritableOutput(curvePath);

    CancelToken cancel;
    gCancel = &cancel;
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
    TerminalProgress bar("train", 30.0);
    TrainResult r = train(
        c, data,
        [&](const TrainProgress& p) {
            char detail[160];
            std::snprintf(detail, sizeof detail, "step %lld loss %.4f (avg %.4f) lr %.1e %.2fs/step val IoU %.4f best %.4f",
                          static_cast<long long>(p.step), p.loss, p.averageLoss, p.learningRate, p.secondsPerStep, p.valIoU,
                          p.bestValIoU);
            if (!rank0)
                return;
            if (p.validated)
                curve.add(p);
            bar.update(static_cast<double>(p.step), static_cast<double>(p.totalSteps), detail, p.etaSeconds, p.validated);
            if (!p.warning.empty())
                std::cerr << "\nwarning: " << p.warning << "\n";
        },
        cancel);
    installTempFileCleanup();   // back to removing temporary files on a signal
    gCancel = nullptr;
    if (!rank0) {
        std::cerr << "rank " << group->rank() << ": " << r.steps << " steps in " << formatDuration(r.seconds) << "\n";
        return r.cancelled ? 1 : 0;
    }
    bar.finish();
    std::cerr << (r.cancelled ? "stopped" : r.stoppedEarly ? "stopped early" : r.outOfTime ? "time budget spent" : "finished") << " after " << r.steps << " steps in "
              << formatDuration(r.seconds);
    if (group)
        std::cerr << "; " << group->size() << " ranks, " << r.gradientBytesPerStep / 1024 << " KiB all-reduced per step, "
                  << r.communicationSeconds << " s in collectives";
    if (r.bestValIoU >= 0)
        std::cerr << "; best validation IoU " << r.bestValIoU << " at step " << r.bestStep;
    std::cerr << "\n";
    if (r.failedWrites > 0)
        std::cerr << "warning: " << r.failedWrites << " checkpoint/snapshot write(s) failed; last: " << r.lastWriteError << "\n";
    std::cout << "model: " << c.outModel.string() << "\n";
    if (!c.checkpointDir.empty())
        std::cout << "checkpoint: " << (c.checkpointDir / "checkpoint.msc").string() << "\n";
    return r.cancelled ? 1 : 0;
}

}  // namespace

const Command kTrainCommand{"train", "train a U-Net on a stack and its mask", std::string(kHelp) + distHelp(), &run};

}  // namespace mitoseg::cli
