#pragma once
// The inference form of a trained U-Net: batch norm folded into the convolutions, transposed
// up-sampling as 1x1 convolution + pixel shuffle, weights stored once in the compute type
// (bfloat16 or float32) and memory format, so a forward pass is nothing but oneDNN
// convolutions, pooling, concatenation and ReLU. INTERNAL to core/engine (includes LibTorch).
// Immutable after construction: forward() may run on several threads at once.
#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <vector>

#include "core/engine/ComputePrecision.h"
#include "core/engine/UNet.h"

namespace mitoseg {

/// Compute settings of an InferenceNet.
struct InferenceSettings {
    bool bf16 = defaultBf16();          ///< weights and activations in bfloat16 (logits come back in float)
    bool channelsLast = true;  ///< NHWC activations
    bool foldBatchNorm = true; ///< fold BN into the convolutions (false: keep it, for measuring)
    /// Convolutions through oneDNN primitives made once per input size, with the ReLU fused in
    /// (LibTorch's mkldnn_prepacked ops); falls back to plain conv2d where they are missing.
    bool prepack = true;
};

class InferenceNet {
public:
    /// Copies the weights of `net` (eval statistics) into the inference form.
    InferenceNet(UNet& net, const InferenceSettings& settings);

    /// Logits (N, outputs, H, W), float32, contiguous, for x (N, inChannels, H, W) of any float
    /// type; H and W multiples of 2^depth. Call under torch::InferenceMode or NoGradGuard.
    torch::Tensor forward(const torch::Tensor& x) const;

    const UNetConfig& config() const { return config_; }
    const InferenceSettings& settings() const { return settings_; }

private:
    /// One 3x3 (or 1x1) convolution with its batch norm folded in (or kept beside it).
    struct Conv {
        torch::Tensor weight, bias;
        torch::Tensor bnScale, bnShift;   ///< only when BN is not folded
        int padding = 1;
        int index = 0;                    ///< position in the network (key of the prepacked cache)
    };
    struct Block {
        Conv first, second;
    };
    /// Construction only: numbers each conv in order (Conv::index).
    Conv convert(const torch::Tensor& weight, const torch::Tensor& bias, const torch::nn::BatchNorm2dImpl* bn,
                 int padding);
    Block convertBlock(ConvBlockImpl& block);
    torch::Tensor run(const Conv& c, const torch::Tensor& x, bool relu) const;
    torch::Tensor runBlock(const Block& b, const torch::Tensor& x) const;

    /// The prepacked oneDNN context of conv `c` for input sizes `x` (made on first use).
    c10::IValue prepacked(const Conv& c, const torch::Tensor& x, bool relu) const;

    UNetConfig config_;
    int convCount_ = 0;
    mutable std::mutex cacheMutex_;
    mutable std::atomic<bool> prepackFailed_{false};   ///< a prepacked primitive could not be made
    mutable std::map<std::array<std::int64_t, 5>, c10::IValue> cache_;   ///< (conv, N, C, H, W)
    InferenceSettings settings_;
    std::vector<Block> down_;
    Block bridge_;
    std::vector<Conv> up_;       ///< 1x1 + pixel shuffle (transposed) or 3x3 after resize
    std::vector<Block> decode_;
    Conv head_;
};

}  // namespace mitoseg
