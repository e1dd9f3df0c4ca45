#include "core/labels/ConfusionCounts.h"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace mitoseg::labels {

double Confusion::iou() const
{
    const std::int64_t d = tp + fp + fn;
    return d == 0 ? std::numeric_limits<double>::quiet_NaN() : static_cast<double>(tp) / static_cast<double>(d);
}

double Confusion::dice() const
{
    const std::int64_t d = 2 * tp + fp + fn;
    return d == 0 ? std::numeric_limits<double>::quiet_NaN() : 2.0 * static_cast<double>(tp) / static_cast<double>(d);
}

void ConfusionCounts::reset(std::int64_t depth, int classes)
{
    if (depth < 0 || classes < 1 || classes > 256)
        throw std::invalid_argument("ConfusionCounts: bad depth or class count");
    depth_ = depth;
    classes_ = classes;
    counts_.assign(static_cast<std::size_t>(depth * classes), {});
    totals_.assign(static_cast<std::size_t>(classes), {});
    counted_.assign(static_cast<std::size_t>(depth), 0);
}

void ConfusionCounts::add(std::int64_t z, int cls, std::int64_t dtp, std::int64_t dfp, std::int64_t dfn)
{
    Confusion& c = at(z, cls);
    c.tp += dtp, c.fp += dfp, c.fn += dfn;
    Confusion& t = totals_[static_cast<std::size_t>(cls)];
    t.tp += dtp, t.fp += dfp, t.fn += dfn;
}

void ConfusionCounts::clearSlice(std::int64_t z)
{
    if (!counted(z))
        return;
    for (int cls = 0; cls < classes_; ++cls) {
        const Confusion c = at(z, cls);
        add(z, cls, -c.tp, -c.fp, -c.fn);
    }
    counted_[static_cast<std::size_t>(z)] = 0;
}

void ConfusionCounts::recountSlice(std::int64_t z, const std::uint8_t* labels, const std::uint8_t* reference,
                                   std::int64_t n)
{
    clearSlice(z);
    // Histogram of (label, reference) pairs restricted to known classes; out-of-range values
    // count as "some other class".
    std::vector<std::int64_t> pairs(static_cast<std::size_t>(classes_ * classes_), 0);
    std::int64_t anyTp = 0, anyFp = 0, anyFn = 0;
    std::vector<std::int64_t> labelOnly(static_cast<std::size_t>(classes_), 0), refOnly(static_cast<std::size_t>(classes_), 0);
    for (std::int64_t i = 0; i < n; ++i) {
        const std::uint8_t l = labels[i], r = reference[i];
        if (l == r) {
            if (l != 0 && l < classes_)
                ++pairs[static_cast<std::size_t>(l * classes_ + l)];
            if (l != 0)
                ++anyTp;
            continue;
        }
        if (l != 0 && r != 0)
            ++anyTp;
        else if (l != 0)
            ++anyFp;
        else
            ++anyFn;
        if (l != 0 && l < classes_)
            ++labelOnly[l];
        if (r != 0 && r < classes_)
            ++refOnly[r];
    }
    add(z, 0, anyTp, anyFp, anyFn);
    for (int cls = 1; cls < classes_; ++cls)
        add(z, cls, pairs[static_cast<std::size_t>(cls * classes_ + cls)], labelOnly[cls], refOnly[cls]);
    counted_[static_cast<std::size_t>(z)] = 1;
}

void ConfusionCounts::recountAll(const VolumeU8& labels, const VolumeU8& reference)
{
    if (!(labels.shape() == reference.shape()))
        throw std::invalid_argument("ConfusionCounts: labels and reference differ in shape");
    reset(labels.depth(), classes_);
    for (std::int64_t z = 0; z < labels.depth(); ++z)
        recountSlice(z, labels.slice(z), reference.slice(z), labels.shape().sliceVoxels());
}

void ConfusionCounts::recountAll(const SliceStore& labels, const SliceStore& reference)
{
    if (!(labels.shape() == reference.shape()))
        throw std::invalid_argument("ConfusionCounts: labels and reference differ in shape");
    reset(labels.shape().depth, classes_);
    const std::int64_t n = labels.shape().sliceVoxels();
    std::vector<std::uint8_t> l, r;
    for (std::int64_t z = 0; z < labels.shape().depth; ++z) {
        if (labels.sliceEmpty(z) && reference.sliceEmpty(z)) {
            counted_[static_cast<std::size_t>(z)] = 1;   // all zero: nothing to count
            continue;
        }
        l.resize(static_cast<std::size_t>(n));
        r.resize(static_cast<std::size_t>(n));
        labels.readSlice(z, l.data());
        reference.readSlice(z, r.data());
        recountSlice(z, l.data(), r.data(), n);
    }
}

void ConfusionCounts::update(std::int64_t z, std::uint8_t from, std::uint8_t to, std::uint8_t ref)
{
    if (from == to || !counted(z))
        return;
    // Any-foreground slot.
    if ((from != 0) != (to != 0)) {
        const int s = to != 0 ? 1 : -1;
        if (ref != 0)
            add(z, 0, s, 0, -s);
        else
            add(z, 0, 0, s, 0);
    }
    if (from != 0 && from < classes_) {
        if (ref == from)
            add(z, from, -1, 0, 1);
        else
            add(z, from, 0, -1, 0);
    }
    if (to != 0 && to < classes_) {
        if (ref == to)
            add(z, to, 1, 0, -1);
        else
            add(z, to, 0, 1, 0);
    }
}

Confusion ConfusionCounts::slice(std::int64_t z, int cls) const
{
    return counts_[static_cast<std::size_t>(z * classes_ + cls)];
}

}  // namespace mitoseg::labels
