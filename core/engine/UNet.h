#pragma once
// The U-Net as a LibTorch module. INTERNAL to core/engine: this header includes LibTorch, so
// only engine .cpp files and engine tests include it (public headers stay torch-free).
#include <torch/torch.h>

#include "core/engine/UNetConfig.h"

namespace mitoseg {

/// conv3x3-(BN)-ReLU twice.
struct ConvBlockImpl : torch::nn::Module {
    ConvBlockImpl(int in, int out, bool batchNorm);
    torch::Tensor forward(torch::Tensor x);
    torch::nn::Sequential body{nullptr};
};
TORCH_MODULE(ConvBlock);

/// Configurable 2D U-Net returning logits (N, outputs, H, W). H and W must be multiples of
/// 2^depth. Not thread-safe: one forward at a time per instance.
struct UNetImpl : torch::nn::Module {
    explicit UNetImpl(const UNetConfig& config);
    torch::Tensor forward(torch::Tensor x);
    /// Number of trainable parameters.
    std::int64_t parameterCount() const;

    UNetConfig config;
    torch::nn::ModuleList down{nullptr};
    ConvBlock bridge{nullptr};
    torch::nn::Dropout dropout{nullptr};
    torch::nn::ModuleList up{nullptr};
    torch::nn::ModuleList decode{nullptr};
    torch::nn::Conv2d head{nullptr};
};
TORCH_MODULE(UNet);

}  // namespace mitoseg
