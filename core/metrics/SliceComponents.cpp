#include "core/metrics/SliceComponents.h"

#include <algorithm>
#include <string>

#include "core/base/Error.h"

namespace mitoseg {

namespace {

/// Calls f(i, k) for every run i of `a` and k of `b` (each sorted by x, one row each) that are
/// connected: overlapping in x, or (slack 1) at most one pixel apart, the diagonal contact of
/// 8- and 26-connectivity.
template <class F>
void forTouching(const ForegroundRun* a, std::size_t na, const ForegroundRun* b, std::size_t nb, std::uint32_t slack, F f)
{
    std::size_t j = 0;
    for (std::size_t i = 0; i < na; ++i) {
        while (j < nb && b[j].x1 + slack <= a[i].x0)
            ++j;
        for (std::size_t k = j; k < nb && b[k].x0 < a[i].x1 + slack; ++k)
            f(i, k);
    }
}

}  // namespace

SliceComponents::SliceComponents(std::int64_t height, std::int64_t width, Connectivity connectivity, int value)
    : height_(height), width_(width), connectivity_(connectivity), value_(value)
{
    if (height <= 0 || width <= 0 || height >= UINT32_MAX || width >= UINT32_MAX)
        throw Error("slice of " + std::to_string(height) + " x " + std::to_string(width) + " voxels cannot be labelled");
}

const std::vector<ForegroundRun>& SliceComponents::push(const std::uint8_t* slice)
{
    std::swap(runs_, prevRuns_);
    std::swap(rowStart_, prevRowStart_);
    runs_.clear();
    const auto H = static_cast<std::uint32_t>(height_), W = static_cast<std::uint32_t>(width_);
    rowStart_.assign(H + 1, 0);
    const int value = value_;
    auto inside = [value](std::uint8_t v) { return value < 0 ? v != 0 : v == value; };
    for (std::uint32_t y = 0; y < H; ++y) {
        rowStart_[y] = runs_.size();
        const std::uint8_t* row = slice + static_cast<std::size_t>(y) * W;
        for (std::uint32_t x = 0; x < W;) {
            if (!inside(row[x])) {
                ++x;
                continue;
            }
            const std::uint32_t x0 = x;
            while (x < W && inside(row[x]))
                ++x;
            runs_.push_back({y, x0, x, 0});
        }
    }
    rowStart_[H] = runs_.size();
    const bool full = connectivity_ == Connectivity::TwentySix;
    const std::uint32_t slack = full ? 1 : 0;
    // 2D components (8-connected for 26, 4-connected for 6), smallest run index as root.
    local_.resize(runs_.size());
    for (std::size_t i = 0; i < local_.size(); ++i)
        local_[i] = static_cast<std::uint32_t>(i);
    auto lfind = [this](std::uint32_t a) {
        while (local_[a] != a)
            a = local_[a] = local_[local_[a]];
        return a;
    };
    for (std::uint32_t y = 1; y < H; ++y)
        forTouching(runs_.data() + rowStart_[y], rowStart_[y + 1] - rowStart_[y], runs_.data() + rowStart_[y - 1],
                    rowStart_[y] - rowStart_[y - 1], slack, [&](std::size_t i, std::size_t k) {
                        const std::uint32_t a = lfind(static_cast<std::uint32_t>(rowStart_[y] + i));
                        const std::uint32_t b = lfind(static_cast<std::uint32_t>(rowStart_[y - 1] + k));
                        if (a != b)
                            local_[std::max(a, b)] = std::min(a, b);
                    });
    // Provisional ids in the order of each component's first run.
    const auto base = static_cast<std::uint64_t>(parent_.size());
    std::uint32_t count = 0;
    for (std::size_t i = 0; i < runs_.size(); ++i) {
        const std::uint32_t root = lfind(static_cast<std::uint32_t>(i));
        if (root == i) {
            if (base + count >= UINT32_MAX - 1)
                throw Error("too many objects to label (over 2^32 two-dimensional components)");
            runs_[i].id = static_cast<std::uint32_t>(base + count++);
        } else {
            runs_[i].id = runs_[root].id;
        }
    }
    for (std::uint32_t c = 0; c < count; ++c) {
        parent_.push_back(static_cast<std::uint32_t>(base + c));
        voxels_.push_back(0);
    }
    for (const ForegroundRun& r : runs_)
        voxels_[r.id] += r.x1 - r.x0;
    // Contacts with the previous slice: rows y-1..y+1 there (26), or row y only (6).
    if (slices_ > 0 && !prevRuns_.empty()) {
        const std::int64_t reach = full ? 1 : 0;
        for (std::uint32_t y = 0; y < H; ++y) {
            const std::size_t n = rowStart_[y + 1] - rowStart_[y];
            if (!n)
                continue;
            const std::int64_t lo = std::max<std::int64_t>(0, std::int64_t{y} - reach);
            const std::int64_t hi = std::min<std::int64_t>(H - 1, std::int64_t{y} + reach);
            for (std::int64_t py = lo; py <= hi; ++py) {
                const std::size_t p0 = prevRowStart_[static_cast<std::size_t>(py)];
                const std::size_t p1 = prevRowStart_[static_cast<std::size_t>(py) + 1];
                forTouching(runs_.data() + rowStart_[y], n, prevRuns_.data() + p0, p1 - p0, slack,
                            [&](std::size_t i, std::size_t k) { unite(runs_[rowStart_[y] + i].id, prevRuns_[p0 + k].id); });
            }
        }
    }
    ++slices_;
    return runs_;
}

std::uint32_t SliceComponents::find(std::uint32_t a)
{
    while (parent_[a] != a) {
        parent_[a] = parent_[parent_[a]];
        a = parent_[a];
    }
    return a;
}

void SliceComponents::unite(std::uint32_t a, std::uint32_t b)
{
    a = find(a);
    b = find(b);
    if (a == b)
        return;
    if (b < a)
        std::swap(a, b);
    parent_[b] = a;
    voxels_[a] += voxels_[b];
    voxels_[b] = 0;
}

std::vector<std::uint32_t> SliceComponents::finalLabels(std::uint32_t& count, std::vector<std::int64_t>* sizes)
{
    std::vector<std::uint32_t> out(parent_.size(), 0);
    count = 0;
    if (sizes)
        sizes->clear();
    // Roots are their objects' smallest ids, so one ascending pass numbers objects by first voxel.
    for (std::size_t id = 0; id < parent_.size(); ++id) {
        const std::uint32_t root = find(static_cast<std::uint32_t>(id));
        if (root == id) {
            out[id] = ++count;
            if (sizes)
                sizes->push_back(voxels_[id]);
        } else {
            out[id] = out[root];
        }
    }
    return out;
}

std::size_t SliceComponents::memoryBytes() const
{
    return (runs_.capacity() + prevRuns_.capacity()) * sizeof(ForegroundRun) +
           (rowStart_.capacity() + prevRowStart_.capacity()) * sizeof(std::size_t) +
           (local_.capacity() + parent_.capacity()) * sizeof(std::uint32_t) + voxels_.capacity() * sizeof(std::int64_t);
}

}  // namespace mitoseg
