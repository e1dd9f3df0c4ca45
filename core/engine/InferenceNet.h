#pragma once
// The inference form of a trained U-Net: batch norm folded into the convolutions, transposed
// up-sampling as 1x1 convolution + pixel shuffle, weights stored once in the compute type
// (bfloat16 or float32) and memory format, so a forward pass is nothing but oneDNN
// convolutions, pooling, concatenation and ReLU. INTERNAL to core/engine (includes LibTorch).
// Immutable after construction: forward() may run on several threads at once.
#include <array>
#include <atomic>
#include <cstdint>
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
    /// 8-bit activations and weights through oneDNN's quantized convolutions (LibTorch's
    /// `quantized::` ops; per-channel symmetric weights, per-tensor activations whose ranges come
    /// from calibrate()). The head stays float32. Implies float32 weights (bf16 ignored) and NHWC.
    bool int8 = false;
};

class InferenceNet {
public:
    /// Copies the weights of `net` (eval statistics) into the inference form.
    InferenceNet(UNet& net, const InferenceSettings& settings);

    /// Logits (N, outputs, H, W), float32, contiguous, for x (N, inChannels, H, W) of any float
    /// type; H and W multiples of 2^depth. Call under torch::InferenceMode or NoGradGuard.
    torch::Tensor forward(const torch::Tensor& x) const;

    /// int8 only: measures the range of every activation on float32 passes over `samples`
    /// (N, inChannels, H, W), one image at a time, and makes the quantized convolutions. Calling it
    /// again widens the ranges with more samples. forward() calibrates on its own first input when
    /// nothing was calibrated. Not concurrently with forward().
    void calibrate(const torch::Tensor& samples);
    bool calibrated() const { return quant_ready_.load(std::memory_order_acquire); }

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

    /// Observed minimum and maximum of one activation.
    struct Range {
        float lo = 0, hi = 0;
        bool seen = false;
        void add(const torch::Tensor& t);
    };
    struct Ranges {
        Range input;
        std::vector<Range> conv;   ///< by Conv::index (outputs after the ReLU)
        std::vector<Range> cat;    ///< concatenated decoder inputs, per up level
    };
    /// Scale and zero point of a quint8 activation.
    struct QParams {
        double scale = 1;
        std::int64_t zeroPoint = 0;
        static QParams of(const Range& r, double levels);
    };
    struct Quantized {
        QParams input;
        std::vector<QParams> conv, cat;
        std::vector<c10::IValue> packed;   ///< by Conv::index (the head's is unused)
        std::vector<torch::Tensor> requant;   ///< per up level: requantTable of its skip connection
    };
    torch::Tensor forwardFloat(const torch::Tensor& x, Ranges* record) const;
    torch::Tensor forwardInt8(const torch::Tensor& x) const;
    /// Adds `samples`' ranges and remakes quant_; callers hold calibrateMutex_.
    void calibrateLocked(const torch::Tensor& samples) const;

    // int8 state, a cache behind forward(): written under calibrateMutex_ before quant_ready_ is
    // set (release), read after it is seen set (acquire).
    mutable std::mutex calibrateMutex_;
    mutable std::atomic<bool> quant_ready_{false};
    mutable Ranges ranges_;
    mutable Quantized quant_;

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
