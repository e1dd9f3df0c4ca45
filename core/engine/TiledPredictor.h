#pragma once
// Whole-image inference of a U-Net in overlapping tiles blended with smooth (sin^2 ramp)
// weights, batched, with optional test-time augmentation over the 8 flips/rotations.
// INTERNAL to core/engine (includes LibTorch). One instance per thread.
#include "core/base/Progress.h"
#include "core/engine/Segmenter.h"
#include "core/engine/UNet.h"

namespace mitoseg {

class TiledPredictor {
public:
    /// Uses `net` (shared, not copied; switched to eval mode by predict()). `bf16` runs the
    /// convolutions under CPU autocast in bfloat16, `channelsLast` uses NHWC activations.
    TiledPredictor(UNet net, bool bf16, bool channelsLast);

    /// `input` is (C, H, W) float, already normalised. Returns probabilities (outputs, H, W):
    /// sigmoid for one output, softmax otherwise. Throws Cancelled when `cancel` fires.
    torch::Tensor predict(const torch::Tensor& input, const PredictOptions& options, const CancelToken* cancel) const;

    /// Probability maps -> labels (0 = background): threshold for one output, arg-max otherwise.
    static torch::Tensor labels(const torch::Tensor& probabilities, float threshold);

private:
    torch::Tensor forwardBatch(const torch::Tensor& batch, bool tta) const;
    mutable UNet net_;
    bool bf16_;
    bool channelsLast_;
};

}  // namespace mitoseg
