#pragma once
// Per-slice, per-class confusion counts (TP, FP, FN) of a label volume against a reference,
// kept up to date voxel by voxel so a brush stroke costs time proportional to its size.
// Class slot 0 holds "any foreground" (label != 0 vs reference != 0); slot c >= 1 class c.
// Plain value type; not synchronised.
#include <cstdint>
#include <vector>

#include "core/base/Volume.h"
#include "core/labels/SliceStore.h"

namespace mitoseg::labels {

/// True positives, false positives and false negatives of one class.
struct Confusion {
    std::int64_t tp = 0, fp = 0, fn = 0;
    /// TP / (TP + FP + FN); NaN when both sides are empty.
    double iou() const;
    /// 2 TP / (2 TP + FP + FN); NaN when both sides are empty.
    double dice() const;
    Confusion& operator+=(const Confusion& o)
    {
        tp += o.tp, fp += o.fp, fn += o.fn;
        return *this;
    }
    bool operator==(const Confusion&) const = default;
};

class ConfusionCounts {
public:
    /// Forgets everything; sizes for `depth` slices and class values 1..classes-1.
    void reset(std::int64_t depth, int classes);
    std::int64_t depth() const { return depth_; }
    int classes() const { return classes_; }

    /// Counts slice z from scratch (n voxels of labels and reference) and marks it counted.
    void recountSlice(std::int64_t z, const std::uint8_t* labels, const std::uint8_t* reference, std::int64_t n);
    /// Counts every slice from scratch.
    void recountAll(const VolumeU8& labels, const VolumeU8& reference);
    /// Same, over stores, slice by slice (slices empty on both sides cost nothing).
    void recountAll(const SliceStore& labels, const SliceStore& reference);
    /// Marks slice z as not counted (its counts leave the stack totals).
    void clearSlice(std::int64_t z);
    /// Whether slice z has been counted.
    bool counted(std::int64_t z) const { return counted_[static_cast<std::size_t>(z)] != 0; }

    /// One voxel of slice z changed from `from` to `to`; `ref` is its reference value.
    /// Slices not counted are ignored.
    void update(std::int64_t z, std::uint8_t from, std::uint8_t to, std::uint8_t ref);

    /// Counts of class slot `cls` (0 = any foreground) on slice z.
    Confusion slice(std::int64_t z, int cls) const;
    /// Counts of class slot `cls` summed over the counted slices.
    Confusion stack(int cls) const { return totals_[static_cast<std::size_t>(cls)]; }

private:
    Confusion& at(std::int64_t z, int cls) { return counts_[static_cast<std::size_t>(z * classes_ + cls)]; }
    void add(std::int64_t z, int cls, std::int64_t dtp, std::int64_t dfp, std::int64_t dfn);

    std::int64_t depth_ = 0;
    int classes_ = 0;
    std::vector<Confusion> counts_;   // depth x classes
    std::vector<Confusion> totals_;   // classes
    std::vector<std::uint8_t> counted_;
};

}  // namespace mitoseg::labels
