#include "core/loop/SlicePicker.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <random>

namespace mitoseg {

namespace {

/// Binary entropy of p in bits.
double entropy(double p)
{
    if (p <= 0.0 || p >= 1.0)
        return 0.0;
    return -(p * std::log2(p) + (1.0 - p) * std::log2(1.0 - p));
}

}  // namespace

double meanBinaryEntropy(const float* probability, std::int64_t n)
{
    if (n <= 0)
        return 0.0;
    double sum = 0;
    for (std::int64_t i = 0; i < n; ++i)
        sum += entropy(static_cast<double>(probability[i]));
    return sum / static_cast<double>(n);
}

double meanBinaryEntropy(const std::uint8_t* probability, std::int64_t n)
{
    if (n <= 0)
        return 0.0;
    static const auto table = [] {
        std::vector<double> t(256);
        for (int v = 0; v < 256; ++v)
            t[static_cast<std::size_t>(v)] = entropy(v / 255.0);
        return t;
    }();
    double sum = 0;
    for (std::int64_t i = 0; i < n; ++i)
        sum += table[probability[i]];
    return sum / static_cast<double>(n);
}

namespace {

template <typename T, typename ToP>
double iouShortfall(const T* probability, std::int64_t n, float threshold, ToP toP)
{
    if (n <= 0)
        return 0.0;
    double inter = 0, mask = 0, sum = 0;
    for (std::int64_t i = 0; i < n; ++i) {
        const double p = toP(probability[i]);
        sum += p;
        if (p > threshold) {
            mask += 1;
            inter += p;
        }
    }
    const double eps = 0.001 * static_cast<double>(n);
    return 1.0 - (inter + eps) / (mask + sum - inter + eps);
}

}  // namespace

double expectedIoUShortfall(const float* probability, std::int64_t n, float threshold)
{
    return iouShortfall(probability, n, threshold, [](float v) { return static_cast<double>(v); });
}

double expectedIoUShortfall(const std::uint8_t* probability, std::int64_t n, float threshold)
{
    return iouShortfall(probability, n, threshold, [](std::uint8_t v) { return v / 255.0; });
}

std::vector<double> sliceUncertainty(const VolumeF32& probability, Uncertainty measure, float threshold)
{
    std::vector<double> out(static_cast<std::size_t>(probability.depth()));
    const std::int64_t n = probability.shape().sliceVoxels();
    for (std::int64_t z = 0; z < probability.depth(); ++z)
        out[static_cast<std::size_t>(z)] = measure == Uncertainty::Entropy ? meanBinaryEntropy(probability.slice(z), n)
                                                                           : expectedIoUShortfall(probability.slice(z), n, threshold);
    return out;
}

std::vector<std::int64_t> pickSlices(const std::vector<double>& uncertainty, const std::vector<std::int64_t>& exclude, int count,
                                     PickMode mode, std::uint64_t seed, int minGap)
{
    std::vector<std::int64_t> candidates;
    for (std::int64_t z = 0; z < static_cast<std::int64_t>(uncertainty.size()); ++z)
        if (uncertainty[static_cast<std::size_t>(z)] >= 0 && std::find(exclude.begin(), exclude.end(), z) == exclude.end())
            candidates.push_back(z);
    if (mode == PickMode::Spread) {
        // Greedy: each pick maximises score x min(1, d / R), d the distance to the nearest
        // labelled or picked slice.
        std::vector<std::int64_t> anchors = exclude, picked;
        const double pickable = static_cast<double>(candidates.size() + exclude.size());
        const double spacing = pickable / static_cast<double>(std::max<std::size_t>(1, exclude.size() + static_cast<std::size_t>(std::max(0, count))));
        while (static_cast<int>(picked.size()) < count && !candidates.empty()) {
            std::size_t best = 0;
            double bestScore = -1;
            for (std::size_t i = 0; i < candidates.size(); ++i) {
                const std::int64_t z = candidates[i];
                double d = 1e300;
                for (std::int64_t a : anchors)
                    d = std::min(d, static_cast<double>(std::llabs(z - a)));
                const double score = uncertainty[static_cast<std::size_t>(z)] * std::min(1.0, d / spacing);
                if (score > bestScore) {   // ties: the lower slice index, deterministic
                    bestScore = score;
                    best = i;
                }
            }
            picked.push_back(candidates[best]);
            anchors.push_back(candidates[best]);
            candidates.erase(candidates.begin() + static_cast<std::ptrdiff_t>(best));
        }
        return picked;
    }
    if (mode == PickMode::Random) {
        std::mt19937_64 rng(seed);
        std::shuffle(candidates.begin(), candidates.end(), rng);
    } else {
        // Most uncertain first; ties by slice index, so the order is deterministic.
        std::stable_sort(candidates.begin(), candidates.end(), [&](std::int64_t a, std::int64_t b) {
            return uncertainty[static_cast<std::size_t>(a)] > uncertainty[static_cast<std::size_t>(b)];
        });
    }
    if (mode == PickMode::Uncertain && minGap > 1 && count > 0) {
        std::vector<std::int64_t> picked, rest;
        auto farFrom = [&](std::int64_t z, const std::vector<std::int64_t>& others) {
            return std::none_of(others.begin(), others.end(), [&](std::int64_t o) { return std::llabs(z - o) < minGap; });
        };
        for (std::int64_t z : candidates) {
            if (static_cast<int>(picked.size()) < count && farFrom(z, picked) && farFrom(z, exclude))
                picked.push_back(z);
            else
                rest.push_back(z);
        }
        picked.insert(picked.end(), rest.begin(), rest.end());   // still most uncertain first
        candidates = std::move(picked);
    }
    if (count >= 0 && candidates.size() > static_cast<std::size_t>(count))
        candidates.resize(static_cast<std::size_t>(count));
    return candidates;
}

std::vector<std::int64_t> pickSlicesToCorrect(std::vector<double> uncertainty, const std::vector<std::int64_t>& labelled,
                                              const std::vector<std::int64_t>& validation, int count, int contextSlices,
                                              PickMode mode, std::uint64_t seed)
{
    const auto depth = static_cast<std::int64_t>(uncertainty.size());
    for (std::int64_t v : validation)
        for (std::int64_t z = std::max<std::int64_t>(0, v - contextSlices); z <= std::min(depth - 1, v + contextSlices); ++z)
            uncertainty[static_cast<std::size_t>(z)] = -1;
    return pickSlices(uncertainty, labelled, count, mode, seed, mode == PickMode::Uncertain ? pickGapFor(contextSlices) : 0);
}

std::vector<std::int64_t> spreadSlices(std::int64_t depth, const std::vector<std::int64_t>& exclude, int count)
{
    std::vector<std::int64_t> candidates;
    for (std::int64_t z = 0; z < depth; ++z)
        if (std::find(exclude.begin(), exclude.end(), z) == exclude.end())
            candidates.push_back(z);
    if (count <= 0 || candidates.empty())
        return {};
    if (static_cast<std::size_t>(count) >= candidates.size())
        return candidates;
    std::vector<std::int64_t> out;
    const double step = static_cast<double>(candidates.size()) / count;
    for (int i = 0; i < count; ++i)
        out.push_back(candidates[static_cast<std::size_t>((i + 0.5) * step)]);
    return out;
}

}  // namespace mitoseg
