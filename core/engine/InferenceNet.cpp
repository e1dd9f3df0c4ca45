#include "core/engine/InferenceNet.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <ATen/core/dispatch/Dispatcher.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "core/base/Error.h"
#include "core/engine/ComputePrecision.h"
#include "core/engine/QuantizedOps.h"

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
    if (settings_.int8) {
        if (const std::string why = int8Unavailable(); !why.empty())
            throw Error(why);
        settings_.bf16 = false;   // the float32 weights are what gets quantized
        settings_.channelsLast = true;
        const auto& engines = at::globalContext().supportedQEngines();
        if (std::find(engines.begin(), engines.end(), at::kONEDNN) == engines.end())
            throw Error("int8 inference needs LibTorch's oneDNN quantized engine, which this LibTorch lacks");
        at::globalContext().setQEngine(at::kONEDNN);
    }
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

torch::Tensor InferenceNet::forward(const torch::Tensor& input) const
{
    if (!settings_.int8)
        return forwardFloat(input, nullptr);
    if (!calibrated()) {
        std::lock_guard<std::mutex> lock(calibrateMutex_);
        if (!calibrated())
            calibrateLocked(input);
    }
    return forwardInt8(input);
}

torch::Tensor InferenceNet::forwardFloat(const torch::Tensor& input, Ranges* record) const
{
    const auto dtype = settings_.bf16 ? torch::kBFloat16 : torch::kFloat;
    const auto fmt = settings_.channelsLast ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous;
    auto conv = [&](const Conv& c, const torch::Tensor& x, bool relu) {
        torch::Tensor y = run(c, x, relu);
        if (record)
            record->conv[static_cast<std::size_t>(c.index)].add(y);
        return y;
    };
    // A block's input is dropped after its first convolution (the caller moves it in).
    auto block = [&](const Block& b, torch::Tensor x) {
        torch::Tensor y = conv(b.first, x, true);
        x = torch::Tensor();
        return conv(b.second, y, true);
    };
    torch::Tensor x = input.to(dtype).contiguous(fmt);
    if (record)
        record->input.add(x);
    std::vector<torch::Tensor> skips;
    for (const auto& d : down_) {
        x = block(d, std::move(x));
        skips.push_back(x);
        x = torch::max_pool2d(x, 2);
    }
    x = block(bridge_, std::move(x));
    for (std::size_t i = 0; i < up_.size(); ++i) {
        // The up-sampled map and the skip are dropped once joined: at full resolution they are
        // half of a worker's activations while the decoder block runs.
        {
            torch::Tensor u = config_.upsampling == Upsampling::Transposed ? torch::pixel_shuffle(run(up_[i], x, false), 2)
                                                                           : run(up_[i], upsampleBilinear2x(x), false);
            x = torch::cat({u, skips.back()}, 1);
            skips.pop_back();
        }
        if (record)
            record->cat[i].add(x);
        x = block(decode_[i], std::move(x));
    }
    return run(head_, x, false).to(torch::kFloat).contiguous();
}

// ---- int8 ----------------------------------------------------------------------------------

void InferenceNet::Range::add(const torch::Tensor& t)
{
    auto [mn, mx] = torch::aminmax(t.to(torch::kFloat));
    lo = seen ? std::min(lo, mn.item<float>()) : mn.item<float>();
    hi = seen ? std::max(hi, mx.item<float>()) : mx.item<float>();
    seen = true;
}

InferenceNet::QParams InferenceNet::QParams::of(const Range& r, double levels)
{
    // Asymmetric quint8 over [min(lo, 0), max(hi, 0)], so 0 (padding, ReLU) is exact.
    const double lo = std::min(0.0f, r.lo), hi = std::max(0.0f, r.hi);
    QParams q;
    q.scale = std::max((hi - lo) / levels, 1e-8);
    q.zeroPoint = std::clamp<std::int64_t>(std::llround(-lo / q.scale), 0, static_cast<std::int64_t>(levels));
    return q;
}

namespace {

/// LibTorch's quantized operators, looked up once.
struct QuantOps {
    c10::OperatorHandle prepack, conv, convRelu, cat;
    QuantOps()
        : prepack(c10::Dispatcher::singleton().findSchemaOrThrow("quantized::conv2d_prepack", "")),
          conv(c10::Dispatcher::singleton().findSchemaOrThrow("quantized::conv2d", "new")),
          convRelu(c10::Dispatcher::singleton().findSchemaOrThrow("quantized::conv2d_relu", "new")),
          cat(c10::Dispatcher::singleton().findSchemaOrThrow("quantized::cat", ""))
    {
    }
};

const QuantOps& quantOps()
{
    static const QuantOps ops;
    return ops;
}

}  // namespace

void InferenceNet::calibrate(const torch::Tensor& samples)
{
    if (!settings_.int8)
        return;
    std::lock_guard<std::mutex> lock(calibrateMutex_);
    calibrateLocked(samples);
}

