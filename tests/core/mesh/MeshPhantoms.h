#pragma once
// Synthetic masks for the mesh tests: balls and boxes with known geometry.
#include <cstdint>

#include "core/base/Volume.h"

namespace mitoseg::test {

/// Sets to `value` every voxel whose centre lies within `radius` (physical units) of the physical
/// point (cz, cy, cx), using the volume's spacing.
inline void paintBall(VolumeU8& v, double cz, double cy, double cx, double radius, std::uint8_t value = 255)
{
    const Spacing& s = v.spacing;
    for (std::int64_t z = 0; z < v.depth(); ++z)
        for (std::int64_t y = 0; y < v.height(); ++y)
            for (std::int64_t x = 0; x < v.width(); ++x) {
                double dz = z * s.z - cz, dy = y * s.y - cy, dx = x * s.x - cx;
                if (dz * dz + dy * dy + dx * dx <= radius * radius)
                    v(z, y, x) = value;
            }
}

/// Sets voxels [z0, z1] x [y0, y1] x [x0, x1] (inclusive) to `value`.
inline void paintBox(VolumeU8& v, std::int64_t z0, std::int64_t y0, std::int64_t x0, std::int64_t z1, std::int64_t y1,
                     std::int64_t x1, std::uint8_t value = 255)
{
    for (std::int64_t z = z0; z <= z1; ++z)
        for (std::int64_t y = y0; y <= y1; ++y)
            for (std::int64_t x = x0; x <= x1; ++x)
                v(z, y, x) = value;
}

}  // namespace mitoseg::test
