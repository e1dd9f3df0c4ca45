#pragma once
// 3D connected components computed one slice at a time, for volumes that never sit in memory
// whole. Each slice is cut into horizontal runs of foreground voxels; the runs form 2D components
// that get provisional ids, and a union-find joins them with the previous slice's. Memory holds
// two slices of runs and a few numbers per provisional component, never a voxel volume.
// Used by streamed evaluation (core/metrics/StreamingMetrics), the streamed mesher and the
// streamed small-object removal. Not synchronised: one thread at a time.
#include <cstdint>
#include <vector>

#include "core/metrics/Components.h"

namespace mitoseg {

/// Foreground voxels [x0, x1) of row y in one slice; `id` is the provisional component
/// (from SliceComponents) that the run belongs to.
struct ForegroundRun {
    std::uint32_t y = 0, x0 = 0, x1 = 0, id = 0;
};

class SliceComponents {
public:
    /// For slices of height x width voxels. `value` < 0: every non-zero voxel is foreground,
    /// else the voxels equal to it.
    SliceComponents(std::int64_t height, std::int64_t width, Connectivity connectivity, int value = -1);

    /// Labels the next slice (height * width voxels, z = 0, 1, ... in order). Returns its runs in
    /// raster order with their provisional ids; valid until the next call. Provisional ids grow
    /// with z and, inside a slice, with the raster order of each 2D component's first run.
    /// Throws Error past 2^32 - 2 provisional components.
    const std::vector<ForegroundRun>& push(const std::uint8_t* slice);

    /// The object (root) of provisional id `id` so far: the smallest provisional id joined to
    /// it. Once every slice is pushed, the objects sorted by root are in raster order of their
    /// first voxel, the numbering of connectedComponents.
    std::uint32_t find(std::uint32_t id);
    /// Voxels of the object holding provisional id `id`, so far.
    std::int64_t objectVoxels(std::uint32_t id) { return voxels_[find(id)]; }
    /// Provisional ids handed out so far (ids are 0 .. provisionalCount() - 1).
    std::uint32_t provisionalCount() const { return static_cast<std::uint32_t>(parent_.size()); }
    /// Slices pushed so far.
    std::int64_t slices() const { return slices_; }

    /// After the last slice: the final label (1..count, raster order of the first voxel, as
    /// connectedComponents numbers them) of every provisional id; `count` receives the number
    /// of objects and `sizes` (when given) their voxel counts by final label - 1.
    std::vector<std::uint32_t> finalLabels(std::uint32_t& count, std::vector<std::int64_t>* sizes = nullptr);

    /// Bytes held now (runs of two slices, union-find, counts): for budgets and tests.
    std::size_t memoryBytes() const;

private:
    void unite(std::uint32_t a, std::uint32_t b);

    std::int64_t height_, width_;
    Connectivity connectivity_;
    int value_;
    std::int64_t slices_ = 0;
    std::vector<ForegroundRun> runs_, prevRuns_;
    std::vector<std::size_t> rowStart_, prevRowStart_;
    std::vector<std::uint32_t> local_;        ///< 2D union-find over the runs of one slice
    std::vector<std::uint32_t> parent_;       ///< union-find over provisional ids; a root is its object's smallest id
    std::vector<std::int64_t> voxels_;        ///< voxels per root
};

}  // namespace mitoseg
