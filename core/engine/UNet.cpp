#include "core/engine/UNet.h"

namespace mitoseg {

namespace nn = torch::nn;

ConvBlockImpl::ConvBlockImpl(int in, int out, bool batchNorm)
{
    body = nn::Sequential();
    for (int i = 0; i < 2; ++i) {
        body->push_back(nn::Conv2d(nn::Conv2dOptions(i == 0 ? in : out, out, 3).padding(1)));
        if (batchNorm)
            body->push_back(nn::BatchNorm2d(out));
        body->push_back(nn::ReLU(nn::ReLUOptions().inplace(true)));
    }
    register_module("body", body);
}

torch::Tensor ConvBlockImpl::forward(torch::Tensor x) { return body->forward(x); }

ResizeConvImpl::ResizeConvImpl(int in, int out) : conv(nn::Conv2dOptions(in, out, 3).padding(1))
{
    register_module("conv", conv);
}

torch::Tensor ResizeConvImpl::forward(torch::Tensor x) { return conv->forward(upsampleBilinear2x(x)); }

torch::Tensor upsampleBilinear2x(const torch::Tensor& x)
{
    namespace F = torch::nn::functional;
    return F::interpolate(x, F::InterpolateFuncOptions().scale_factor(std::vector<double>{2.0, 2.0})
                                 .mode(torch::kBilinear).align_corners(false));
}

UNetImpl::UNetImpl(const UNetConfig& cfg) : config(cfg)
{
    config.validate();
    std::vector<int> w;
    for (int i = 0; i <= config.depth; ++i)
        w.push_back(config.base << i);
    down = nn::ModuleList();
    for (int i = 0; i < config.depth; ++i)
        down->push_back(ConvBlock(i == 0 ? config.inChannels : w[i - 1], w[i], config.batchNorm));
    bridge = ConvBlock(w[config.depth - 1], w[config.depth], config.batchNorm);
    dropout = nn::Dropout(nn::DropoutOptions(config.dropout));
    up = nn::ModuleList();
    decode = nn::ModuleList();
    for (int i = config.depth - 1; i >= 0; --i) {
        if (config.upsampling == Upsampling::Transposed)
            up->push_back(nn::ConvTranspose2d(nn::ConvTranspose2dOptions(w[i + 1], w[i], 2).stride(2)));
        else
            up->push_back(ResizeConv(w[i + 1], w[i]));
        decode->push_back(ConvBlock(2 * w[i], w[i], config.batchNorm));
    }
    head = nn::Conv2d(nn::Conv2dOptions(w[0], config.outputs(), 1));
    register_module("down", down);
    register_module("bridge", bridge);
    register_module("dropout", dropout);
    register_module("up", up);
    register_module("decode", decode);
    register_module("head", head);
}

torch::Tensor UNetImpl::forward(torch::Tensor x)
{
    std::vector<torch::Tensor> skips;
    for (const auto& d : *down) {
        x = d->as<ConvBlock>()->forward(x);
        skips.push_back(x);
        x = torch::max_pool2d(x, 2);
    }
    if (config.dropout > 0)
        x = dropout->forward(x);
    x = bridge->forward(x);
    for (std::size_t i = 0; i < up->size(); ++i) {
        torch::Tensor u;
        if (config.upsampling != Upsampling::Transposed)
            u = up[i]->as<ResizeConv>()->forward(x);
        else if (referencePath)
            u = up[i]->as<nn::ConvTranspose2d>()->forward(x);
        else
            u = transposedAsPixelShuffle(*up[i]->as<nn::ConvTranspose2d>(), x);
        x = decode[i]->as<ConvBlock>()->forward(torch::cat({u, skips[skips.size() - 1 - i]}, 1));
    }
    return head->forward(x);
}

torch::Tensor transposedAsPixelShuffle(const torch::nn::ConvTranspose2dImpl& up, const torch::Tensor& x)
{
    torch::Tensor w, b;
    pixelShuffleWeights(up, w, b);
    return torch::pixel_shuffle(torch::conv2d(x, w, b), 2);
}

void pixelShuffleWeights(const torch::nn::ConvTranspose2dImpl& up, torch::Tensor& weight, torch::Tensor& bias)
{
    const torch::Tensor& w = up.weight;   // [Cin, C, 2, 2]
    const std::int64_t cin = w.size(0), c = w.size(1);
    // Output channel 4c + 2a + b of the 1x1 convolution becomes pixel (2i + a, 2j + b) of
    // channel c after pixel_shuffle(2).
    weight = w.permute({1, 2, 3, 0}).reshape({4 * c, cin, 1, 1});
    bias = up.bias.defined() ? up.bias.repeat_interleave(4) : torch::Tensor();
}

std::int64_t UNetImpl::parameterCount() const
{
    std::int64_t n = 0;
    for (const auto& p : parameters())
        n += p.numel();
    return n;
}

}  // namespace mitoseg
