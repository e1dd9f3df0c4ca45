#include "core/engine/DataParallel.h"

#include <string>
#include <vector>

#include "core/dist/ProcessGroup.h"

namespace mitoseg {

namespace {

constexpr std::int64_t kBucketFloats = std::int64_t{4} << 20;

/// All-reduces (sum) or broadcasts `tensors` through flat float buckets, writing the result back
/// (divided by `divisor` for sums). Returns the bytes moved.
std::uint64_t throughBuckets(std::vector<torch::Tensor>& tensors, ProcessGroup& group, bool broadcast, float divisor)
{
    torch::NoGradGuard noGrad;
    std::uint64_t bytes = 0;
    std::size_t first = 0;
    while (first < tensors.size()) {
        std::size_t last = first;
        std::int64_t n = 0;
        while (last < tensors.size() && (last == first || n + tensors[last].numel() <= kBucketFloats))
            n += tensors[last++].numel();
        torch::Tensor flat = torch::empty({n});
        std::int64_t o = 0;
        for (std::size_t i = first; i < last; ++i) {
            flat.narrow(0, o, tensors[i].numel()).view(tensors[i].sizes()).copy_(tensors[i]);
            o += tensors[i].numel();
        }
        if (broadcast) {
            group.broadcast(flat.data_ptr<float>(), static_cast<std::size_t>(n), 0);
        } else {
            group.allreduceSum(flat.data_ptr<float>(), static_cast<std::size_t>(n));
            flat.div_(divisor);
        }
        o = 0;
        for (std::size_t i = first; i < last; ++i) {
            tensors[i].copy_(flat.narrow(0, o, tensors[i].numel()).view(tensors[i].sizes()));
            o += tensors[i].numel();
        }
        bytes += static_cast<std::uint64_t>(n) * sizeof(float);
        first = last;
    }
    return bytes;
}

bool endsWith(const std::string& s, const std::string& tail)
{
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

torch::Tensor boundaryWeights(const torch::Tensor& target, double boundaryWeight)
{
    // A pixel is in the band when the labels in its (2r+1)^2 window are not all the same.
    torch::Tensor t = target.to(torch::kFloat).unsqueeze(1);
    const std::int64_t k = 2 * kBoundaryBandRadius + 1;
    torch::Tensor hi = torch::max_pool2d(t, {k, k}, {1, 1}, {kBoundaryBandRadius, kBoundaryBandRadius});
    torch::Tensor lo = -torch::max_pool2d(-t, {k, k}, {1, 1}, {kBoundaryBandRadius, kBoundaryBandRadius});
    return 1.0 + boundaryWeight * (hi != lo).to(torch::kFloat);
}

torch::Tensor trainingLoss(const torch::Tensor& logitsIn, const torch::Tensor& target, int classes, double diceWeight,
                           ProcessGroup* group, double& reported, double boundaryWeight)
{
    torch::Tensor logits = logitsIn.to(torch::kFloat);
    const double eps = 1.0;
    const double N = group ? group->size() : 1;
    // local + (global - local) with the difference held constant: the value is the global sum,
    // the gradient flows into this rank's part only.
    auto globalise = [](const torch::Tensor& local, const std::vector<double>& g, std::size_t from) {
        std::vector<float> v(static_cast<std::size_t>(local.numel()));
        for (std::size_t i = 0; i < v.size(); ++i)
            v[i] = static_cast<float>(g[from + i]);
        torch::Tensor global = torch::from_blob(v.data(), local.sizes()).clone();
        return local + (global - local.detach());
    };
    auto allreduce = [&](std::vector<torch::Tensor> parts) {
        std::vector<double> g;
        for (auto& t : parts) {
            torch::Tensor d = t.detach().to(torch::kDouble).reshape(-1).contiguous();
            g.insert(g.end(), d.data_ptr<double>(), d.data_ptr<double>() + d.numel());
        }
        group->allreduceSum(g.data(), g.size());
        return g;
    };
    if (classes == 2) {
        torch::Tensor y = target.to(torch::kFloat).unsqueeze(1);
        torch::Tensor bce = boundaryWeight > 0
            ? torch::binary_cross_entropy_with_logits(logits, y, boundaryWeights(target, boundaryWeight))
            : torch::binary_cross_entropy_with_logits(logits, y);
        if (!group) {
            torch::Tensor loss = bce;
            if (diceWeight > 0) {
                torch::Tensor p = torch::sigmoid(logits);
                torch::Tensor dice = 1.0 - (2.0 * (p * y).sum() + eps) / (p.sum() + y.sum() + eps);
                loss = bce + diceWeight * dice;
            }
            reported = loss.item<double>();
            return loss;
        }
        if (diceWeight <= 0) {
            reported = allreduce({bce})[0] / N;
            return bce;
        }
        torch::Tensor p = torch::sigmoid(logits);
        torch::Tensor inter = (p * y).sum(), denom = p.sum() + y.sum();
        std::vector<double> g = allreduce({bce, inter, denom});
        torch::Tensor dice = 1.0 - (2.0 * globalise(inter, g, 1) + eps) / (globalise(denom, g, 2) + eps);
        reported = g[0] / N + diceWeight * dice.item<double>();
        return bce + (N * diceWeight) * dice;
    }
    torch::Tensor t = target.to(torch::kLong);
    namespace F = torch::nn::functional;
    torch::Tensor ce = boundaryWeight > 0
        ? (F::cross_entropy(logits, t, F::CrossEntropyFuncOptions().reduction(torch::kNone)) *
           boundaryWeights(target, boundaryWeight).squeeze(1)).mean()
        : F::cross_entropy(logits, t);
    if (diceWeight <= 0) {
        reported = group ? allreduce({ce})[0] / N : ce.item<double>();
        return ce;
    }
    torch::Tensor p = torch::softmax(logits, 1);
    torch::Tensor onehot = torch::one_hot(t, classes).permute({0, 3, 1, 2}).to(torch::kFloat);
    torch::Tensor inter = (p * onehot).sum({0, 2, 3}), denom = p.sum({0, 2, 3}) + onehot.sum({0, 2, 3});
    if (!group) {
        torch::Tensor dice = 1.0 - (2.0 * inter + eps) / (denom + eps);
        torch::Tensor loss = ce + diceWeight * dice.slice(0, 1).mean();
        reported = loss.item<double>();
        return loss;
    }
    std::vector<double> g = allreduce({ce, inter, denom});
    torch::Tensor dice = 1.0 - (2.0 * globalise(inter, g, 1) + eps) / (globalise(denom, g, 1 + static_cast<std::size_t>(classes)) + eps);
    torch::Tensor diceMean = dice.slice(0, 1).mean();
    reported = g[0] / N + diceWeight * diceMean.item<double>();
    return ce + (N * diceWeight) * diceMean;
}

std::uint64_t averageGradients(UNet& net, ProcessGroup& group, bool withBatchNormStatistics)
{
    std::vector<torch::Tensor> tensors;
    for (auto& p : net->parameters()) {
        if (!p.grad().defined())
            p.mutable_grad() = torch::zeros_like(p);
        tensors.push_back(p.grad());
    }
    if (withBatchNormStatistics)
        for (auto& b : net->named_buffers())
            if (endsWith(b.key(), "running_mean") || endsWith(b.key(), "running_var"))
                tensors.push_back(b.value());
    return throughBuckets(tensors, group, false, static_cast<float>(group.size()));
}

OverlappedGradients::OverlappedGradients(UNet& net, ProcessGroup& group, bool withBatchNormStatistics, std::int64_t bucketFloats)
    : net_(net), group_(group), bnStats_(withBatchNormStatistics)
{
    params_ = net->parameters();
    const std::size_t n = params_.size();
    bucketOf_.assign(n, 0);
    offset_.assign(n, 0);
    seen_.assign(n, false);
    // Reverse order: backward produces the last layers' gradients first.
    std::int64_t filled = 0;
    for (std::size_t k = n; k-- > 0;) {
        if (!params_[k].requires_grad())
            continue;
        const std::int64_t m = params_[k].numel();
        if (buckets_.empty() || (filled > 0 && filled + m > bucketFloats)) {
            buckets_.emplace_back();
            filled = 0;
        }
        bucketOf_[k] = buckets_.size() - 1;
        offset_[k] = static_cast<std::size_t>(filled);
        buckets_.back().params.push_back(k);
        filled += m;
    }
    for (auto& b : buckets_) {
        std::int64_t floats = 0;
        for (std::size_t k : b.params)
            floats += params_[k].numel();
        b.flat = torch::zeros({floats});
        b.waiting = static_cast<int>(b.params.size());
    }
    hooks_.assign(n, 0);
    for (std::size_t k = 0; k < n; ++k)
        if (params_[k].requires_grad())
            hooks_[k] = params_[k].register_hook([this, k](torch::Tensor g) { onGradient(k, g); });
}

OverlappedGradients::~OverlappedGradients()
{
    for (std::size_t k = 0; k < params_.size(); ++k)
        if (params_[k].requires_grad())
            params_[k].remove_hook(hooks_[k]);
}

void OverlappedGradients::onGradient(std::size_t k, const torch::Tensor& grad)
{
    torch::NoGradGuard noGrad;
    Bucket& b = buckets_[bucketOf_[k]];
    if (b.started) {
        late_ = true;
        return;
    }
    auto slot = b.flat.narrow(0, static_cast<std::int64_t>(offset_[k]), params_[k].numel()).view(params_[k].sizes());
    if (seen_[k]) {
        slot.add_(grad.to(torch::kFloat));
        return;
    }
    slot.copy_(grad);
    seen_[k] = true;
    if (--b.waiting == 0)
        startReady();
}

void OverlappedGradients::startReady()
{
    while (nextToStart_ < buckets_.size() && buckets_[nextToStart_].waiting == 0) {
        Bucket& b = buckets_[nextToStart_++];
        b.started = true;
        group_.startAllreduceSum(b.flat.data_ptr<float>(), static_cast<std::size_t>(b.flat.numel()));
        ++startedEarly_;
    }
}

std::uint64_t OverlappedGradients::finish()
{
    torch::NoGradGuard noGrad;
    std::uint64_t bytes = 0;
    for (std::size_t i = nextToStart_; i < buckets_.size(); ++i)
        buckets_[i].waiting = 0;   // parameters without a gradient this step: their slots hold zeros
    lastEarly_ = startedEarly_;
    startReady();
    group_.finishPending();
    const float n = static_cast<float>(group_.size());
    for (auto& b : buckets_) {
        b.flat.div_(n);
        for (std::size_t k : b.params) {
            torch::Tensor& p = params_[k];
            if (!p.grad().defined())
                p.mutable_grad() = torch::zeros_like(p);
            if (!late_)
                p.mutable_grad().copy_(b.flat.narrow(0, static_cast<std::int64_t>(offset_[k]), p.numel()).view(p.sizes()));
        }
        bytes += static_cast<std::uint64_t>(b.flat.numel()) * sizeof(float);
        b.flat.zero_();
        b.waiting = static_cast<int>(b.params.size());
        b.started = false;
    }
    std::fill(seen_.begin(), seen_.end(), false);
    nextToStart_ = 0;
    startedEarly_ = 0;
    if (late_) {
        // A gradient arrived after its bucket left: the gradients themselves are complete, so
        // average them again the plain way (the started all-reduces were finished above).
        late_ = false;
        std::vector<torch::Tensor> grads;
        for (auto& p : params_)
            if (p.requires_grad())
                grads.push_back(p.grad());
        bytes += throughBuckets(grads, group_, false, n);
    }
    if (bnStats_) {
        std::vector<torch::Tensor> stats;
        for (auto& b : net_->named_buffers())
            if (endsWith(b.key(), "running_mean") || endsWith(b.key(), "running_var"))
                stats.push_back(b.value());
        bytes += throughBuckets(stats, group_, false, n);
    }
    return bytes;
}

void broadcastWeights(UNet& net, ProcessGroup& group)
{
    std::vector<torch::Tensor> tensors;
    for (auto& p : net->parameters())
        tensors.push_back(p);
    for (auto& b : net->buffers())
        if (b.scalar_type() == torch::kFloat)
            tensors.push_back(b);
    throughBuckets(tensors, group, true, 1.0f);
}

}  // namespace mitoseg
