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
    : shape_(shape), settings_(settings), probabilityOut_(std::move(probabilityOut)), labelsOut_(std::move(labelsOut)),
      components_(std::max<std::int64_t>(1, shape.height), std::max<std::int64_t>(1, shape.width), Connectivity::TwentySix)
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

void StreamingPostProcessor::labelSlice(std::int64_t z, const std::uint8_t* binary)
{
    const std::vector<ForegroundRun>& runs = components_.push(binary);
    if (!runs.empty() && std::fwrite(runs.data(), sizeof(ForegroundRun), runs.size(), spill_) != runs.size())
        throw IoError(IoError::Kind::WriteFailed, "temporary file", z, std::string("cannot spill object runs: ") + std::strerror(errno));
    sliceRunCount_.push_back(runs.size());
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
    std::vector<ForegroundRun> runs;
    std::vector<std::uint8_t> out(static_cast<std::size_t>(shape_.sliceVoxels()));
    const auto W = static_cast<std::size_t>(shape_.width);
    for (std::int64_t z = 0; z < shape_.depth; ++z) {
        runs.resize(static_cast<std::size_t>(sliceRunCount_[static_cast<std::size_t>(z)]));
        if (!runs.empty() && std::fread(runs.data(), sizeof(ForegroundRun), runs.size(), spill_) != runs.size())
            throw IoError(IoError::Kind::Unreadable, "temporary file", z, "cannot read back the object runs");
        std::fill(out.begin(), out.end(), 0);
        for (const ForegroundRun& r : runs)
            if (components_.objectVoxels(r.id) >= settings_.minObjectVoxels)
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
    b += components_.memoryBytes() + sliceRunCount_.capacity() * sizeof(std::uint64_t);
    return b;
}

}  // namespace mitoseg
