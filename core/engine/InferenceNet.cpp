#include "core/engine/InferenceNet.h"

#include <ATen/core/dispatch/Dispatcher.h>

#include <optional>

#include "core/base/Error.h"

namespace mitoseg {

namespace nn = torch::nn;

InferenceNet::Conv InferenceNet::convert(const torch::Tensor& weight, const torch::Tensor& bias,
                                         const nn::BatchNorm2dImpl* bn, int padding)
{
    torch::NoGradGuard guard;
    Conv c;
    c.padding = padding;
    c.index = convCount_++;
    torch::Tensor w = weight.detach().to(torch::kFloat).clone();
    torch::Tensor b = bias.defined() ? bias.detach().to(torch::kFloat).clone() : torch::zeros({w.size(0)});
    if (bn) {
        // y = gamma * (conv(x) + b - mean) / sqrt(var + eps) + beta
        torch::Tensor scale = bn->weight.detach().to(torch::kFloat) /
                              torch::sqrt(bn->running_var.detach().to(torch::kFloat) + bn->options.eps());
        torch::Tensor shift = bn->bias.detach().to(torch::kFloat) - bn->running_mean.detach().to(torch::kFloat) * scale;
        if (settings_.foldBatchNorm) {
            w = w * scale.view({-1, 1, 1, 1});
            b = b * scale + shift;
        } else {
            c.bnScale = scale.view({1, -1, 1, 1});
            c.bnShift = shift.view({1, -1, 1, 1});
        }
    }
    const auto dtype = settings_.bf16 ? torch::kBFloat16 : torch::kFloat;
    const auto fmt = settings_.channelsLast ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous;
    c.weight = w.to(dtype).contiguous(fmt);
    c.bias = b.to(dtype).contiguous();
    if (c.bnScale.defined()) {
        c.bnScale = c.bnScale.to(dtype);
        c.bnShift = c.bnShift.to(dtype);
    }
    return c;
}

InferenceNet::Block InferenceNet::convertBlock(ConvBlockImpl& block)
{
    // ConvBlock's body: Conv2d, [BatchNorm2d], ReLU, Conv2d, [BatchNorm2d], ReLU.
    std::vector<std::shared_ptr<nn::Module>> parts;
    for (const auto& m : block.body->children())
        parts.push_back(m);
    std::vector<Conv> convs;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        auto* conv = dynamic_cast<nn::Conv2dImpl*>(parts[i].get());
        if (!conv)
            continue;
        const nn::BatchNorm2dImpl* bn =
            i + 1 < parts.size() ? dynamic_cast<const nn::BatchNorm2dImpl*>(parts[i + 1].get()) : nullptr;
        convs.push_back(convert(conv->weight, conv->bias, bn, 1));
    }
    if (convs.size() != 2)
        throw Error("unexpected U-Net block layout");
    return Block{convs[0], convs[1]};
}

InferenceNet::InferenceNet(UNet& net, const InferenceSettings& settings) : config_(net->config), settings_(settings)
{
    for (const auto& d : *net->down)
        down_.push_back(convertBlock(*d->as<ConvBlock>()));
    bridge_ = convertBlock(*net->bridge);
    for (std::size_t i = 0; i < net->up->size(); ++i) {
        if (config_.upsampling == Upsampling::Transposed) {
            torch::Tensor w, b;
            pixelShuffleWeights(*net->up[i]->as<nn::ConvTranspose2d>(), w, b);
            up_.push_back(convert(w, b, nullptr, 0));
        } else {
            const auto& conv = net->up[i]->as<ResizeConv>()->conv;
            up_.push_back(convert(conv->weight, conv->bias, nullptr, 1));
        }
        decode_.push_back(convertBlock(*net->decode[i]->as<ConvBlock>()));
    }
    head_ = convert(net->head->weight, net->head->bias, nullptr, 0);
}

