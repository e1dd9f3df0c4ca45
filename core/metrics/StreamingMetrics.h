#pragma once
// The scores of core/metrics/Metrics computed as the slices stream past, for volumes larger than
// memory: overlap counts and per-slice IoU are sums over slices; object matching labels both
// volumes with SliceComponents and counts the voxels each (predicted, true) pair of provisional
// components shares, resolving them once the last slice is in. Memory grows with the number of
// components and overlapping pairs, not with voxels. Results equal the in-memory functions
// exactly. Not synchronised: one thread at a time.
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "core/metrics/Metrics.h"
#include "core/metrics/SliceComponents.h"

namespace mitoseg {

/// Accumulates the voxel counts behind overlapScores, slice by slice.
class OverlapCounter {
public:
    /// `classes` as overlapScores takes it (2..256, else Error).
    explicit OverlapCounter(int classes = 2);
    /// Adds `n` voxels of prediction and truth. With classes > 2, a label >= classes is an Error.
    void add(const std::uint8_t* pred, const std::uint8_t* truth, std::int64_t n);
    /// The scores of everything added so far.
    OverlapScores scores() const;

private:
    int classes_;
    std::int64_t tp_ = 0, fp_ = 0, fn_ = 0, tn_ = 0;
    std::vector<std::int64_t> inter_, predCount_, truthCount_;
};

/// Foreground IoU of `n` voxels (1 when both are empty): one entry of perSliceIoU.
double foregroundIoU(const std::uint8_t* pred, const std::uint8_t* truth, std::int64_t n);

/// Object-level scores of objectScores, streamed: feed the slices of the z-range in order.
class ObjectMatcher {
public:
    ObjectMatcher(std::int64_t height, std::int64_t width, Connectivity connectivity = Connectivity::TwentySix,
                  double minIoU = 0.5);
    /// Adds the next slice of both volumes (height * width voxels each; non-zero = foreground).
    void add(const std::uint8_t* pred, const std::uint8_t* truth);
    /// After the last slice: the scores objectScores gives for the same slices.
    ObjectScores scores();
    /// Overlapping (predicted, true) pairs held now: after re-keying by object, about one per
    /// overlapping pair of objects, not of 2D components.
    std::size_t pairsHeld() const { return overlap_.size(); }
    /// Bytes held now (labelling state of both volumes and the pair counts).
    std::size_t memoryBytes() const;

private:
    SliceComponents pred_, truth_;
    double minIoU_;
    std::unordered_map<std::uint64_t, std::int64_t> overlap_;   ///< (pred id << 32 | truth id) -> shared voxels
    std::size_t compacted_ = 0;                                 ///< entries after the last re-keying
};

/// Greedy one-to-one matching of objects by decreasing IoU >= minIoU, given the voxels each
/// pair shares (key: predicted label << 32 | true label, labels 1-based) and the objects'
/// sizes: the last step of objectScores and ObjectMatcher.
ObjectScores matchObjects(const std::unordered_map<std::uint64_t, std::int64_t>& overlap,
                          const std::vector<std::int64_t>& predSizes, const std::vector<std::int64_t>& truthSizes,
                          double minIoU);

}  // namespace mitoseg
