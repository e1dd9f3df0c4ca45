#include <cstdio>
#include <iostream>

#include "app/cli/Args.h"
#include "app/cli/Command.h"
#include "app/cli/PeerRunner.h"
#include "app/cli/UNetBench.h"

namespace mitoseg::cli {

namespace {

const char* kHelp =
    "usage: mitoseg bench predict [--preset fast|seed|tiny] [--height 768] [--width 1024] [--repeats 3]\n"
    "                             [--threads 2] [--fp32] [--no-peer]\n"
    "\n"
    "Times U-Net inference of one whole slice and, in the same run, the same network in PyTorch\n"
    "from Python (peer.py unet-infer). Prints medians (ms per slice, voxels/s) and the ratio.\n";

int run(const std::vector<std::string>& argv)
{
    Args args(argv, {"preset", "height", "width", "repeats", "threads"}, {"fp32", "no-peer"});
    args.expectPositionals(0, 0);
    const UNetConfig arch = presetFromArgs(args);
    int h = static_cast<int>(args.integer("height", 768)), w = static_cast<int>(args.integer("width", 1024));
    int repeats = static_cast<int>(args.integer("repeats", 3)), threads = static_cast<int>(args.integer("threads", 2));
    if (h < 16 || w < 16 || h % 16 || w % 16 || repeats < 1 || threads < 1)
        throw UsageError("need --height/--width multiples of 16, --repeats >= 1, --threads >= 1");
    const BenchOptions o = benchOptionsFromArgs(args, threads);
    std::cerr << "bench predict: " << arch.preset << " U-Net, " << h << "x" << w << ", " << repeats << " repeats, " << threads
              << " threads, " << (o.bf16 ? "bf16 autocast + channels-last" : "fp32") << "\n";
    double ours = median(benchmarkInference(arch, h, w, repeats, o));
    double voxels = static_cast<double>(h) * w;
    std::printf("mitoseg   %-7s ms/slice %9.1f  voxels/s %12.0f\n", arch.preset.c_str(), 1000 * ours, voxels / ours);
    if (args.flag("no-peer"))
        return 0;
    std::string error;
    Json peer = runPeer("unet-infer --base " + std::to_string(arch.base) + " --height " + std::to_string(h) + " --width " +
                            std::to_string(w) + " --repeats " + std::to_string(repeats) + " --threads " + std::to_string(threads),
                        error);
    if (peerFailed(peer, error))
        return 1;
    double theirs = peer.number("ms_per_slice", 0) / 1000;
    std::printf("peer.py   %-7s ms/slice %9.1f  voxels/s %12.0f\n", arch.preset.c_str(), 1000 * theirs, voxels / theirs);
    printPeerRatio(theirs, ours);
    return 0;
}

}  // namespace

const Command kBenchPredictCommand{"bench predict", "time whole-slice inference vs PyTorch from Python", kHelp, &run};

}  // namespace mitoseg::cli
