#pragma once
// What `mitoseg bench train` and `bench predict` share: the network options and the peer ratio.
#include <cstdio>
#include <iostream>
#include <string>

#include "app/cli/Args.h"
#include "app/cli/Precision.h"
#include "core/base/Error.h"
#include "core/engine/Benchmark.h"
#include "core/engine/Json.h"
#include "core/engine/UNetConfig.h"

namespace mitoseg::cli {

/// --preset (default fast); an unknown name is a UsageError.
inline UNetConfig presetFromArgs(const Args& args)
{
    try {
        return UNetConfig::fromPreset(args.value("preset", "fast"));
    } catch (const Error& e) {
        throw UsageError(e.what());
    }
}

/// `threads` torch threads; bfloat16 + channels-last, or float32 NCHW, per --fp32/--bf16 (default: the CPU's).
inline BenchOptions benchOptionsFromArgs(const Args& args, int threads)
{
    BenchOptions o;
    o.threads = threads;
    o.bf16 = bf16FromArgs(args);
    o.channelsLast = o.bf16;   // as the trainer: float32 trains faster NCHW (inference variants set their own)
    return o;
}

/// Prints why the peer gave no result and returns true when `peer` is not its JSON object.
inline bool peerFailed(const Json& peer, const std::string& error)
{
    if (peer.isObject())
        return false;
    std::cerr << "peer: " << error << "\n";
    return true;
}

/// The closing line of both benches: peer time / our time.
inline void printPeerRatio(double theirs, double ours)
{
    std::printf("ratio peer/mitoseg %.2fx %s\n", theirs / ours, theirs >= ours ? "(mitoseg faster)" : "(mitoseg SLOWER)");
}

}  // namespace mitoseg::cli
