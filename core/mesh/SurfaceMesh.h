#pragma once
// Triangle surfaces of labelled objects as plain arrays, so ui/ can hand them to VTK (or any
// renderer) without core exposing VTK types. Plain value type: copyable, not synchronised.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace mitoseg {

/// A triangle mesh in physical coordinates. VTK axis order: x = volume column (width),
/// y = row (height), z = slice (depth); a voxel centre (z, y, x) sits at
/// (x * spacing.x, y * spacing.y, z * spacing.z). Triangles are wound counter-clockwise seen
/// from outside (normals point out of the object). Objects never share points.
struct SurfaceMesh {
    std::vector<float> points;                 ///< x, y, z per point
    std::vector<std::int32_t> triangles;       ///< three point indices per triangle
    std::vector<std::uint32_t> triangleObject; ///< object id (1-based) of each triangle

    std::size_t pointCount() const { return points.size() / 3; }
    std::size_t triangleCount() const { return triangles.size() / 3; }
    bool empty() const { return triangles.empty(); }

    /// Appends `other`, re-indexing its points. `objectId` > 0 overrides its triangles' ids.
    /// Throws Error when the result would exceed 2^31 - 1 points (32-bit indices).
    void append(const SurfaceMesh& other, std::uint32_t objectId = 0);
    /// The triangles of object `id` with their points only (compacted). Empty when absent.
    SurfaceMesh object(std::uint32_t id) const;
    /// Sum of triangle areas (physical units squared).
    double area() const;
    /// Enclosed volume by the divergence theorem (positive for outward-wound closed meshes).
    double signedVolume() const;
    /// True when every edge is shared by exactly two triangles (a closed, edge-manifold surface;
    /// false for an empty mesh).
    bool isClosed() const;
};

}  // namespace mitoseg