void InferenceNet::calibrateLocked(const torch::Tensor& samples) const
{
    torch::InferenceMode guard;
    if (ranges_.conv.empty()) {
        ranges_.conv.resize(static_cast<std::size_t>(convCount_));
        ranges_.cat.resize(up_.size());
    }
    // One thread: the float32 ranges, so the scales, must not depend on the thread count (a scale
    // a few ulps apart flips roundings: stacks predicted by workers and one slice at a time
    // differed by 5e-4 in probability). OpenMP's thread count is the calling thread's own.
    const int threads = torch::get_num_threads();
    torch::set_num_threads(1);
    for (std::int64_t i = 0; i < samples.size(0); ++i)
        forwardFloat(samples.slice(0, i, i + 1), &ranges_);
    torch::set_num_threads(threads);

    Quantized q;
    // Without AVX512-VNNI oneDNN sums pairs of u8 x s8 products in 16 bits (vpmaddubsw), which
    // saturate when both factors use all 8 bits (3% error measured on AVX2). As LibTorch's own
    // `reduce_range`, the activations then keep to 7 bits and the weights keep 8: on 12 EPFL
    // slices the labels differed from the reference on 0.015% of voxels, against 0.022% with 7-bit
    // weights and 8-bit activations (which also moved all boundaries outwards).
    const bool vnni = cpuHasAvx512Vnni();
    const double actLevels = vnni ? 255.0 : 127.0;
    q.input = QParams::of(ranges_.input, actLevels);
    for (const Range& r : ranges_.conv)
        q.conv.push_back(QParams::of(r, actLevels));
    for (const Range& r : ranges_.cat)
        q.cat.push_back(QParams::of(r, actLevels));
    const double levels = 127.0;
    q.packed.resize(static_cast<std::size_t>(convCount_));
    // blocked: the up-sampling's 1x1 convolution writes its channels in blockShuffleOrder, so
    // joinQuantized copies each output pixel's channels as one block.
    auto pack = [&](const Conv& c, bool blocked = false) {
        torch::Tensor w = c.weight.to(torch::kFloat).contiguous();
        torch::Tensor bias = c.bias.to(torch::kFloat);
        if (blocked)
            blockShuffleOrder(w, bias);
        torch::Tensor scales = (w.abs().amax({1, 2, 3}).clamp_min(1e-12) / levels).to(torch::kDouble);
        torch::Tensor qw = torch::quantize_per_channel(w, scales, torch::zeros({w.size(0)}, torch::kLong), 0, torch::kQInt8);
        torch::jit::Stack stack{qw,
                                bias,
                                c10::List<std::int64_t>({1, 1}),
                                c10::List<std::int64_t>({c.padding, c.padding}),
                                c10::List<std::int64_t>({1, 1}),
                                std::int64_t{1}};
        quantOps().prepack.callBoxed(stack);
        q.packed[static_cast<std::size_t>(c.index)] = stack.at(0);
    };
    for (const auto* list : {&down_, &decode_})
        for (const Block& b : *list) {
            pack(b.first);
            pack(b.second);
        }
    pack(bridge_.first);
    pack(bridge_.second);
    for (const Conv& c : up_)
        pack(c, config_.upsampling == Upsampling::Transposed);
    // The skip connections' bytes as the concatenation requantizes them.
    for (std::size_t i = 0; i < up_.size(); ++i) {
        const Conv& skip = down_[down_.size() - 1 - i].second;
        const QParams& from = q.conv[static_cast<std::size_t>(skip.index)];
        q.requant.push_back(requantTable(skip.weight.size(0), from.scale, from.zeroPoint, q.cat[i].scale, q.cat[i].zeroPoint));
    }
    quant_ = std::move(q);
    quant_ready_.store(true, std::memory_order_release);
}

torch::Tensor InferenceNet::forwardInt8(const torch::Tensor& input) const
{
    const Quantized& q = quant_;
    const auto cl = torch::MemoryFormat::ChannelsLast;
    auto conv = [&](const Conv& c, const torch::Tensor& x, bool relu, const QParams& out) {
        torch::jit::Stack stack{x, q.packed[static_cast<std::size_t>(c.index)], out.scale, out.zeroPoint};
        (relu ? quantOps().convRelu : quantOps().conv).callBoxed(stack);
        return stack.at(0).toTensor();
    };
    auto block = [&](const Block& b, const torch::Tensor& x) {
        torch::Tensor y = conv(b.first, x, true, q.conv[static_cast<std::size_t>(b.first.index)]);
        return conv(b.second, y, true, q.conv[static_cast<std::size_t>(b.second.index)]);
    };
    torch::Tensor x = quantizeChannelsLast(input, q.input.scale, q.input.zeroPoint);
    std::vector<torch::Tensor> skips;
    for (const auto& d : down_) {
        x = block(d, x);
        skips.push_back(x);
        x = maxPool2Quantized(x);
    }
    x = block(bridge_, x);
    for (std::size_t i = 0; i < up_.size(); ++i) {
        const QParams& cat = q.cat[i];
        // The up-sampling's output is quantized as the concatenation is, so joining copies its
        // bytes (pixel-shuffled on the way for transposed up-sampling).
        torch::Tensor u;
        const bool transposed = config_.upsampling == Upsampling::Transposed;
        if (transposed)
            u = conv(up_[i], x, false, cat);
        else
            u = conv(up_[i],
                     torch::quantize_per_tensor(upsampleBilinear2x(x.dequantize()).contiguous(cl), x.q_scale(), x.q_zero_point(),
                                                torch::kQUInt8),
                     false, cat);
        torch::Tensor joined = joinQuantized(u, !transposed, skips.back(), q.requant[i]);
        u = torch::Tensor();
        skips.pop_back();
        x = block(decode_[i], joined);
    }
    return headQuantized(x, head_.weight, head_.bias);
}

}  // namespace mitoseg
