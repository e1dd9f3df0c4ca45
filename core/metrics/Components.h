#pragma once
// 3D connected components of a label/mask volume. Used by object-level metrics and by the
// surface/measurement code. Pure function: safe to call from any thread.
#include <cstdint>
#include <vector>

#include "core/base/Volume.h"

namespace mitoseg {

/// 6 = faces only, 26 = faces, edges and corners.
enum class Connectivity { Six = 6, TwentySix = 26 };

/// Result of labelling: `labels` holds 0 for background and 1..count for objects, numbered in
/// raster order (z, then y, then x) of each object's first voxel; `sizes[i]` is the voxel count
/// of object i+1.
struct Components {
    Volume<std::uint32_t> labels;
    std::uint32_t count = 0;
    std::vector<std::int64_t> sizes;
};

/// Labels the voxels equal to `value` in `mask` (or every non-zero voxel when value < 0).
Components connectedComponents(const VolumeU8& mask, Connectivity connectivity, int value = -1);

/// Sets to 0 every object (non-zero voxels, `connectivity`-connected) of fewer than `minVoxels`
/// voxels; returns how many objects were removed. minVoxels <= 1 removes nothing.
std::int64_t removeSmallComponents(VolumeU8& mask, std::int64_t minVoxels, Connectivity connectivity = Connectivity::TwentySix);

}  // namespace mitoseg
