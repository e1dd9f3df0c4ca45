#pragma once
// Deterministic randomness for the demo generator (internal to core/demo).
// Integer-only generators (splitmix64, xoshiro256**) and a Gaussian built from integer sums, so
// a seed gives the same numbers with every compiler, standard library and CPU. Value types, not
// synchronised: one Rng per thread.
#include <cstdint>
#include <vector>

namespace mitoseg::demo {

/// One round of splitmix64: a bijective 64-bit mix, used as a hash.
constexpr std::uint64_t splitmix64(std::uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/// Hash of a seed and up to three integer coordinates (lattice points, object ids).
constexpr std::uint64_t hashCoords(std::uint64_t seed, std::int64_t a, std::int64_t b = 0, std::int64_t c = 0)
{
    std::uint64_t h = splitmix64(seed);
    h = splitmix64(h ^ static_cast<std::uint64_t>(a));
    h = splitmix64(h ^ static_cast<std::uint64_t>(b) * 0x632be59bd9b4e019ULL);
    return splitmix64(h ^ static_cast<std::uint64_t>(c) * 0x85157af5ULL);
}

/// Uniform float in [0, 1) from the top 24 bits of a hash (exact in float).
constexpr float hashUnit(std::uint64_t h) { return static_cast<float>(h >> 40) * (1.0f / 16777216.0f); }

/// xoshiro256** seeded through splitmix64. `stream` separates independent sequences of one seed.
class Rng {
public:
    Rng(std::uint64_t seed, std::uint64_t stream)
    {
        std::uint64_t x = splitmix64(seed) ^ splitmix64(stream + 0x1234567ULL);
        for (auto& s : s_) {
            x = splitmix64(x);
            s = x;
        }
    }

    std::uint64_t next()
    {
        const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
        const std::uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }

    /// Uniform in [0, 1) with 53 random bits.
    double uniform() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }
    double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
    /// Approximately standard normal: the sum of four 16-bit uniforms (Irwin-Hall), rescaled.
    /// Integer arithmetic up to one exact conversion, so identical everywhere; tails stop at +-3.46.
    double normal() { return gaussFromBits(next()); }

    /// The same Gaussian as normal(), from a given 64-bit word (used with hashes).
    static double gaussFromBits(std::uint64_t r)
    {
        const std::int64_t sum = static_cast<std::int64_t>((r & 0xffff) + ((r >> 16) & 0xffff) + ((r >> 32) & 0xffff) + (r >> 48));
        // mean 4 * 32767.5, standard deviation sqrt(4 * (65536^2 - 1) / 12) = 37837.23...
        return (static_cast<double>(2 * sum - 262140) * 0.5) / 37837.2270;
    }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    std::uint64_t s_[4];
};

/// Smooth 2D value noise for one z position of a 3D lattice (spacing `cell` in x/y, `cellZ` in z),
/// values in [-1, 1]. Built per slice (cheap: one value per lattice point), then sampled per pixel.
class NoiseSlice {
public:
    /// Prepares the lattice for slice `z` of a `height` x `width` image.
    NoiseSlice(std::uint64_t seed, float cell, float cellZ, std::int64_t height, std::int64_t width, std::int64_t z)
        : cell_(cell), inv_(1.0f / cell)
    {
        nx_ = static_cast<std::int64_t>(static_cast<float>(width) * inv_) + 3;
        ny_ = static_cast<std::int64_t>(static_cast<float>(height) * inv_) + 3;
        const float fz = static_cast<float>(z) / cellZ;
        const auto kz = static_cast<std::int64_t>(fz);
        const float tz = smooth(fz - static_cast<float>(kz));
        values_.resize(static_cast<std::size_t>(nx_ * ny_));
        for (std::int64_t j = 0; j < ny_; ++j)
            for (std::int64_t i = 0; i < nx_; ++i) {
                const float a = 2.0f * hashUnit(hashCoords(seed, i, j, kz)) - 1.0f;
                const float b = 2.0f * hashUnit(hashCoords(seed, i, j, kz + 1)) - 1.0f;
                values_[static_cast<std::size_t>(j * nx_ + i)] = a + (b - a) * tz;
            }
    }

    /// Noise at pixel (x, y), x/y >= 0 and inside the image (plus two lattice cells).
    float at(float x, float y) const
    {
        const float fx = x * inv_, fy = y * inv_;
        const auto ix = static_cast<std::int64_t>(fx), iy = static_cast<std::int64_t>(fy);
        const float tx = smooth(fx - static_cast<float>(ix)), ty = smooth(fy - static_cast<float>(iy));
        const float* r0 = values_.data() + iy * nx_ + ix;
        const float* r1 = r0 + nx_;
        const float top = r0[0] + (r0[1] - r0[0]) * tx;
        const float bottom = r1[0] + (r1[1] - r1[0]) * tx;
        return top + (bottom - top) * ty;
    }

    float cell() const { return cell_; }

    /// The value at(x, y) of NoiseSlice(seed, cell, cellZ, ..., z) would give, for one point.
    static float point(std::uint64_t seed, float cell, float cellZ, float x, float y, float z)
    {
        const float fz = z / cellZ;
        const auto kz = static_cast<std::int64_t>(fz);
        const float tz = smooth(fz - static_cast<float>(kz));
        const float inv = 1.0f / cell;
        const float fx = x * inv, fy = y * inv;
        const auto ix = static_cast<std::int64_t>(fx), iy = static_cast<std::int64_t>(fy);
        const float tx = smooth(fx - static_cast<float>(ix)), ty = smooth(fy - static_cast<float>(iy));
        float v[4];
        for (int k = 0; k < 4; ++k) {
            const float a = 2.0f * hashUnit(hashCoords(seed, ix + (k & 1), iy + (k >> 1), kz)) - 1.0f;
            const float b = 2.0f * hashUnit(hashCoords(seed, ix + (k & 1), iy + (k >> 1), kz + 1)) - 1.0f;
            v[k] = a + (b - a) * tz;
        }
        const float top = v[0] + (v[1] - v[0]) * tx;
        const float bottom = v[2] + (v[3] - v[2]) * tx;
        return top + (bottom - top) * ty;
    }

    static float smooth(float t) { return t * t * (3.0f - 2.0f * t); }

private:
    float cell_, inv_;
    std::int64_t nx_ = 0, ny_ = 0;
    std::vector<float> values_;
};

}  // namespace mitoseg::demo
