#pragma once
// An axis-aligned box of voxels [z0,z1) x [y0,y1) x [x0,x1). Plain value type.
#include <algorithm>
#include <cstdint>

namespace mitoseg::labels {

/// Half-open voxel box. An empty box has a zero or negative extent on some axis.
struct Box {
    std::int64_t z0 = 0, y0 = 0, x0 = 0;
    std::int64_t z1 = 0, y1 = 0, x1 = 0;

    std::int64_t depth() const { return z1 - z0; }
    std::int64_t height() const { return y1 - y0; }
    std::int64_t width() const { return x1 - x0; }
    bool empty() const { return depth() <= 0 || height() <= 0 || width() <= 0; }
    std::int64_t voxels() const { return empty() ? 0 : depth() * height() * width(); }

    /// Smallest box holding both (an empty operand is ignored).
    Box united(const Box& o) const
    {
        if (empty())
            return o;
        if (o.empty())
            return *this;
        return {std::min(z0, o.z0), std::min(y0, o.y0), std::min(x0, o.x0),
                std::max(z1, o.z1), std::max(y1, o.y1), std::max(x1, o.x1)};
    }
    /// Overlap of both boxes (may be empty).
    Box intersected(const Box& o) const
    {
        return {std::max(z0, o.z0), std::max(y0, o.y0), std::max(x0, o.x0),
                std::min(z1, o.z1), std::min(y1, o.y1), std::min(x1, o.x1)};
    }
    bool operator==(const Box&) const = default;
};

}  // namespace mitoseg::labels
