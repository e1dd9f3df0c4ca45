#pragma once
// The slices a training job reads, and those slices alone in memory. Training (and a retraining
// round's scoring) reads the labelled and validation slices, each with `context` neighbours a
// side for 2.5D models; on a stack far bigger than memory that is a few slices out of
// thousands. A SliceSubset keeps exactly those, in z order, so a compact volume of them can
// stand in for the whole stack: for every needed slice z and every |k| <= context,
//   local(clamp(z + k, 0, depth - 1)) == clamp(local(z) + k, 0, size() - 1),
// i.e. the neighbours (and the clamping at the stack's ends) a job sees in the compact volume
// are the real ones. Trainer and RetrainRound then run on it unchanged and draw the same
// patches. No Qt, no torch; plain value type.
#include <cstdint>
#include <functional>
#include <vector>

#include "core/base/Progress.h"
#include "core/base/Volume.h"

namespace mitoseg {

class SliceSubset {
public:
    SliceSubset() = default;
    /// `needed` slices (any order, duplicates allowed) with `context` neighbours a side, clamped
    /// to [0, depth). Throws mitoseg::Error on a needed slice outside the stack or context < 0.
    static SliceSubset around(const std::vector<std::int64_t>& needed, int context, std::int64_t depth);

    /// The stack's slices kept, ascending (original z).
    const std::vector<std::int64_t>& slices() const { return slices_; }
    std::int64_t size() const { return static_cast<std::int64_t>(slices_.size()); }
    std::int64_t stackDepth() const { return depth_; }
    bool contains(std::int64_t z) const;
    /// Index in the compact volume of the stack's slice z. Throws mitoseg::Error when z is not kept.
    std::int64_t local(std::int64_t z) const;
    std::vector<std::int64_t> local(const std::vector<std::int64_t>& zs) const;
    /// The stack's z of compact index i.
    std::int64_t original(std::int64_t i) const { return slices_.at(static_cast<std::size_t>(i)); }
    std::vector<std::int64_t> original(const std::vector<std::int64_t>& is) const;

private:
    std::vector<std::int64_t> slices_;
    std::int64_t depth_ = 0;
};

/// The kept slices of a stack in memory: uint8 when every value read is a byte (EM stacks
/// usually are), else float (exactly one of the two is non-empty).
struct SubsetImage {
    VolumeU8 u8;
    VolumeF32 f32;
    bool isU8() const { return f32.shape().depth == 0; }
};

/// Reads the subset's slices of a stack of slices `height` x `width` through `readSlice(z, dst)`
/// (z of the stack; dst holds height*width floats), checking `cancel` between slices.
SubsetImage readSubsetImage(const SliceSubset& subset, std::int64_t height, std::int64_t width,
                            const std::function<void(std::int64_t z, float* dst)>& readSlice, const CancelToken& cancel);

}  // namespace mitoseg