namespace {

/// LibTorch's prepacked oneDNN convolution ops (registered by libtorch_cpu; absent = nullopt).
struct PrepackOps {
    c10::optional<c10::OperatorHandle> prepack, run;
    PrepackOps()
    {
        prepack = c10::Dispatcher::singleton().findSchema({"mkldnn_prepacked::conv2d_prepack", ""});
        run = c10::Dispatcher::singleton().findSchema({"mkldnn_prepacked::conv2d_run", ""});
    }
    bool available() const { return prepack && run; }
};

const PrepackOps& prepackOps()
{
    static const PrepackOps ops;
    return ops;
}

}  // namespace

c10::IValue InferenceNet::prepacked(const Conv& c, const torch::Tensor& x, bool relu) const
{
    const std::array<std::int64_t, 5> key{c.index, x.size(0), x.size(1), x.size(2), x.size(3)};
    {
        std::lock_guard<std::mutex> lock(cacheMutex_);
        auto it = cache_.find(key);
        if (it != cache_.end())
            return it->second;
    }
    torch::jit::Stack stack{c.weight,
                            c.bias,
                            c10::List<std::int64_t>({1, 1}),
                            c10::List<std::int64_t>({c.padding, c.padding}),
                            c10::List<std::int64_t>({1, 1}),
                            std::int64_t{1},
                            c10::List<std::int64_t>({x.size(0), x.size(1), x.size(2), x.size(3)}),
                            std::string(relu ? "relu" : "none")};
    prepackOps().prepack->callBoxed(stack);
    std::lock_guard<std::mutex> lock(cacheMutex_);
    return cache_.emplace(key, stack.at(0)).first->second;
}

torch::Tensor InferenceNet::run(const Conv& c, const torch::Tensor& x, bool relu) const
{
    if (settings_.prepack && !c.bnScale.defined() && settings_.channelsLast && prepackOps().available() &&
        !prepackFailed_.load(std::memory_order_relaxed)) {
        try {
            torch::jit::Stack stack{x.contiguous(torch::MemoryFormat::ChannelsLast), prepacked(c, x, relu)};
            prepackOps().run->callBoxed(stack);
            return stack.at(0).toTensor();
        } catch (const std::exception&) {
            // (dnnl::error or c10::Error) oneDNN has no primitive for this format on this CPU (bfloat16 without AVX512-BF16
            // or AMX): plain convolutions from now on, same numbers.
            prepackFailed_.store(true, std::memory_order_relaxed);
        }
    }
    torch::Tensor y = torch::conv2d(x, c.weight, c.bias, 1, c.padding);
    if (c.bnScale.defined())
        y = y * c.bnScale + c.bnShift;
    return relu ? y.relu_() : y;
}

torch::Tensor InferenceNet::runBlock(const Block& b, const torch::Tensor& x) const
{
    return run(b.second, run(b.first, x, true), true);
}

torch::Tensor InferenceNet::forward(const torch::Tensor& input) const
{
    const auto dtype = settings_.bf16 ? torch::kBFloat16 : torch::kFloat;
    const auto fmt = settings_.channelsLast ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous;
    torch::Tensor x = input.to(dtype).contiguous(fmt);
    std::vector<torch::Tensor> skips;
    for (const auto& d : down_) {
        x = runBlock(d, x);
        skips.push_back(x);
        x = torch::max_pool2d(x, 2);
    }
    x = runBlock(bridge_, x);
    for (std::size_t i = 0; i < up_.size(); ++i) {
        torch::Tensor u = config_.upsampling == Upsampling::Transposed ? torch::pixel_shuffle(run(up_[i], x, false), 2)
                                                                       : run(up_[i], upsampleBilinear2x(x), false);
        x = runBlock(decode_[i], torch::cat({u, skips[skips.size() - 1 - i]}, 1));
    }
    return run(head_, x, false).to(torch::kFloat).contiguous();
}

}  // namespace mitoseg
