#include "core/engine/PatchSampler.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/base/Error.h"
#include "core/engine/Trainer.h"

namespace mitoseg {

PatchSampler::PatchSampler(const TrainConfig& config, const TrainData& data, std::vector<std::int64_t> slices,
                           Normalisation norm, int patch)
    : config_(config), data_(data), slices_(std::move(slices)), norm_(norm), patch_(patch), rng_(config.seed)
{
    const VolumeU8& lab = *data.labels;
    const std::int64_t H = lab.height(), W = lab.width();
    for (std::size_t i = 0; i < slices_.size(); ++i) {
        std::vector<std::int32_t> fg;
        const std::uint8_t* s = lab.slice(slices_[i]);
        for (std::int64_t y = 0; y < H; y += 4)
            for (std::int64_t x = 0; x < W; x += 4)
                if (s[y * W + x])
                    fg.push_back(static_cast<std::int32_t>(y * W + x));
        const bool focus = std::find(data.focusSlices.begin(), data.focusSlices.end(), slices_[i]) != data.focusSlices.end();
        if (focus)
            focus_.push_back(i);
        if (!fg.empty()) {
            slicesWithForeground_.push_back(i);
            if (focus)
                focusWithForeground_.push_back(i);
        }
        foreground_.push_back(std::move(fg));
    }
    if (data.imageF32) {
        rawMax_ = 0;
        for (float v : data.imageF32->values())
            rawMax_ = std::max(rawMax_, v);
        if (rawMax_ <= 0)
            rawMax_ = 1;
    }
}

float PatchSampler::raw(std::int64_t z, std::int64_t y, std::int64_t x) const
{
    return data_.image ? static_cast<float>((*data_.image)(z, y, x)) : (*data_.imageF32)(z, y, x);
}

void PatchSampler::sample(int batch, std::vector<float>& input, std::vector<std::uint8_t>& target)
{
    const std::int64_t C = config_.arch.inChannels, P = patch_;
    input.assign(static_cast<std::size_t>(batch * C * P * P), 0.0f);
    target.assign(static_cast<std::size_t>(batch * P * P), 0);
    // One Gaussian for the whole batch, as before per-patch seeding existed (its cached second
    // value is part of the stream).
    std::normal_distribution<float> gauss(0.0f, 1.0f);
    for (int b = 0; b < batch; ++b)
        drawOne(rng_, gauss, input.data() + static_cast<std::size_t>(b * C * P * P), target.data() + static_cast<std::size_t>(b * P * P));
}

std::uint64_t PatchSampler::patchSeed(std::uint64_t seed, std::int64_t step, std::int64_t index)
{
    auto mix = [](std::uint64_t z) {
        z += 0x9e3779b97f4a7c15ULL;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    };
    return mix(mix(mix(seed) ^ static_cast<std::uint64_t>(step)) ^ static_cast<std::uint64_t>(index));
}

void PatchSampler::sampleIndexed(std::int64_t step, std::int64_t firstIndex, int count, std::vector<float>& input,
                                 std::vector<std::uint8_t>& target)
{
    const std::int64_t C = config_.arch.inChannels, P = patch_;
    input.assign(static_cast<std::size_t>(count * C * P * P), 0.0f);
    target.assign(static_cast<std::size_t>(count * P * P), 0);
    for (int b = 0; b < count; ++b) {
        std::mt19937_64 rng(patchSeed(config_.seed, step, firstIndex + b));
        std::normal_distribution<float> gauss(0.0f, 1.0f);
        drawOne(rng, gauss, input.data() + static_cast<std::size_t>(b * C * P * P), target.data() + static_cast<std::size_t>(b * P * P));
    }
}

void PatchSampler::drawOne(std::mt19937_64& rng, std::normal_distribution<float>& gauss, float* in, std::uint8_t* tg)
{
    const VolumeU8& lab = *data_.labels;
    const std::int64_t D = lab.depth(), H = lab.height(), W = lab.width(), P = patch_;
    const int ctx = config_.arch.context(), C = config_.arch.inChannels;
    const bool binary = config_.arch.classes == 2;
    std::uniform_real_distribution<double> u01(0.0, 1.0);
    std::vector<float> buf(static_cast<std::size_t>(C * P * P));
    std::vector<std::uint8_t> tbuf(static_cast<std::size_t>(P * P));
    {
        std::size_t si;
        std::int64_t y0, x0;
        // Focus slices (when there are any) get their share of patches first.
        const bool focus = !focus_.empty() && u01(rng) < data_.focusFraction;
        const std::vector<std::size_t>& withFg = focus ? focusWithForeground_ : slicesWithForeground_;
        bool useFg = !withFg.empty() && u01(rng) < config_.foregroundFraction;
        if (useFg) {
            si = withFg[std::uniform_int_distribution<std::size_t>(0, withFg.size() - 1)(rng)];
            const auto& fg = foreground_[si];
            std::int32_t pos = fg[std::uniform_int_distribution<std::size_t>(0, fg.size() - 1)(rng)];
            std::int64_t jitter = P / 4;
            std::int64_t cy = pos / W + std::uniform_int_distribution<std::int64_t>(-jitter, jitter)(rng);
            std::int64_t cx = pos % W + std::uniform_int_distribution<std::int64_t>(-jitter, jitter)(rng);
            y0 = std::clamp<std::int64_t>(cy - P / 2, 0, H - P);
            x0 = std::clamp<std::int64_t>(cx - P / 2, 0, W - P);
        } else {
            si = focus ? focus_[std::uniform_int_distribution<std::size_t>(0, focus_.size() - 1)(rng)]
                       : std::uniform_int_distribution<std::size_t>(0, slices_.size() - 1)(rng);
            y0 = std::uniform_int_distribution<std::int64_t>(0, H - P)(rng);
            x0 = std::uniform_int_distribution<std::int64_t>(0, W - P)(rng);
        }
        const std::int64_t z = slices_[si];
        // Intensity augmentation parameters (on raw / rawMax in [0, 1]).
        double contrast = 1, brightness = 0, gamma = 1, sigma = 0;
        if (config_.augmentIntensity) {
            contrast = 0.75 + 0.5 * u01(rng);
            brightness = -0.1 + 0.2 * u01(rng);
            gamma = std::exp(std::log(0.7) + (std::log(1.5) - std::log(0.7)) * u01(rng));
            sigma = 0.03 * u01(rng);
        }
        int k = config_.augmentGeometry ? std::uniform_int_distribution<int>(0, 7)(rng) : 0;
        const float mean = static_cast<float>(norm_.mean), inv = static_cast<float>(1.0 / norm_.std);
        // The intensity change of one raw value before the noise (gamma, then contrast and brightness).
        auto intensity = [&](double v) {
            double r = std::clamp(v / rawMax_, 0.0, 1.0);
            r = std::pow(r, gamma);
            return (r - 0.5) * contrast + 0.5 + brightness;
        };
        auto finish = [&](double r) {
            if (sigma > 0)
                r += sigma * gauss(rng);
            return (static_cast<float>(r * rawMax_) - mean) * inv;
        };
        if (data_.image && config_.augmentIntensity) {
            // 8-bit images: the intensity change as a table of the 256 values (the same
            // arithmetic, so the same patches bit for bit, without a pow per pixel).
            double table[256];
            for (int v = 0; v < 256; ++v)
                table[v] = intensity(static_cast<double>(static_cast<float>(v)));
            for (int c = 0; c < C; ++c) {
                std::int64_t zc = std::clamp<std::int64_t>(z + c - ctx, 0, D - 1);
                for (std::int64_t y = 0; y < P; ++y) {
                    const std::uint8_t* row = data_.image->slice(zc) + (y0 + y) * W + x0;
                    float* out = buf.data() + static_cast<std::size_t>((c * P + y) * P);
                    for (std::int64_t x = 0; x < P; ++x)
                        out[x] = finish(table[row[x]]);
                }
            }
        } else {
            for (int c = 0; c < C; ++c) {
                std::int64_t zc = std::clamp<std::int64_t>(z + c - ctx, 0, D - 1);
                for (std::int64_t y = 0; y < P; ++y)
                    for (std::int64_t x = 0; x < P; ++x) {
                        float v = raw(zc, y0 + y, x0 + x);
                        buf[static_cast<std::size_t>((c * P + y) * P + x)] =
                            config_.augmentIntensity ? finish(intensity(static_cast<double>(v))) : (v - mean) * inv;
                    }
            }
        }
        const std::uint8_t* ls = lab.slice(z);
        for (std::int64_t y = 0; y < P; ++y)
            for (std::int64_t x = 0; x < P; ++x) {
                std::uint8_t v = ls[(y0 + y) * W + x0 + x];
                tbuf[static_cast<std::size_t>(y * P + x)] = binary ? (v ? 1 : 0) : v;
            }
        // Dihedral transform k: optional transpose (k&4), then flips (k&1: y, k&2: x).
        auto src = [&](std::int64_t y, std::int64_t x) {
            std::int64_t sy = (k & 1) ? P - 1 - y : y, sx = (k & 2) ? P - 1 - x : x;
            return (k & 4) ? sx * P + sy : sy * P + sx;
        };
        for (std::int64_t y = 0; y < P; ++y)
            for (std::int64_t x = 0; x < P; ++x) {
                std::int64_t s = src(y, x);
                for (int c = 0; c < C; ++c)
                    in[(c * P + y) * P + x] = buf[static_cast<std::size_t>(c * P * P + s)];
                tg[y * P + x] = tbuf[static_cast<std::size_t>(s)];
            }
        for (std::int64_t i = 0; i < P * P; ++i)
            if (!binary && tg[i] >= config_.arch.classes)
                throw Error("label " + std::to_string(tg[i]) + " at slice " + std::to_string(z) + " exceeds the " +
                            std::to_string(config_.arch.classes) + " classes of the model");
    }
}

std::string PatchSampler::rngState() const
{
    std::ostringstream s;
    s << rng_;
    return s.str();
}

void PatchSampler::setRngState(const std::string& state)
{
    std::istringstream s(state);
    s >> rng_;
    if (!s)
        throw Error("bad RNG state in checkpoint");
}

}  // namespace mitoseg
