#include "core/engine/Benchmark.h"

#include <ATen/autocast_mode.h>

#include <algorithm>
#include <chrono>

#include "core/engine/InferenceNet.h"
#include "core/engine/TorchModel.h"

namespace mitoseg {

namespace {
using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }
}  // namespace

double median(std::vector<double> v)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

std::vector<double> benchmarkTrainSteps(const UNetConfig& arch, int batch, int patch, int steps, const BenchOptions& o)
{
    torch::set_num_threads(std::max(1, o.threads));
    torch::manual_seed(0);
    UNet net(arch);
    net->train();
    net->referencePath = o.variant == InferenceVariant::Reference || o.variant == InferenceVariant::AutocastTransposed;
    if (o.channelsLast)
        setChannelsLast(*net, true);
    torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(1e-3));
    torch::Tensor x = torch::rand({batch, arch.inChannels, patch, patch});
    torch::Tensor y = (torch::rand({batch, 1, patch, patch}) > 0.9).to(torch::kFloat);
    if (o.channelsLast)
        x = x.contiguous(torch::MemoryFormat::ChannelsLast);
    std::vector<double> times;
    for (int i = 0; i < steps + 2; ++i) {
        auto t = Clock::now();
        opt.zero_grad();
        torch::Tensor logits;
        if (o.bf16) {
            at::autocast::set_cpu_enabled(true);
            at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
            logits = net->forward(x);
            at::autocast::set_cpu_enabled(false);
        } else {
            logits = net->forward(x);
        }
        torch::Tensor loss = torch::binary_cross_entropy_with_logits(logits.to(torch::kFloat).slice(1, 0, 1), y);
        loss.backward();
        opt.step();
        if (o.bf16)
            at::autocast::clear_cache();
        if (i >= 2)
            times.push_back(since(t));
    }
    return times;
}

double unetForwardFlops(const UNetConfig& a, int height, int width)
{
    // Multiply-adds x 2 of every convolution (pooling, ReLU and concatenation are negligible).
    double flops = 0;
    auto conv = [&](double cin, double cout, double k, double h, double w) { flops += 2 * cin * cout * k * k * h * w; };
    double h = height, w = width;
    std::vector<double> ch;
    for (int i = 0; i <= a.depth; ++i)
        ch.push_back(static_cast<double>(a.base) * (1 << i));
    for (int i = 0; i < a.depth; ++i) {
        conv(i == 0 ? a.inChannels : ch[i - 1], ch[i], 3, h, w);
        conv(ch[i], ch[i], 3, h, w);
        h /= 2;
        w /= 2;
    }
    conv(ch[a.depth - 1], ch[a.depth], 3, h, w);
    conv(ch[a.depth], ch[a.depth], 3, h, w);
    for (int i = a.depth - 1; i >= 0; --i) {
        if (a.upsampling == Upsampling::Transposed)
            conv(ch[i + 1], 4 * ch[i], 1, h, w);   // 2x2 stride 2 = 1x1 to 4C
        h *= 2;
        w *= 2;
        if (a.upsampling != Upsampling::Transposed)
            conv(ch[i + 1], ch[i], 3, h, w);
        conv(2 * ch[i], ch[i], 3, h, w);
        conv(ch[i], ch[i], 3, h, w);
    }
    conv(ch[0], a.outputs(), 1, h, w);
    return flops;
}

const char* inferenceVariantName(InferenceVariant v)
{
    switch (v) {
    case InferenceVariant::Reference: return "reference fp32, transposed";
    case InferenceVariant::AutocastTransposed: return "bf16 autocast + CL, transposed";
    case InferenceVariant::AutocastPixelShuffle: return "bf16 autocast + CL, pixel shuffle";
    case InferenceVariant::Bf16Unfolded: return "pure bf16 + CL, pixel shuffle, BN kept";
    case InferenceVariant::Bf16Folded: return "pure bf16 + CL, pixel shuffle, BN folded";
    case InferenceVariant::Fp32Nchw: return "fp32 NCHW, BN folded, pixel shuffle";
    case InferenceVariant::Fp32Folded: return "fp32 + CL, BN folded, prepacked + ReLU";
    case InferenceVariant::Bf16Prepacked: return "pure bf16 + CL, BN folded, prepacked + ReLU";
    case InferenceVariant::Int8: return "int8 + CL, BN folded, calibrated, fp32 head";
    }
    return "?";
}

std::vector<double> benchmarkInference(const UNetConfig& arch, int height, int width, int repeats, const BenchOptions& o)
{
    torch::set_num_threads(std::max(1, o.threads));
    torch::manual_seed(0);
    UNet net(arch);
    net->eval();
    const InferenceVariant v = o.variant;
    const bool moduleCL = v == InferenceVariant::AutocastTransposed || v == InferenceVariant::AutocastPixelShuffle;
    const bool autocast = moduleCL;
    net->referencePath = v == InferenceVariant::Reference || v == InferenceVariant::AutocastTransposed;
    std::unique_ptr<InferenceNet> fast;
    if (!moduleCL && v != InferenceVariant::Reference) {
        InferenceSettings s;
        s.bf16 = v != InferenceVariant::Fp32Folded && v != InferenceVariant::Fp32Nchw && v != InferenceVariant::Int8;
        s.int8 = v == InferenceVariant::Int8;
        s.channelsLast = v != InferenceVariant::Fp32Nchw;
        s.foldBatchNorm = v != InferenceVariant::Bf16Unfolded;
        s.prepack = v == InferenceVariant::Bf16Prepacked || v == InferenceVariant::Fp32Folded;
        fast = std::make_unique<InferenceNet>(net, s);
        if (s.int8)   // calibrated on a sample like the timed input, not timed
            fast->calibrate(torch::rand({1, arch.inChannels, height, width}));
    }
    if (moduleCL)
        setChannelsLast(*net, true);
    torch::InferenceMode guard;
    const int batch = std::max(1, o.batch);
    torch::Tensor x = torch::rand({batch, arch.inChannels, height, width});
    if (moduleCL)
        x = x.contiguous(torch::MemoryFormat::ChannelsLast);
    auto once = [&] {
        if (fast)
            return torch::sigmoid(fast->forward(x));
        if (autocast) {
            at::autocast::set_cpu_enabled(true);
            at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
        }
        torch::Tensor p = torch::sigmoid(net->forward(x).to(torch::kFloat));
        if (autocast) {
            at::autocast::set_cpu_enabled(false);
            at::autocast::clear_cache();
        }
        return p;
    };
    once();
    std::vector<double> times;
    for (int i = 0; i < repeats; ++i) {
        auto t = Clock::now();
        once();
        times.push_back(since(t) / batch);
    }
    return times;
}

}  // namespace mitoseg
