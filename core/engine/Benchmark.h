#pragma once
// Micro-benchmarks of the engine for `mitoseg bench train|predict` (same work as peer.py's
// unet-train / unet-infer: random data, Adam + BCE, sigmoid inference). Torch-free interface;
// call from one thread.
#include <vector>

#include "core/engine/ComputePrecision.h"
#include "core/engine/UNetConfig.h"

namespace mitoseg {

/// Which forward pass an inference benchmark times (the levers of the speed work, in order).
enum class InferenceVariant {
    Reference,            ///< the module as trained: float32, ConvTranspose2d, NCHW
    AutocastTransposed,   ///< bf16 autocast + channels-last, ConvTranspose2d (the engine before)
    AutocastPixelShuffle, ///< the same with up-sampling as 1x1 conv + pixel shuffle
    Bf16Unfolded,         ///< InferenceNet: bf16 weights and activations, BN kept
    Bf16Folded,           ///< InferenceNet: bf16, BN folded, plain conv2d + ReLU
    Fp32Nchw,             ///< InferenceNet: float32, BN folded, NCHW, plain conv2d + ReLU
    Fp32Folded,           ///< InferenceNet: float32, BN folded, prepacked (the engine's path without bfloat16)
    Bf16Prepacked,        ///< InferenceNet: bf16, BN folded, prepacked with fused ReLU (the engine's path)
    Int8,                 ///< InferenceNet: int8 oneDNN convolutions, calibrated (the path without bfloat16)
};
/// Short name of a variant for tables.
const char* inferenceVariantName(InferenceVariant v);

struct BenchOptions {
    int threads = 2;
    bool bf16 = defaultBf16();
    bool channelsLast = true;
    InferenceVariant variant = InferenceVariant::Bf16Prepacked;   ///< benchmarkInference only
    int batch = 1;                                             ///< benchmarkInference: slices per pass
};

/// Seconds of each of `steps` training steps (after 2 warm-up steps) on a batch x 1 x patch^2
/// random batch.
std::vector<double> benchmarkTrainSteps(const UNetConfig& arch, int batch, int patch, int steps, const BenchOptions& options);

/// Seconds per slice of each of `repeats` forward passes (after one warm-up) on
/// batch x inChannels x h x w, through options.variant.
std::vector<double> benchmarkInference(const UNetConfig& arch, int height, int width, int repeats, const BenchOptions& options);

/// Floating-point operations of one forward pass of `arch` on a height x width image.
double unetForwardFlops(const UNetConfig& arch, int height, int width);

/// Median of `v` (the upper middle element for even sizes, as peer.py); 0 when empty.
double median(std::vector<double> v);

}  // namespace mitoseg
