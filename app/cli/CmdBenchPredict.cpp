#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "app/cli/Args.h"
#include "app/cli/ChildRun.h"
#include "app/cli/Command.h"
#include "app/cli/ModelArg.h"
#include "app/cli/PeerRunner.h"
#include "app/cli/UNetBench.h"
#include "core/base/Memory.h"
#include "core/engine/PredictFile.h"
#include "core/engine/Trainer.h"
#include "core/io/TiffSliceWriter.h"
#include "core/io/TiffStack.h"

namespace mitoseg::cli {

namespace {

const char* kHelp =
    "usage: mitoseg bench predict [--preset fast|seed|tiny] [--height 768] [--width 1024] [--repeats 3]\n"
    "                             [--threads 2] [--batch 1] [--fp32|--bf16|--int8] [--levers] [--no-peer]\n"
    "       mitoseg bench predict --stack S.tif [--model M] [--repeats 1] [--threads 2] [--workers N]\n"
    "                             [--fp32|--bf16|--int8]\n"
    "       mitoseg bench predict --rss 50,200,800 [--stack S.tif] [--model M] [--threads 2] [--workers N]\n"
    "\n"
    "Times U-Net inference of one whole slice and, in the same run, the same network in PyTorch\n"
    "from Python (peer.py unet-infer: float32, transposed convolution). Prints medians (ms per\n"
    "slice, voxels/s, achieved GFLOP/s) and the ratio.\n"
    "  --levers     time every step of the speed work in one run (reference float32 with the\n"
    "               transposed convolution, bf16 autocast, pixel shuffle, pure bf16, BN folding,\n"
    "               int8)\n"
    "  --int8       8-bit convolutions, as `mitoseg predict` runs by default on CPUs without\n"
    "               bfloat16 (the default here too, there); refused on CPUs with AMX-INT8\n"
    "               (see `mitoseg predict --help`)\n"
    "  --batch N    slices per forward pass\n"
    "  --stack S    time `mitoseg predict S` file to file (read, predict, post-process, write;\n"
    "               outputs go to a temporary folder) with the shipped model or --model\n"
    "  --rss D1,D2  peak RSS of `mitoseg predict` (a child process) on BigTIFF stacks of depths\n"
    "               D1, D2, ... made in a temporary folder (from --stack's slices, repeated, or a\n"
    "               generated pattern of --height x --width), with the shipped model or --model,\n"
    "               --workers and --memory-budget passed on\n";

int runStack(const Args& args, int threads, int repeats)
{
    const std::filesystem::path modelPath = modelPathFromArgs(args);
    auto segmenter = Segmenter::load(modelPath);
    std::filesystem::path dir = std::filesystem::temp_directory_path() / ("mitoseg-bench-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    PredictFileRequest r;
    r.stack = *args.value("stack");
    r.mask = dir / "mask.tif";
    r.options.threads = threads;
    r.options.bf16 = bf16FromArgs(args);
    r.options.int8 = args.flag("int8") || (!args.flag("fp32") && !r.options.bf16 && defaultInt8());
    r.options.workers = static_cast<int>(args.integer("workers", 0, 0, 64));
    if (r.options.workers < 0 || r.options.workers > 64)
        throw UsageError("--workers must be 0..64");
    std::vector<double> times;
    PredictFileReport last;
    try {
        for (int i = 0; i < repeats; ++i) {
            last = predictFile(*segmenter, r);
            times.push_back(last.seconds);
        }
    } catch (...) {
        std::filesystem::remove_all(dir);
        throw;
    }
    std::filesystem::remove_all(dir);
    struct rusage ru {};
    ::getrusage(RUSAGE_SELF, &ru);
    const double s = median(times);
    const Shape sh = last.shape;
    std::printf("mitoseg predict %s (%lldx%lldx%lld), %d threads, %s, file to file: %.2f s median of %d (%.1f ms/slice), "
                "peak RSS %.0f MB\n",
                r.stack.filename().c_str(), static_cast<long long>(sh.depth), static_cast<long long>(sh.height),
                static_cast<long long>(sh.width), threads, r.options.bf16 ? "bfloat16" : r.options.int8 ? "int8" : "float32", s, repeats, 1000 * s / static_cast<double>(sh.depth),
                static_cast<double>(ru.ru_maxrss) / 1024.0);
    return 0;
}

/// --rss D1,D2,...: peak RSS of `mitoseg predict` on BigTIFF stacks of those depths, made in a
/// temporary folder from --stack's slices (repeated) or from a generated pattern.
int runRss(const Args& args, int threads)
{
    std::vector<std::int64_t> depths = parseIndexList(*args.value("rss"));
    int h = static_cast<int>(args.integer("height", 768, 16, 65536)), w = static_cast<int>(args.integer("width", 1024, 16, 65536));
    std::unique_ptr<TiffStack> source;
    if (auto st = args.value("stack")) {
        source = TiffStack::open(*st);
        h = static_cast<int>(source->info().shape.height);
        w = static_cast<int>(source->info().shape.width);
        if (source->info().dtype != DType::U8)
            throw UsageError("--rss with --stack needs a uint8 stack");
    }
    const std::filesystem::path model = modelPathFromArgs(args);
    std::vector<std::string> extra{"--threads", std::to_string(threads), "--model", model.string(), "--memory-budget",
                                   budgetArgument(memoryBudget())};
    const auto workers = args.integer("workers", 0, 0, 64);
    if (workers > 0)
        extra.insert(extra.end(), {"--workers", std::to_string(workers)});
    std::filesystem::path dir = std::filesystem::temp_directory_path() / ("mitoseg-rss-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::printf("model %s, %d threads, %s workers, memory budget %s\n", model.filename().c_str(), threads,
                workers > 0 ? std::to_string(workers).c_str() : "default", budgetArgument(memoryBudget()).c_str());
    std::printf("%8s %10s %10s %12s %12s\n", "depth", "GB", "seconds", "ms/slice", "peak RSS MB");
    try {
        for (std::int64_t d : depths) {
            if (d < 1)
                continue;
            Shape s{d, h, w};
            {
                TiffWriteOptions o;
                o.forceBigTiff = true;
                TiffSliceWriter writer(dir / "in.tif", SampleType::U8, s, Spacing{}, o);
                std::vector<std::uint8_t> slice(static_cast<std::size_t>(s.sliceVoxels()));
                for (std::int64_t z = 0; z < d; ++z) {
                    if (source)
                        source->readSlice(z % source->info().shape.depth, slice.data());
                    else
                        for (std::size_t i = 0; i < slice.size(); ++i)
                            slice[i] = static_cast<std::uint8_t>((i * 7 + static_cast<std::size_t>(z) * 13) % 251);
                    writer.write(slice.data());
                }
                writer.commit();
            }
            std::vector<std::string> argv{selfPath().string(), "predict", (dir / "in.tif").string(), "--out", (dir / "out.tif").string()};
            argv.insert(argv.end(), extra.begin(), extra.end());
            const ChildRun run = runChild(argv);
            if (!run.ok)
                throw Error("mitoseg predict of the " + std::to_string(d) + "-slice stack failed: " + run.reason);
            std::printf("%8lld %10.2f %10.1f %12.1f %12.0f\n", static_cast<long long>(d),
                        static_cast<double>(s.voxels()) / 1e9, run.seconds, 1000 * run.seconds / static_cast<double>(d),
                        run.peakRssMb);
            std::fflush(stdout);
            std::filesystem::remove(dir / "in.tif");
            std::filesystem::remove(dir / "out.tif");
        }
    } catch (...) {
        std::filesystem::remove_all(dir);
        throw;
    }
    std::filesystem::remove_all(dir);
    return 0;
}

int run(const std::vector<std::string>& argv)
{
    Args args(argv, {"preset", "height", "width", "repeats", "threads", "batch", "stack", "model", "workers", "rss"},
              {"fp32", "bf16", "int8", "no-peer", "levers"});
    args.expectPositionals(0, 0);
    if (args.flag("int8") && (args.flag("bf16") || args.flag("fp32")))
        throw UsageError("--int8 excludes --bf16 and --fp32");
    if (args.flag("int8") && !int8Unavailable().empty())
        throw UsageError("--int8: " + int8Unavailable());
    int repeats = static_cast<int>(args.integer("repeats", args.value("stack") ? 1 : 3, 1, 1000));
    int threads = static_cast<int>(args.integer("threads", 2, 1, 1024));
    if (repeats < 1 || threads < 1)
        throw UsageError("need --repeats >= 1, --threads >= 1");
    if (args.value("rss"))
        return runRss(args, threads);
    if (args.value("stack"))
        return runStack(args, threads, repeats);
    const UNetConfig arch = presetFromArgs(args);
    int h = static_cast<int>(args.integer("height", 768, 16, 65536)), w = static_cast<int>(args.integer("width", 1024, 16, 65536));
    int batch = static_cast<int>(args.integer("batch", 1, 1, 64));
    if (h < 16 || w < 16 || h % 16 || w % 16 || batch < 1 || batch > 64)
        throw UsageError("need --height/--width multiples of 16, --batch 1..64");
    BenchOptions o = benchOptionsFromArgs(args, threads);
    o.batch = batch;
    const bool int8 = args.flag("int8") || (!args.flag("fp32") && !o.bf16 && defaultInt8());
    if (int8)
        o.bf16 = false;   // --int8 on a bfloat16 CPU: 8 bits, not its default
    if (!o.bf16)
        o.variant = int8 ? InferenceVariant::Int8 : InferenceVariant::Fp32Folded;
    std::vector<InferenceVariant> variants{o.variant};
    if (args.flag("levers")) {
        if (o.bf16)
            variants = {InferenceVariant::Reference,  InferenceVariant::AutocastTransposed, InferenceVariant::AutocastPixelShuffle,
                        InferenceVariant::Fp32Folded, InferenceVariant::Bf16Unfolded,       InferenceVariant::Bf16Folded,
                        InferenceVariant::Bf16Prepacked, InferenceVariant::Int8};
        else
            variants = {InferenceVariant::Reference, InferenceVariant::Fp32Nchw, InferenceVariant::Fp32Folded, InferenceVariant::Int8};
        if (const std::string why = int8Unavailable(); !why.empty()) {
            variants.pop_back();
            std::cerr << "bench predict: no int8 lever: " << why << "\n";
        }
        if (!o.bf16)
            std::cerr << "bench predict: float32 (" << describeDefaultPrecision()
                      << "); the bfloat16 levers run with --bf16 (on CPUs without bfloat16 instructions they take ~60x longer)\n";
    }
    const double flops = unetForwardFlops(arch, h, w);
    std::cerr << "bench predict: " << arch.preset << " U-Net (" << flops / 1e9 << " GFLOP per slice), " << h << "x" << w
              << ", batch " << batch << ", " << repeats << " repeats, " << threads << " threads\n";
    const double voxels = static_cast<double>(h) * w;
    double ours = 0, first = 0;
    for (InferenceVariant v : variants) {
        o.variant = v;
        ours = median(benchmarkInference(arch, h, w, repeats, o));
        if (first == 0)
            first = ours;
        std::printf("mitoseg   %-42s ms/slice %8.1f  voxels/s %11.0f  GFLOP/s %6.1f  x%.1f\n", inferenceVariantName(v),
                    1000 * ours, voxels / ours, flops / ours / 1e9, first / ours);
    }
    if (args.flag("no-peer"))
        return 0;
    std::string error;
    Json peer = runPeer("unet-infer --base " + std::to_string(arch.base) + " --height " + std::to_string(h) + " --width " +
                            std::to_string(w) + " --repeats " + std::to_string(repeats) + " --threads " + std::to_string(threads),
                        error);
    if (peerFailed(peer, error))
        return 1;
    double theirs = peer.number("ms_per_slice", 0) / 1000;
    std::printf("peer.py   %-42s ms/slice %8.1f  voxels/s %11.0f  GFLOP/s %6.1f\n", "PyTorch fp32, transposed", 1000 * theirs,
                voxels / theirs, flops / theirs / 1e9);
    printPeerRatio(theirs, ours);
    return 0;
}

}  // namespace

const Command kBenchPredictCommand{"bench predict", "time whole-slice inference vs PyTorch from Python", kHelp, &run};

}  // namespace mitoseg::cli
