#include "core/engine/StreamingPostProcess.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "core/base/AtomicFile.h"
#include "core/base/Error.h"

namespace mitoseg {

StreamingPostProcessor::StreamingPostProcessor(const Shape& shape, const PostProcessing& settings,
                                               ProbabilityOut probabilityOut, LabelsOut labelsOut)
    : shape_(shape), settings_(settings), probabilityOut_(std::move(probabilityOut)), labelsOut_(std::move(labelsOut))
{
    settings_.zSmooth = std::max(0, settings_.zSmooth);
    const auto n = static_cast<std::size_t>(shape_.sliceVoxels());
    window_.assign(static_cast<std::size_t>(2 * settings_.zSmooth + 1), std::vector<float>(n));
    smoothed_.resize(n);
    binary_.resize(n);
    if (settings_.minObjectVoxels > 1) {
        spill_ = openScratchFile();
        if (!spill_)
            throw IoError(IoError::Kind::WriteFailed, "temporary file", -1,
                          std::string("cannot create a temporary file for the object removal: ") + std::strerror(errno));
    }
}

StreamingPostProcessor::~StreamingPostProcessor()
{
    if (spill_)
        std::fclose(spill_);
}

void StreamingPostProcessor::push(const float* probability)
{
    if (pushed_ >= shape_.depth)
        throw Error("more slices than the stack's depth were pushed");
    auto& slot = window_[static_cast<std::size_t>(pushed_ % static_cast<std::int64_t>(window_.size()))];
    std::copy(probability, probability + slot.size(), slot.begin());
    ++pushed_;
    const std::int64_t ready = pushed_ - 1 - settings_.zSmooth;
    if (ready >= 0)
        emit(ready);
}

void StreamingPostProcessor::emit(std::int64_t z)
{
    const std::int64_t r = settings_.zSmooth, w = static_cast<std::int64_t>(window_.size());
    const std::size_t n = smoothed_.size();
    if (r == 0) {
        std::copy(window_[static_cast<std::size_t>(z % w)].begin(), window_[static_cast<std::size_t>(z % w)].end(),
                  smoothed_.begin());
    } else {
        // Same summation order and scaling as averageAlongZ, so results are bit-identical.
        std::fill(smoothed_.begin(), smoothed_.end(), 0.0f);
        const std::int64_t z0 = std::max<std::int64_t>(0, z - r), z1 = std::min<std::int64_t>(shape_.depth - 1, z + r);
        for (std::int64_t k = z0; k <= z1; ++k) {
            const float* src = window_[static_cast<std::size_t>(k % w)].data();
            for (std::size_t i = 0; i < n; ++i)
                smoothed_[i] += src[i];
        }
        const float inv = 1.0f / static_cast<float>(z1 - z0 + 1);
        for (std::size_t i = 0; i < n; ++i)
            smoothed_[i] *= inv;
    }
    if (probabilityOut_)
        probabilityOut_(z, smoothed_.data());
    for (std::size_t i = 0; i < n; ++i)
        binary_[i] = smoothed_[i] > settings_.threshold ? 1 : 0;
    if (spill_)
        labelSlice(z, binary_.data());
    else if (labelsOut_)
        labelsOut_(z, binary_.data());
    emitted_ = z + 1;
}

std::uint32_t StreamingPostProcessor::find(std::uint32_t a)
{
    while (parent_[a] != a) {
        parent_[a] = parent_[parent_[a]];
        a = parent_[a];
    }
    return a;
}

void StreamingPostProcessor::unite(std::uint32_t a, std::uint32_t b)
{
    a = find(a);
    b = find(b);
    if (a == b)
        return;
    if (size_[a] < size_[b])
        std::swap(a, b);
    parent_[b] = a;
    size_[a] += size_[b];
}

namespace {

/// Calls f(i, j) for every run i of `a` and j of `b` (both sorted by x, in one row each) that
/// touch with 8-connectivity: their pixel ranges are at most one pixel apart.
template <class R, class F>
void forTouching(const R* a, std::size_t na, const R* b, std::size_t nb, F f)
{
    std::size_t j = 0;
    for (std::size_t i = 0; i < na; ++i) {
        while (j < nb && b[j].x1 < a[i].x0)
            ++j;
        for (std::size_t k = j; k < nb && b[k].x0 <= a[i].x1; ++k)
            f(i, k);
    }
}

}  // namespace

void StreamingPostProcessor::labelSlice(std::int64_t z, const std::uint8_t* binary)
{
    const auto H = static_cast<std::uint32_t>(shape_.height), W = static_cast<std::uint32_t>(shape_.width);
    std::vector<Run> runs;
    std::vector<std::size_t> rowStart(H + 1, 0);
    for (std::uint32_t y = 0; y < H; ++y) {
        rowStart[y] = runs.size();
        const std::uint8_t* row = binary + static_cast<std::size_t>(y) * W;
        for (std::uint32_t x = 0; x < W;) {
            if (!row[x]) {
                ++x;
                continue;
            }
            std::uint32_t x0 = x;
            while (x < W && row[x])
                ++x;
            runs.push_back({y, x0, x, 0});
        }
    }
    rowStart[H] = runs.size();
    // 2D components (8-connected) by a local union-find over runs.
    std::vector<std::uint32_t> lp(runs.size());
    for (std::size_t i = 0; i < lp.size(); ++i)
        lp[i] = static_cast<std::uint32_t>(i);
    auto lfind = [&](std::uint32_t a) {
        while (lp[a] != a)
            a = lp[a] = lp[lp[a]];
        return a;
    };
    for (std::uint32_t y = 1; y < H; ++y)
        forTouching(runs.data() + rowStart[y], rowStart[y + 1] - rowStart[y], runs.data() + rowStart[y - 1],
                    rowStart[y] - rowStart[y - 1], [&](std::size_t i, std::size_t k) {
                        std::uint32_t a = lfind(static_cast<std::uint32_t>(rowStart[y] + i));
                        std::uint32_t b = lfind(static_cast<std::uint32_t>(rowStart[y - 1] + k));
                        if (a != b)
                            lp[std::max(a, b)] = std::min(a, b);
                    });
    const auto base = static_cast<std::uint32_t>(parent_.size());
    std::vector<std::uint32_t> local(runs.size(), UINT32_MAX);
    std::uint32_t count = 0;
    for (std::size_t i = 0; i < runs.size(); ++i) {
        std::uint32_t root = lfind(static_cast<std::uint32_t>(i));
        if (local[root] == UINT32_MAX)
            local[root] = count++;
        runs[i].component = local[root];
    }
    if (static_cast<std::uint64_t>(base) + count >= UINT32_MAX)
        throw Error("too many objects for the small-object removal");
    for (std::uint32_t c = 0; c < count; ++c) {
        parent_.push_back(base + c);
        size_.push_back(0);
    }
    for (const Run& r : runs)
        size_[base + r.component] += r.x1 - r.x0;
    // 26-connectivity to the previous slice: rows y-1, y, y+1 there.
    if (z > 0 && !prevRuns_.empty()) {
        for (std::uint32_t y = 0; y < H; ++y) {
            const std::size_t n = rowStart[y + 1] - rowStart[y];
            if (!n)
                continue;
            for (std::int64_t py = std::max<std::int64_t>(0, std::int64_t{y} - 1); py <= std::min<std::int64_t>(H - 1, y + 1); ++py) {
                const std::size_t p0 = prevRowStart_[static_cast<std::size_t>(py)], p1 = prevRowStart_[static_cast<std::size_t>(py) + 1];
                forTouching(runs.data() + rowStart[y], n, prevRuns_.data() + p0, p1 - p0, [&](std::size_t i, std::size_t k) {
                    unite(base + runs[rowStart[y] + i].component, prevBase_ + prevRuns_[p0 + k].component);
                });
            }
        }
    }
    if (!runs.empty() && std::fwrite(runs.data(), sizeof(Run), runs.size(), spill_) != runs.size())
        throw IoError(IoError::Kind::WriteFailed, "temporary file", z, std::string("cannot spill object runs: ") + std::strerror(errno));
    sliceBase_.push_back(base);
    sliceRunCount_.push_back(runs.size());
    prevRuns_ = std::move(runs);
    prevRowStart_ = std::move(rowStart);
    prevBase_ = base;
}

void StreamingPostProcessor::finish()
{
    if (pushed_ != shape_.depth)
        throw Error("the stack prediction ended after " + std::to_string(pushed_) + " of " + std::to_string(shape_.depth) +
                    " slices");
    for (std::int64_t z = emitted_; z < shape_.depth; ++z)
        emit(z);
    if (!spill_)
        return;
    if (std::fflush(spill_) != 0 || std::fseek(spill_, 0, SEEK_SET) != 0)
        throw IoError(IoError::Kind::Unreadable, "temporary file", -1, "cannot rewind the object runs");
    std::vector<Run> runs;
    std::vector<std::uint8_t> out(static_cast<std::size_t>(shape_.sliceVoxels()));
    const auto W = static_cast<std::size_t>(shape_.width);
    for (std::int64_t z = 0; z < shape_.depth; ++z) {
        runs.resize(static_cast<std::size_t>(sliceRunCount_[static_cast<std::size_t>(z)]));
        if (!runs.empty() && std::fread(runs.data(), sizeof(Run), runs.size(), spill_) != runs.size())
            throw IoError(IoError::Kind::Unreadable, "temporary file", z, "cannot read back the object runs");
        std::fill(out.begin(), out.end(), 0);
        const std::uint32_t base = sliceBase_[static_cast<std::size_t>(z)];
        for (const Run& r : runs)
            if (size_[find(base + r.component)] >= settings_.minObjectVoxels)
                std::fill(out.begin() + static_cast<std::ptrdiff_t>(r.y * W + r.x0),
                          out.begin() + static_cast<std::ptrdiff_t>(r.y * W + r.x1), std::uint8_t{1});
        if (labelsOut_)
            labelsOut_(z, out.data());
    }
}

std::size_t StreamingPostProcessor::memoryBytes() const
{
    std::size_t b = smoothed_.size() * sizeof(float) + binary_.size();
    for (const auto& w : window_)
        b += w.capacity() * sizeof(float);
    b += prevRuns_.capacity() * sizeof(Run) + prevRowStart_.capacity() * sizeof(std::size_t);
    b += parent_.capacity() * sizeof(std::uint32_t) + size_.capacity() * sizeof(std::int64_t);
    b += sliceBase_.capacity() * sizeof(std::uint32_t) + sliceRunCount_.capacity() * sizeof(std::uint64_t);
    return b;
}

}  // namespace mitoseg
