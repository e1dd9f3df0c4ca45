#include <cmath>
#include <iostream>

#include "app/cli/Args.h"
#include "app/cli/Precision.h"
#include "app/cli/Command.h"
#include "app/cli/DistArgs.h"
#include "core/base/AtomicFile.h"
#include "app/cli/ModelArg.h"
#include "app/cli/TerminalProgress.h"
#include "core/base/Error.h"
#include "core/base/Memory.h"
#include "core/engine/PredictMemory.h"
#include "core/engine/PredictFile.h"
#include "core/engine/Segmenter.h"
#include "core/engine/PostProcessPlan.h"
#include "core/io/TiffStack.h"

namespace mitoseg::cli {

namespace {

const char* kHelp =
    "usage: mitoseg predict STACK --out MASK.tif [options]\n"
    "\n"
    "Segments every slice of STACK with a U-Net model and writes the mask (0/255, or class\n"
    "indices for multiclass models).\n"
    "\n"
    "  --model F                  model file (default: the shipped model, or $MITOSEG_MODEL)\n"
    "  --prob PROB.tif            also write the foreground probability\n"
    "  --prob-type float32|uint8  type of PROB.tif (default float32; uint8 = round(255 p))\n"
    "  --tta                      average over the 8 flips/rotations (8x slower, smoother)\n"
    "  --z-smooth R               average probabilities over +-R neighbouring slices before\n"
    "                             thresholding (binary models; default: the model's setting)\n"
    "  --threshold T              foreground threshold (default: the model's setting)\n"
    "  --min-object N             drop 3D objects of fewer than N voxels (binary models;\n"
    "                             default: the model's setting; 0 = keep all)\n"
    "  --threads N                torch threads (default: all cores)\n"
    "  --tile N --overlap N       tile edge and overlap in pixels (default 1024, 128)\n"
    "  --batch N                  tiles per forward pass (default 2)\n"
    "  --workers N                slices predicted at once, one torch thread each\n"
    "                             (default: --threads + 1; 1 = one slice on all threads)\n"
    "  --fp32 | --bf16            float32 or bfloat16 weights and activations (default:\n"
    "                             bfloat16 where the CPU has AVX512-BF16 or AMX, else int8;\n"
    "                             MITOSEG_PRECISION=bf16|fp32 sets it for every command,\n"
    "                             =int8 for this one)\n"
    "  --int8                     8-bit convolutions (oneDNN int8), activation ranges\n"
    "                             calibrated on three slices of STACK: ~2x faster than\n"
    "                             float32; the default where the CPU has no bfloat16\n"
    "                             (MITOSEG_PRECISION=int8 sets it; --fp32 turns it off)\n"
    "                             Refused on CPUs with AMX-INT8 (oneDNN 2.6's AMX int8\n"
    "                             convolution corrupts memory on small feature maps);\n"
    "                             bfloat16 on AMX is their default\n"
    "  --reference                the network exactly as trained (float32, transposed\n"
    "                             convolution, batch norm unfolded): slow; for checking\n"
    "  --memory-budget SIZE       memory for slices in flight, the context and smoothing window\n"
    "                             and the network's activations (default MITOSEG_MEMORY_BUDGET,\n"
    "                             else 1G; LibTorch itself, ~230 MB, not counted): fewer\n"
    "                             workers when needed, then (unless --tile, --overlap or --batch\n"
    "                             is given) tiles of 512 or 256; refused with the figure when\n"
    "                             nothing fits. EPFL stack: 1G ~1.0 GB peak RSS, 256M ~410 MB\n"
    "                             at about 2x the time, 200M ~370 MB\n";

std::vector<std::string> valueOptions()
{
    std::vector<std::string> v{"model", "out", "prob", "prob-type", "threads", "tile", "overlap", "batch", "z-smooth", "threshold", "min-object", "workers"};
    v.insert(v.end(), distValueOptions().begin(), distValueOptions().end());
    return v;
}

int run(const std::vector<std::string>& argv)
{
    Args args(argv, valueOptions(), {"tta", "fp32", "bf16", "reference", "int8"});
    args.expectPositionals(1, 1);
    auto out = args.value("out");
    if (!out)
        throw UsageError("--out MASK.tif is required");
    std::string probType = args.value("prob-type", "float32");
    if (probType != "float32" && probType != "uint8")
        throw UsageError("--prob-type must be float32 or uint8");
    PredictOptions opt;
    opt.tta = args.flag("tta");
    opt.bf16 = bf16FromArgs(args);
    opt.referencePath = args.flag("reference");
    if (args.flag("int8") && (args.flag("bf16") || args.flag("fp32") || opt.referencePath))
        throw UsageError("--int8 excludes --bf16, --fp32 and --reference");
    if (args.flag("int8") && !int8Unavailable().empty())
        throw UsageError("--int8: " + int8Unavailable());
    opt.int8 = args.flag("int8") || (!args.flag("fp32") && !args.flag("bf16") && defaultInt8());
    if (opt.int8)
        opt.bf16 = false;
    opt.workers = static_cast<int>(args.integer("workers", opt.workers, 0, 64));
    opt.threads = static_cast<int>(args.integer("threads", 0, 0, 1024));
    opt.tile = static_cast<int>(args.integer("tile", opt.tile, 16, 65536));
    opt.overlap = static_cast<int>(args.integer("overlap", opt.overlap, 0, 65535));
    opt.batch = static_cast<int>(args.integer("batch", opt.batch, 1, 1024));
    opt.zSmooth = static_cast<int>(args.integer("z-smooth", -1, 0, 16));
    if (opt.tile < 16 || opt.overlap < 0 || opt.overlap >= opt.tile || opt.batch < 1 || opt.workers < 0 || opt.workers > 64 || opt.zSmooth < -1 || opt.zSmooth > 16)
        throw UsageError("need --tile >= 16, 0 <= --overlap < --tile, --batch >= 1, 0 <= --workers <= 64, 0 <= --z-smooth <= 16");
    double threshold = args.number("threshold", -1, 0.0, 1.0);
    if (args.value("threshold") && !(threshold > 0 && threshold < 1))
        throw UsageError("--threshold must be in (0, 1)");
    opt.threshold = static_cast<float>(threshold);
    opt.minObjectVoxels = args.integer("min-object", -1, 0, 1000000000000LL);
    if (opt.minObjectVoxels < -1)
        throw UsageError("--min-object must be >= 0");

    // Distributed: rank 0 writes the outputs, every rank reads the stack and the model.
    std::unique_ptr<ProcessGroup> group = openProcessGroup(args);
    const bool rank0 = !group || group->rank() == 0;
    // Both outputs must be writable before the job starts (they are replaced together at the end).
    if (rank0)
        checkWritableOutput(*out);
    if (auto prob = args.value("prob")) {
        if (rank0)
            checkWritableOutput(*prob);
        if (std::filesystem::weakly_canonical(*prob) == std::filesystem::weakly_canonical(*out))
            throw UsageError("--prob and --out name the same file");
    }
    const std::filesystem::path modelPath = modelPathFromArgs(args);
    auto segmenter = Segmenter::load(modelPath);
    const ModelInfo& mi = segmenter->info();
    if ((opt.zSmooth > 0 || threshold > 0 || opt.minObjectVoxels > 0) && mi.classes != 2)
        throw UsageError("--z-smooth, --threshold and --min-object need a binary model");

    auto stack = TiffStack::open(args.positionals()[0]);
    const StackInfo& info = stack->info();
    if (group)
        std::cerr << "rank " << group->rank() << " of " << group->size() << ": ";
    std::cerr << "model " << modelPath.string() << " (" << mi.preset << ", " << mi.parameters << " parameters";
    if (mi.validationIoU > 0)
        std::cerr << ", validation IoU " << mi.validationIoU;
    std::cerr << "); stack " << info.shape.depth << "x" << info.shape.height << "x" << info.shape.width
              << (opt.tta ? ", with TTA" : "")
              << (opt.referencePath ? ", reference path" : opt.bf16 ? ", bfloat16" : opt.int8 ? ", int8" : ", float32");
    int zSmoothUsed = 0;
    if (mi.classes == 2) {
        PostProcessing pp;
        pp.zSmooth = opt.zSmooth >= 0 ? opt.zSmooth : mi.zSmooth;
        pp.threshold = threshold > 0 ? static_cast<float>(threshold) : mi.threshold;
        pp.minObjectVoxels = opt.minObjectVoxels >= 0 ? opt.minObjectVoxels : mi.minObjectVoxels;
        const PostProcessPlan plan = planPostProcessing(pp, info.shape);
        const PostProcessing& used = plan.effective;
        zSmoothUsed = used.zSmooth;
        std::cerr << ", z-smoothing +-" << used.zSmooth << ", threshold " << used.threshold << ", smallest object "
                  << used.minObjectVoxels << " voxels";
        if (!plan.note().empty())
            std::cerr << " (" << plan.note() << ")";
    }
    // Fit the memory budget before any output exists: fewer slices in flight, then (unless the
    // tiling was given) smaller tiles, or a refusal.
    const bool tilingGiven = args.value("tile") || args.value("overlap") || args.value("batch");
    const PredictMemoryPlan memory =
        planPredictMemory(info.shape, mi, opt, zSmoothUsed, args.value("prob").has_value(), memoryBudget(), !tilingGiven);
    if (!memory.fits()) {
        std::cerr << "\n";
        throw Error(args.positionals()[0] + ": " + memory.refusal(info.shape));
    }
    if (memory.workers < memory.requestedWorkers) {
        std::cerr << "; " << memory.workers << " slice worker" << (memory.workers > 1 ? "s" : "") << " instead of "
                  << memory.requestedWorkers;
        opt.workers = memory.workers;
    }
    if (memory.tileReduced) {
        std::cerr << (memory.workers < memory.requestedWorkers ? ", " : "; ") << "tiles of " << memory.tile << " (overlap "
                  << memory.overlap << ", one per pass) instead of " << opt.tile;
        opt.tile = memory.tile;
        opt.overlap = memory.overlap;
        opt.batch = memory.batch;
    }
    if (memory.workers < memory.requestedWorkers || memory.tileReduced)
        std::cerr << " to fit the memory budget of " << formatBytes(memory.budget);
    std::cerr << "\n";
    stack.reset();
    TerminalProgress bar("predict", 10.0);
    FunctionProgress progress([&](double done, double total, const std::string&) {
        bar.update(done, total, "slice " + std::to_string(static_cast<long long>(done)) + "/" + std::to_string(static_cast<long long>(total)));
    });
    PredictFileRequest request;
    request.stack = args.positionals()[0];
    request.mask = *out;
    request.options = opt;
    if (auto prob = args.value("prob")) {
        request.probability = *prob;
        request.probabilityType = probType == "uint8" ? ProbabilityType::Uint8 : ProbabilityType::Float32;
    }
    const PredictFileReport report = predictFile(*segmenter, request, rank0 ? &progress : nullptr, nullptr, group.get());
    if (!rank0) {
        std::cerr << "rank " << group->rank() << ": predicted its slices in " << report.seconds << " s, sent "
                  << group->communicationBytes() << " bytes\n";
        return 0;
    }
    std::cout << "mask: " << *out << "\n";
    if (!request.probability.empty())
        std::cout << "probability: " << request.probability.string() << "\n";
    std::cerr << "predicted " << report.shape.depth << " slices in " << report.seconds << " s\n";
    return 0;
}

}  // namespace

const Command kPredictCommand{"predict", "segment a stack with a U-Net model", std::string(kHelp) + distHelp(), &run};

}  // namespace mitoseg::cli
