#pragma once
// Geometry of the demo stack (internal to core/demo): the cell tessellation whose boundaries are
// the membranes, the mitochondria (curved tubes of varying radius) and the vesicles.
// Built once from the options' seed; then read-only, so slices may be evaluated in any order.
#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/demo/DemoStack.h"

namespace mitoseg::demo {

/// Distances, in voxels, that the scene and the renderer agree on.
inline constexpr float kMembraneReach = 10.0f;  ///< boundary distances are capped here
inline constexpr float kMitoMargin = 7.0f;      ///< cytoplasm kept around a mitochondrion inside its cell

/// Power diagram of drifting seeds, seen through a smooth domain warp: cells whose boundaries are
/// curvy and move smoothly from slice to slice.
class CellField {
public:
    CellField(const DemoOptions& options, std::uint64_t seed);

    /// Per-slice evaluation: `owner[i]` = cell of pixel i, `dist[i]` = distance (voxels, capped at
    /// kMembraneReach) from pixel i to its cell's boundary. Both arrays hold height*width entries.
    void evaluateSlice(std::int64_t z, std::uint32_t* owner, float* dist) const;

    /// The same for one point (slower; used while placing objects).
    void evaluatePoint(float x, float y, float z, std::uint32_t* owner, float* dist) const;

    /// Base cytoplasm grey value of cell `id`.
    float tone(std::uint32_t id) const { return seeds_[id].tone; }

private:
    struct Seed {
        float x, y;       // base position in cell space
        float weight;     // power-diagram weight (bigger -> bigger cell)
        float tone;       // cytoplasm grey value
    };
    struct Candidates;

    void seedPositions(float z, std::vector<float>& xs, std::vector<float>& ys) const;
    void warp(float x, float y, float z, float* wx, float* wy) const;
    void gatherCandidates(float x0, float y0, float x1, float y1, const std::vector<float>& xs,
                          const std::vector<float>& ys, Candidates& out) const;

    std::int64_t height_, width_;
    std::uint64_t seed_;
    float grid_;          // seed grid spacing
    float origin_;        // cell space = pixel space + origin_ (keeps it positive)
    std::int64_t gx_, gy_;
    std::vector<Seed> seeds_;
};

/// One piece of a mitochondrion's axis: a cone-capsule from a to a+d, radius ra..rb.
struct MitoSegment {
    float ax, ay, az, dx, dy, dz, invLen2, ra, rb;
    /// Signed distance-like value of point p: < 0 inside, in voxels.
    float sdf(float px, float py, float pz) const
    {
        const float qx = px - ax, qy = py - ay, qz = pz - az;
        float t = (qx * dx + qy * dy + qz * dz) * invLen2;
        t = t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t);
        const float ex = qx - t * dx, ey = qy - t * dy, ez = qz - t * dz;
        return std::sqrt(ex * ex + ey * ey + ez * ez) - (ra + (rb - ra) * t);
    }
};

/// A mitochondrion: a smooth curved tube with cristae (parallel plates, normal `n`).
struct Mito {
    std::array<MitoSegment, 4> segments;
    float minZ, maxZ;         // z extent including radius
    std::uint32_t host;       // the cell it lies in
    float nx, ny, nz;         // cristae plate normal (unit)
    float period, phase;      // cristae spacing (voxels) and offset
    float matrix;             // matrix grey value
    float sdf(float x, float y, float z) const;
};

/// A synaptic-vesicle-like sphere (a distractor: labelled background).
struct Vesicle {
    float x, y, z, r;
};

/// Everything placed in the volume.
struct Scene {
    CellField cells;
    std::vector<Mito> mitos;
    std::vector<Vesicle> vesicles;
};

/// Places cells, mitochondria and vesicles for `options` (deterministic).
Scene buildScene(const DemoOptions& options);

}  // namespace mitoseg::demo
