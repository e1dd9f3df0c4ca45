#pragma once
// A small synthetic stack for CLI tests: noisy background with bright discs, and its 0/255 mask.
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <random>

#include "core/base/Volume.h"
#include "core/io/TiffWriter.h"

namespace mitoseg::test {

/// depth x 48 x 64, four discs per slice of radius rMin .. rMin + rSpread, drawn from `seed`.
inline void writeDiscStack(const std::filesystem::path& image, const std::filesystem::path& mask, std::int64_t depth,
                           unsigned seed, double rMin, double rSpread)
{
    VolumeU8 img(Shape{depth, 48, 64}), lab(Shape{depth, 48, 64});
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(0, 1);
    for (std::int64_t z = 0; z < depth; ++z) {
        for (std::int64_t i = 0; i < 48 * 64; ++i)
            img.slice(z)[i] = static_cast<std::uint8_t>(60 + 30 * u(rng));
        for (int d = 0; d < 4; ++d) {
            double cy = 8 + 32 * u(rng), cx = 8 + 48 * u(rng), r = rMin + rSpread * u(rng);
            for (std::int64_t y = 0; y < 48; ++y)
                for (std::int64_t x = 0; x < 64; ++x)
                    if (std::hypot(static_cast<double>(y) - cy, static_cast<double>(x) - cx) <= r) {
                        img(z, y, x) = static_cast<std::uint8_t>(170 + 30 * u(rng));
                        lab(z, y, x) = 255;
                    }
        }
    }
    writeStack(image, img);
    writeStack(mask, lab);
}

}  // namespace mitoseg::test
