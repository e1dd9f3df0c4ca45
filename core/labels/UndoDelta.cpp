#include "core/labels/UndoDelta.h"

#include <algorithm>
#include <stdexcept>

namespace mitoseg::labels {

UndoDelta UndoDelta::fromValues(const Box& box, const std::vector<std::uint8_t>& oldValues,
                                const std::vector<std::uint8_t>& newValues)
{
    const auto n = static_cast<std::size_t>(box.voxels());
    if (oldValues.size() != n || newValues.size() != n)
        throw std::invalid_argument("UndoDelta: value count does not match the box");
    UndoDelta d;
    d.box_ = box;
    std::size_t runs = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (oldValues[i] != newValues[i])
            ++d.changed_;
        if (i == 0 || oldValues[i] != oldValues[i - 1] || newValues[i] != newValues[i - 1])
            ++runs;
    }
    // One run costs 4 (length) + 1 + 1 bytes; raw costs 2 bytes per voxel.
    if (runs * 6 < n * 2) {
        d.compressed_ = true;
        d.runs_.reserve(runs);
        d.old_.reserve(runs);
        d.new_.reserve(runs);
        for (std::size_t i = 0; i < n; ++i) {
            if (i == 0 || oldValues[i] != oldValues[i - 1] || newValues[i] != newValues[i - 1]
                || d.runs_.back() == UINT32_MAX) {
                d.runs_.push_back(1);
                d.old_.push_back(oldValues[i]);
                d.new_.push_back(newValues[i]);
            } else {
                ++d.runs_.back();
            }
        }
    } else {
        d.old_ = oldValues;
        d.new_ = newValues;
    }
    return d;
}

std::size_t UndoDelta::bytes() const
{
    return old_.size() + new_.size() + runs_.size() * sizeof(std::uint32_t) + sizeof(UndoDelta);
}

std::vector<std::uint8_t> UndoDelta::decode(bool oldSide) const
{
    const auto& src = oldSide ? old_ : new_;
    if (!compressed_)
        return src;
    std::vector<std::uint8_t> out;
    out.reserve(static_cast<std::size_t>(box_.voxels()));
    for (std::size_t r = 0; r < runs_.size(); ++r)
        out.insert(out.end(), runs_[r], src[r]);
    return out;
}

void UndoDelta::apply(VolumeU8& volume, bool forward) const
{
    if (empty())
        return;
    const auto& src = forward ? new_ : old_;
    const std::int64_t w = box_.width();
    if (!compressed_) {
        std::size_t i = 0;
        for (std::int64_t z = box_.z0; z < box_.z1; ++z)
            for (std::int64_t y = box_.y0; y < box_.y1; ++y) {
                std::uint8_t* row = volume.data() + volume.index(z, y, box_.x0);
                for (std::int64_t x = 0; x < w; ++x)
                    row[x] = src[i++];
            }
        return;
    }
    // Walk the runs while walking the box rows.
    std::size_t r = 0;
    std::int64_t left = runs_.empty() ? 0 : runs_[0];
    for (std::int64_t z = box_.z0; z < box_.z1; ++z)
        for (std::int64_t y = box_.y0; y < box_.y1; ++y) {
            std::uint8_t* row = volume.data() + volume.index(z, y, box_.x0);
            std::int64_t x = 0;
            while (x < w) {
                while (left == 0) {
                    ++r;
                    left = runs_[r];
                }
                const std::int64_t take = std::min(left, w - x);
                std::fill(row + x, row + x + take, src[r]);
                x += take;
                left -= take;
            }
        }
}

}  // namespace mitoseg::labels
