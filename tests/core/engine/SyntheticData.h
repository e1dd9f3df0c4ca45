#pragma once
// Tiny synthetic segmentation problems for engine tests: bright discs (foreground) on a
// darker, noisy background. Deterministic for a given seed.
#include <cmath>
#include <cstdint>
#include <random>

#include "core/base/Volume.h"

namespace mitoseg::test {

struct SyntheticStack {
    VolumeU8 image;
    VolumeU8 labels;   ///< 0/1 (or 0/1/2 with two disc kinds)
};

/// `depth` slices of height x width with a few discs each; with `twoKinds`, half the discs are
/// rings (class 2: bright rim, dark centre) and the rest solid (class 1).
inline SyntheticStack makeDiscs(std::int64_t depth, std::int64_t height, std::int64_t width, unsigned seed, bool twoKinds = false)
{
    SyntheticStack s{VolumeU8(Shape{depth, height, width}), VolumeU8(Shape{depth, height, width})};
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(0, 1);
    for (std::int64_t z = 0; z < depth; ++z) {
        for (std::int64_t i = 0; i < height * width; ++i)
            s.image.slice(z)[i] = static_cast<std::uint8_t>(60 + 30 * u(rng));
        for (int d = 0; d < 4; ++d) {
            double cy = 8 + u(rng) * static_cast<double>(height - 16), cx = 8 + u(rng) * static_cast<double>(width - 16);
            double r = 5 + 4 * u(rng);
            bool ring = twoKinds && (d % 2 == 1);
            for (std::int64_t y = 0; y < height; ++y)
                for (std::int64_t x = 0; x < width; ++x) {
                    double dist = std::hypot(static_cast<double>(y) - cy, static_cast<double>(x) - cx);
                    if (dist <= r) {
                        bool rim = dist > r - 2.5;
                        s.image(z, y, x) = static_cast<std::uint8_t>((ring && !rim ? 40 : 170) + 30 * u(rng));
                        s.labels(z, y, x) = ring ? 2 : 1;
                    }
                }
        }
    }
    return s;
}

}  // namespace mitoseg::test
