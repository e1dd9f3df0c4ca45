#pragma once
// Micro-benchmarks of the engine for `mitoseg bench train|predict` (same work as peer.py's
// unet-train / unet-infer: random data, Adam + BCE, sigmoid inference). Torch-free interface;
// call from one thread.
#include <vector>

#include "core/engine/UNetConfig.h"

namespace mitoseg {

struct BenchOptions {
    int threads = 2;
    bool bf16 = true;
    bool channelsLast = true;
};

/// Seconds of each of `steps` training steps (after 2 warm-up steps) on a batch x 1 x patch^2
/// random batch.
std::vector<double> benchmarkTrainSteps(const UNetConfig& arch, int batch, int patch, int steps, const BenchOptions& options);

/// Seconds of each of `repeats` whole-slice forward passes (after one warm-up) on 1 x 1 x h x w.
std::vector<double> benchmarkInference(const UNetConfig& arch, int height, int width, int repeats, const BenchOptions& options);

/// Median of `v` (the upper middle element for even sizes, as peer.py); 0 when empty.
double median(std::vector<double> v);

}  // namespace mitoseg
