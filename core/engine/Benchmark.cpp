#include "core/engine/Benchmark.h"

#include <ATen/autocast_mode.h>

#include <algorithm>
#include <chrono>

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

std::vector<double> benchmarkInference(const UNetConfig& arch, int height, int width, int repeats, const BenchOptions& o)
{
    torch::set_num_threads(std::max(1, o.threads));
    torch::manual_seed(0);
    UNet net(arch);
    net->eval();
    if (o.channelsLast)
        setChannelsLast(*net, true);
    torch::InferenceMode guard;
    torch::Tensor x = torch::rand({1, arch.inChannels, height, width});
    if (o.channelsLast)
        x = x.contiguous(torch::MemoryFormat::ChannelsLast);
    auto once = [&] {
        if (o.bf16) {
            at::autocast::set_cpu_enabled(true);
            at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
        }
        torch::Tensor p = torch::sigmoid(net->forward(x).to(torch::kFloat));
        if (o.bf16) {
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
        times.push_back(since(t));
    }
    return times;
}

}  // namespace mitoseg
