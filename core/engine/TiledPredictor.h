#pragma once
// Whole-image inference of a U-Net in overlapping tiles blended with smooth (sin^2 ramp)
// weights, batched, with optional test-time augmentation over the 8 flips/rotations.
// INTERNAL to core/engine (includes LibTorch). One instance per thread.
#include "core/base/Progress.h"
#include "core/engine/Segmenter.h"
#include "core/engine/InferenceNet.h"
#include "core/engine/UNet.h"

namespace mitoseg {

class TiledPredictor {
public:
    /// The fast path: an InferenceNet made from `net`'s current weights (BN folded, pixel-shuffle
    /// up-sampling; `bf16` weights and activations in bfloat16, `channelsLast` NHWC). With
    /// `reference`, `net` itself runs in float32 (ConvTranspose2d, BN as trained): the slow path
    /// the fast one is checked against; `net` is then shared and switched to eval mode.
    /// With `int8`, the InferenceNet computes in 8 bits (InferenceSettings::int8).
    TiledPredictor(UNet net, bool bf16, bool channelsLast, bool reference = false, bool int8 = false);

    /// int8 only (no-op otherwise): calibrates the activation ranges on `inputs` (B, C, H, W),
    /// normalised, each cut to its central `tile` x `tile` and padded to multiples of 2^depth.
    /// Without it the first tile predicted calibrates. Before any predict() call.
    void calibrate(const torch::Tensor& inputs, int tile);
    bool calibrated() const { return !fast_ || !fast_->settings().int8 || fast_->calibrated(); }

    /// `input` is (C, H, W) float, already normalised. Returns probabilities (outputs, H, W):
    /// sigmoid for one output, softmax otherwise. Throws Cancelled when `cancel` fires.
    torch::Tensor predict(const torch::Tensor& input, const PredictOptions& options, const CancelToken* cancel) const;
    /// The same for a batch of images (B, C, H, W) -> (B, outputs, H, W).
    torch::Tensor predictMany(const torch::Tensor& inputs, const PredictOptions& options, const CancelToken* cancel) const;

    /// Probability maps -> labels (0 = background): threshold for one output, arg-max otherwise.
    static torch::Tensor labels(const torch::Tensor& probabilities, float threshold);

private:
    torch::Tensor forwardBatch(const torch::Tensor& batch, bool tta) const;
    mutable UNet net_;
    std::shared_ptr<InferenceNet> fast_;   ///< null on the reference path
};

}  // namespace mitoseg
