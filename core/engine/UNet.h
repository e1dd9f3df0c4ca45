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

/// Bilinear x2 then a 3x3 convolution (resize-convolution: no checkerboard artefacts).
struct ResizeConvImpl : torch::nn::Module {
    ResizeConvImpl(int in, int out);
    torch::Tensor forward(torch::Tensor x);
    torch::nn::Conv2d conv;
};
TORCH_MODULE(ResizeConv);

/// Bilinear x2 up-sampling (align_corners false), as ResizeConv does before its convolution.
torch::Tensor upsampleBilinear2x(const torch::Tensor& x);

/// The 2x2 stride-2 transposed convolution `up` applied to `x` as a 1x1 convolution to 4*C
/// channels followed by pixel_shuffle(2): the same function (float rounding aside), but it runs
/// through oneDNN, which LibTorch 1.13's CPU transposed convolution does not (5-7x faster).
/// Differentiable in up's weights, so training uses it too.
torch::Tensor transposedAsPixelShuffle(const torch::nn::ConvTranspose2dImpl& up, const torch::Tensor& x);
/// The 1x1 convolution weight [4C, Cin, 1, 1] and bias [4C] equivalent to `up` (see above).
void pixelShuffleWeights(const torch::nn::ConvTranspose2dImpl& up, torch::Tensor& weight, torch::Tensor& bias);

/// Configurable 2D U-Net returning logits (N, outputs, H, W). H and W must be multiples of
/// 2^depth. Not thread-safe: one forward at a time per instance.
struct UNetImpl : torch::nn::Module {
    explicit UNetImpl(const UNetConfig& config);
    torch::Tensor forward(torch::Tensor x);
    /// Number of trainable parameters.
    std::int64_t parameterCount() const;

    UNetConfig config;
    /// true: transposed up-sampling runs through ConvTranspose2d itself (the reference path,
    /// slow on CPU); false (default): through transposedAsPixelShuffle.
    bool referencePath = false;
    torch::nn::ModuleList down{nullptr};
    ConvBlock bridge{nullptr};
    torch::nn::Dropout dropout{nullptr};
    torch::nn::ModuleList up{nullptr};
    torch::nn::ModuleList decode{nullptr};
    torch::nn::Conv2d head{nullptr};
};
TORCH_MODULE(UNet);

}  // namespace mitoseg
