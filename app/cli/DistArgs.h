#pragma once
// The distributed options shared by `train` and `predict` (--rank --world-size --rendezvous
// --dist-timeout), resolved with the torchrun / Slurm environment into a process group.
// Thin: the logic is core/dist's.
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "app/cli/Args.h"
#include "core/base/Error.h"
#include "core/dist/ProcessGroup.h"

namespace mitoseg::cli {

/// Value options to add to a command's Args.
inline const std::vector<std::string>& distValueOptions()
{
    static const std::vector<std::string> names{"rank", "world-size", "rendezvous", "dist-timeout"};
    return names;
}

/// Help lines for the options.
inline const char* distHelp()
{
    return "\n"
           "Distributed (see docs/cluster.md): N processes, one per rank, on one host or several.\n"
           "  --rank R --world-size N     this process's rank and the number of ranks\n"
           "  --rendezvous URL            tcp://HOST:PORT (rank 0's host; it listens there) or\n"
           "                              file:///PATH (a fresh file on a file system all ranks see)\n"
           "  --dist-timeout S            seconds a rank waits for the others, at the rendezvous and\n"
           "                              in every exchange, before failing (default 600)\n"
           "Without these options the torchrun variables (RANK, WORLD_SIZE, MASTER_ADDR,\n"
           "MASTER_PORT) or, under srun, Slurm's (SLURM_PROCID, SLURM_NTASKS, first host of\n"
           "SLURM_JOB_NODELIST; MASTER_PORT or 29500) are used. GLOO_SOCKET_IFNAME picks the network\n"
           "interface. packaging/mitoseg-launch N CMD starts N local ranks.\n";
}

/// Opens the process group the options and environment ask for; null for a single process.
/// A bad option is a UsageError; a failed rendezvous an Error.
inline std::unique_ptr<ProcessGroup> openProcessGroup(const Args& args)
{
    DistOptions o;
    o.rank = static_cast<int>(args.integer("rank", -1, 0, 1 << 20));
    o.worldSize = static_cast<int>(args.integer("world-size", -1, 1, 1 << 20));
    o.rendezvous = args.value("rendezvous", "");
    o.timeoutSeconds = args.number("dist-timeout", 600, 1, 1e7);
    Rendezvous r;
    try {
        r = resolveRendezvous(o, processEnvironment());
    } catch (const Error& e) {
        throw UsageError(e.what());
    }
    if (!r.distributed())
        return nullptr;
    // Ranks share one terminal or log: write stderr a whole line at a time (line-buffered, no
    // flush after each insertion), so their lines do not interleave mid-line.
    std::setvbuf(stderr, nullptr, _IOLBF, 1 << 16);
    std::cerr << std::nounitbuf;
    return ProcessGroup::connect(r);
}

}  // namespace mitoseg::cli
