#include "core/engine/StreamingPostProcess.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "core/base/AtomicFile.h"
#include "core/base/Error.h"

namespace mitoseg {

ZSmoother::ZSmoother(std::int64_t depth, std::int64_t sliceVoxels, int radius, std::int64_t zBegin, std::int64_t zEnd, Out out)
    : depth_(depth), zBegin_(zBegin), zEnd_(zEnd), radius_(std::max(0, radius)), out_(std::move(out))
{
    if (zBegin < 0 || zEnd > depth || zBegin > zEnd)
        throw Error("internal: smoothing range " + std::to_string(zBegin) + ".." + std::to_string(zEnd) + " outside the stack");
    in0_ = std::max<std::int64_t>(0, zBegin - radius_);
    in1_ = std::min<std::int64_t>(depth, zEnd + radius_);
    next_ = zBegin;
    const auto n = static_cast<std::size_t>(sliceVoxels);
    window_.assign(static_cast<std::size_t>(2 * radius_ + 1), std::vector<float>(n));
    smoothed_.resize(n);
}

void ZSmoother::push(const float* raw)
{
    const std::int64_t k = in0_ + pushed_;
    if (k >= in1_)
        throw Error("more slices than the smoothing range needs were pushed");
    auto& slot = window_[static_cast<std::size_t>(k % static_cast<std::int64_t>(window_.size()))];
    std::copy(raw, raw + slot.size(), slot.begin());
    ++pushed_;
    const std::int64_t ready = k - radius_;
    if (ready >= zBegin_ && ready < zEnd_)
        emit(ready);
}

void ZSmoother::finish()
{
    if (in0_ + pushed_ != in1_)
        throw Error("the stack prediction ended after " + std::to_string(in0_ + pushed_) + " of " + std::to_string(in1_) + " slices");
    while (next_ < zEnd_)
        emit(next_);
}

void ZSmoother::emit(std::int64_t z)
{
    const std::int64_t r = radius_, w = static_cast<std::int64_t>(window_.size());
    const std::size_t n = smoothed_.size();
    if (r == 0) {
        std::copy(window_[static_cast<std::size_t>(z % w)].begin(), window_[static_cast<std::size_t>(z % w)].end(), smoothed_.begin());
    } else {
        // Same summation order and scaling as averageAlongZ, so results are bit-identical.
        std::fill(smoothed_.begin(), smoothed_.end(), 0.0f);
        const std::int64_t z0 = std::max<std::int64_t>(0, z - r), z1 = std::min<std::int64_t>(depth_ - 1, z + r);
        for (std::int64_t k = z0; k <= z1; ++k) {
            const float* src = window_[static_cast<std::size_t>(k % w)].data();
            for (std::size_t i = 0; i < n; ++i)
                smoothed_[i] += src[i];
        }
        const float inv = 1.0f / static_cast<float>(z1 - z0 + 1);
        for (std::size_t i = 0; i < n; ++i)
            smoothed_[i] *= inv;
    }
    next_ = z + 1;
    if (out_)
        out_(z, smoothed_.data());
}

std::size_t ZSmoother::memoryBytes() const
{
    std::size_t b = smoothed_.capacity() * sizeof(float);
    for (const auto& v : window_)
        b += v.capacity() * sizeof(float);
    return b;
}

void thresholdSlice(const float* probability, std::size_t n, double threshold, std::uint8_t* binary)
{
    for (std::size_t i = 0; i < n; ++i)
        binary[i] = probability[i] > threshold ? 1 : 0;
}

StreamingPostProcessor::StreamingPostProcessor(const Shape& shape, const PostProcessing& settings,
                                               ProbabilityOut probabilityOut, LabelsOut labelsOut)
    : shape_(shape), settings_(settings), probabilityOut_(std::move(probabilityOut)), labelsOut_(std::move(labelsOut)),
      smoother_(shape.depth, shape.sliceVoxels(), settings.zSmooth, 0, shape.depth,
                [this](std::int64_t z, const float* smoothed) { emit(z, smoothed); }),
      components_(std::max<std::int64_t>(1, shape.height), std::max<std::int64_t>(1, shape.width), Connectivity::TwentySix)
{
    settings_.zSmooth = std::max(0, settings_.zSmooth);
    binary_.resize(static_cast<std::size_t>(shape_.sliceVoxels()));
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
    if (thresholded_ > 0)
        throw Error("internal: raw and thresholded slices pushed into one post-processor");
    if (pushed_ >= shape_.depth)
        throw Error("more slices than the stack's depth were pushed");
    ++pushed_;
    smoother_.push(probability);
}

void StreamingPostProcessor::pushThresholded(const std::uint8_t* binary)
{
    if (pushed_ > 0)
        throw Error("internal: raw and thresholded slices pushed into one post-processor");
    if (thresholded_ >= shape_.depth)
        throw Error("more slices than the stack's depth were pushed");
    const std::int64_t z = thresholded_++;
    if (spill_)
        labelSlice(z, binary);
    else if (labelsOut_)
        labelsOut_(z, binary);
    emitted_ = z + 1;
}

void StreamingPostProcessor::emit(std::int64_t z, const float* smoothed)
{
    if (probabilityOut_)
        probabilityOut_(z, smoothed);
    thresholdSlice(smoothed, binary_.size(), settings_.threshold, binary_.data());
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
    if (thresholded_ == 0)
        smoother_.finish();
    if (emitted_ != shape_.depth)
        throw Error("the stack prediction ended after " + std::to_string(emitted_) + " of " + std::to_string(shape_.depth) +
                    " slices");
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
    std::size_t b = smoother_.memoryBytes() + binary_.size();
    b += components_.memoryBytes() + sliceRunCount_.capacity() * sizeof(std::uint64_t);
    return b;
}

}  // namespace mitoseg
