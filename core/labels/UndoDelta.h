#pragma once
// One reversible change of a label volume: a box plus the old and new value of every voxel in
// it (after ITK-SNAP's UndoDelta). Stored raw, or run-length encoded over (old, new) pairs when
// that is smaller, so a big brush stamp or a whole accepted slice costs a few bytes per run.
// Plain value type; not synchronised.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/base/Volume.h"
#include "core/labels/Box.h"

namespace mitoseg::labels {

class UndoDelta {
public:
    UndoDelta() = default;

    /// Builds a delta from the values of `box` before (`oldValues`) and after (`newValues`)
    /// a change, both in raster order (z, y, x) of the box. Chooses the smaller encoding.
    static UndoDelta fromValues(const Box& box, const std::vector<std::uint8_t>& oldValues,
                                const std::vector<std::uint8_t>& newValues);

    const Box& box() const { return box_; }
    bool empty() const { return box_.empty(); }
    /// True when the delta is run-length encoded.
    bool compressed() const { return compressed_; }
    /// Memory held by the encoded values, in bytes.
    std::size_t bytes() const;
    /// What the raw (old + new) encoding of the same box would take, in bytes.
    std::size_t rawBytes() const { return static_cast<std::size_t>(box_.voxels()) * 2; }
    /// Number of voxels whose old and new values differ.
    std::int64_t changedVoxels() const { return changed_; }

    /// Writes the new values (`forward`) or the old ones into `volume`.
    void apply(VolumeU8& volume, bool forward) const;

    /// Calls fn(z, y, x, from, to) for every voxel whose value differs, in raster order, as
    /// seen when applying in direction `forward` (from = value before, to = value after).
    template <class Fn>
    void forEachChange(bool forward, Fn&& fn) const;

    /// The old (`oldSide` true) or new values decoded to raster order.
    std::vector<std::uint8_t> decode(bool oldSide) const;

private:
    Box box_;
    bool compressed_ = false;
    std::int64_t changed_ = 0;
    // Raw: one old and one new value per voxel. RLE: runs of equal (old, new) pairs.
    std::vector<std::uint8_t> old_, new_;
    std::vector<std::uint32_t> runs_;
};

template <class Fn>
void UndoDelta::forEachChange(bool forward, Fn&& fn) const
{
    const std::int64_t w = box_.width(), h = box_.height();
    const std::int64_t plane = w * h;
    auto emit = [&](std::int64_t linear, std::int64_t count, std::uint8_t o, std::uint8_t n) {
        const std::uint8_t from = forward ? o : n, to = forward ? n : o;
        for (std::int64_t i = linear; i < linear + count; ++i) {
            const std::int64_t z = i / plane, rem = i % plane;
            fn(box_.z0 + z, box_.y0 + rem / w, box_.x0 + rem % w, from, to);
        }
    };
    if (compressed_) {
        std::int64_t linear = 0;
        for (std::size_t r = 0; r < runs_.size(); ++r) {
            if (old_[r] != new_[r])
                emit(linear, runs_[r], old_[r], new_[r]);
            linear += runs_[r];
        }
    } else {
        for (std::size_t i = 0; i < old_.size(); ++i)
            if (old_[i] != new_[i])
                emit(static_cast<std::int64_t>(i), 1, old_[i], new_[i]);
    }
}

}  // namespace mitoseg::labels
