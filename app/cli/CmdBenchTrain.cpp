#include <cstdio>
#include <iostream>

#include "app/cli/Args.h"
#include "app/cli/Command.h"
#include "app/cli/PeerRunner.h"
#include "app/cli/UNetBench.h"

namespace mitoseg::cli {

namespace {

const char* kHelp =
    "usage: mitoseg bench train [--preset fast|seed|tiny] [--batch 4] [--patch 256] [--steps 10]\n"
    "                           [--threads 2] [--fp32|--bf16] [--levers] [--no-peer]\n"
    "\n"
    "Times one U-Net training step (Adam, BCE, random data) and, in the same run, the same network\n"
    "in PyTorch from Python (peer.py unet-train; $MITOSEG_PEER or ../shared/reference/peer.py).\n"
    "Prints medians in ms per step and the ratio peer / ours (> 1: we are faster).\n"
    "  --levers   also time the step with the transposed convolution (float32, and bf16 autocast)\n"
    "             in the same run, to show what the pixel-shuffle up-sampling gives\n";

int run(const std::vector<std::string>& argv)
{
    Args args(argv, {"preset", "batch", "patch", "steps", "threads"}, {"fp32", "bf16", "no-peer", "levers"});
    args.expectPositionals(0, 0);
    const UNetConfig arch = presetFromArgs(args);
    int batch = static_cast<int>(args.integer("batch", 4, 1, 4096)), patch = static_cast<int>(args.integer("patch", 256, 16, 65536));
    int steps = static_cast<int>(args.integer("steps", 10, 1, 1000000)), threads = static_cast<int>(args.integer("threads", 2, 1, 1024));
    if (batch < 1 || patch < 16 || patch % 16 != 0 || steps < 1 || threads < 1)
        throw UsageError("need --batch >= 1, --patch a multiple of 16, --steps >= 1, --threads >= 1");
    const BenchOptions o = benchOptionsFromArgs(args, threads);
    std::cerr << "bench train: " << arch.preset << " U-Net, batch " << batch << "x" << patch << "^2, " << steps << " steps, "
              << threads << " threads, " << (o.bf16 ? "bf16 autocast + channels-last" : "fp32 NCHW") << "\n";
    if (args.flag("levers")) {
        BenchOptions t = o;
        t.bf16 = t.channelsLast = false;
        t.variant = InferenceVariant::Reference;
        double ms = 1000 * median(benchmarkTrainSteps(arch, batch, patch, steps, t));
        std::printf("mitoseg   %-7s ms/step %9.1f  patches/s %7.2f  (fp32, transposed convolution)\n", arch.preset.c_str(), ms,
                    batch / (ms / 1000));
        if (o.bf16) {
            t.bf16 = t.channelsLast = true;
            t.variant = InferenceVariant::AutocastTransposed;
            ms = 1000 * median(benchmarkTrainSteps(arch, batch, patch, steps, t));
            std::printf("mitoseg   %-7s ms/step %9.1f  patches/s %7.2f  (bf16 autocast + CL, transposed convolution)\n",
                        arch.preset.c_str(), ms, batch / (ms / 1000));
        } else {
            t.channelsLast = true;   // float32, channels-last, still transposed
            ms = 1000 * median(benchmarkTrainSteps(arch, batch, patch, steps, t));
            std::printf("mitoseg   %-7s ms/step %9.1f  patches/s %7.2f  (fp32 + CL, transposed convolution)\n",
                        arch.preset.c_str(), ms, batch / (ms / 1000));
            t.variant = InferenceVariant::Fp32Folded;   // pixel shuffle, channels-last
            ms = 1000 * median(benchmarkTrainSteps(arch, batch, patch, steps, t));
            std::printf("mitoseg   %-7s ms/step %9.1f  patches/s %7.2f  (fp32 + CL, pixel shuffle)\n", arch.preset.c_str(), ms,
                        batch / (ms / 1000));
        }
    }
    double ours = 1000 * median(benchmarkTrainSteps(arch, batch, patch, steps, o));
    std::printf("mitoseg   %-7s ms/step %9.1f  patches/s %7.2f  (%s, pixel shuffle: the engine's path)\n", arch.preset.c_str(),
                ours, batch / (ours / 1000), o.bf16 ? "bf16 autocast + CL" : "fp32 NCHW");
    if (args.flag("no-peer"))
        return 0;
    std::string error;
    Json peer = runPeer("unet-train --base " + std::to_string(arch.base) + " --batch " + std::to_string(batch) + " --patch " +
                            std::to_string(patch) + " --steps " + std::to_string(steps) + " --threads " + std::to_string(threads),
                        error);
    if (peerFailed(peer, error))
        return 1;
    double theirs = peer.number("ms_per_step", 0);
    std::printf("peer.py   %-7s ms/step %9.1f  patches/s %7.2f  (python3-torch %s)\n", arch.preset.c_str(), theirs,
                batch / (theirs / 1000), peer.string("torch", "?").c_str());
    printPeerRatio(theirs, ours);
    if (arch.depth != 4)
        std::cerr << "note: peer.py always builds a depth-4 network\n";
    return 0;
}

}  // namespace

const Command kBenchTrainCommand{"bench train", "time a training step vs PyTorch from Python", kHelp, &run};

}  // namespace mitoseg::cli
