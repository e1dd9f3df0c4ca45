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

namespace {
/// Bilinear x2 then a 3x3 convolution (resize-convolution: no checkerboard artefacts).
struct ResizeConvImpl : nn::Module {
    ResizeConvImpl(int in, int out) : conv(nn::Conv2dOptions(in, out, 3).padding(1)) { register_module("conv", conv); }
    torch::Tensor forward(torch::Tensor x)
    {
        namespace F = torch::nn::functional;
        x = F::interpolate(x, F::InterpolateFuncOptions().scale_factor(std::vector<double>{2.0, 2.0})
                                  .mode(torch::kBilinear).align_corners(false));
        return conv->forward(x);
    }
    nn::Conv2d conv;
};
TORCH_MODULE(ResizeConv);
}  // namespace

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
        torch::Tensor u = config.upsampling == Upsampling::Transposed
                              ? up[i]->as<nn::ConvTranspose2d>()->forward(x)
                              : up[i]->as<ResizeConv>()->forward(x);
        x = decode[i]->as<ConvBlock>()->forward(torch::cat({u, skips[skips.size() - 1 - i]}, 1));
    }
    return head->forward(x);
}

std::int64_t UNetImpl::parameterCount() const
{
    std::int64_t n = 0;
    for (const auto& p : parameters())
        n += p.numel();
    return n;
}

}  // namespace mitoseg
