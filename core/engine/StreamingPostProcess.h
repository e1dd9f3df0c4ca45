#pragma once
// The post-processing of a binary stack prediction (z-smoothing, threshold, removal of small 3D
// objects) done as the slices stream past, so memory holds a window of slices, not the volume:
// the smoothing window (2 * zSmooth + 1 probability slices), two label slices, a union-find over
// 2D components and, spilled to an anonymous temporary file, the foreground runs of each slice.
// Its result equals postProcessBinary on the whole volume voxel for voxel. Torch-free; one thread.
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <vector>

#include "core/base/Volume.h"
#include "core/engine/Calibration.h"
#include "core/metrics/SliceComponents.h"

namespace mitoseg {

/// The z-smoothing of a binary prediction for the slices zBegin .. zEnd-1 of a stack of `depth`
/// slices: each output slice is the mean of the raw slices within +-radius (clamped at the stack's
/// ends), bit-identical to averageAlongZ. Takes the raw slices firstInput() .. endInput()-1 in
/// order (the range plus its halo), so a rank of a distributed run can smooth its own z-chunk.
/// Torch-free; one thread.
class ZSmoother {
public:
    using Out = std::function<void(std::int64_t z, const float* smoothed)>;
    ZSmoother(std::int64_t depth, std::int64_t sliceVoxels, int radius, std::int64_t zBegin, std::int64_t zEnd, Out out);
    std::int64_t firstInput() const { return in0_; }
    std::int64_t endInput() const { return in1_; }
    /// Raw slice firstInput() + (slices pushed so far). Calls `out` for each slice it completes.
    void push(const float* raw);
    /// After the last input: calls `out` for the slices left. Throws mitoseg::Error when inputs
    /// are missing.
    void finish();
    std::size_t memoryBytes() const;

private:
    void emit(std::int64_t z);
    std::int64_t depth_, zBegin_, zEnd_, in0_, in1_;
    int radius_;
    Out out_;
    std::vector<std::vector<float>> window_;   ///< ring of raw slices, index z % size
    std::vector<float> smoothed_;
    std::int64_t pushed_ = 0, next_ = 0;       ///< inputs taken; next slice to emit
};

/// binary[i] = probability[i] > threshold, for n values: the one threshold rule of the
/// streamed post-processing (the same on every rank of a distributed run).
void thresholdSlice(const float* probability, std::size_t n, double threshold, std::uint8_t* binary);

class StreamingPostProcessor {
public:
    /// Receives slice z of the smoothed probability (height * width floats), in z order.
    using ProbabilityOut = std::function<void(std::int64_t z, const float* probability)>;
    /// Receives slice z of the final labels (0/1), in z order.
    using LabelsOut = std::function<void(std::int64_t z, const std::uint8_t* labels)>;

    /// For a stack of `shape`; `settings` as postProcessBinary takes them (not adapted here:
    /// see planPostProcessing).
    /// Throws IoError when no temporary file can be made (only needed with minObjectVoxels > 1).
    StreamingPostProcessor(const Shape& shape, const PostProcessing& settings, ProbabilityOut probabilityOut,
                           LabelsOut labelsOut);
    ~StreamingPostProcessor();
    StreamingPostProcessor(const StreamingPostProcessor&) = delete;
    StreamingPostProcessor& operator=(const StreamingPostProcessor&) = delete;

    /// Feeds the unsmoothed P(foreground) of the next slice (z = 0, 1, ... in order). Calls
    /// probabilityOut (and labelsOut when no objects are removed) for every slice whose
    /// smoothing window is complete.
    void push(const float* probability);
    /// Feeds the next slice already smoothed and thresholded elsewhere (0/1 values; e.g. by
    /// the rank that predicted it, with ZSmoother and thresholdSlice): only the object removal
    /// runs here. A post-processor takes either push or pushThresholded, not both.
    void pushThresholded(const std::uint8_t* binary);
    /// After the last slice: flushes the window, then (with object removal) replays the runs
    /// and calls labelsOut for every slice. Throws mitoseg::Error when slices are missing.
    void finish();

    /// Bytes held in memory now (window, label slices, union-find): for tests of the bound.
    std::size_t memoryBytes() const;

private:
    void emit(std::int64_t z, const float* smoothed);
    void labelSlice(std::int64_t z, const std::uint8_t* binary);

    Shape shape_;
    PostProcessing settings_;
    ProbabilityOut probabilityOut_;
    LabelsOut labelsOut_;
    ZSmoother smoother_;
    std::int64_t pushed_ = 0, emitted_ = 0, thresholded_ = 0;
    std::vector<std::uint8_t> binary_;
    // Object removal: 3D components slice by slice (26-connected), runs spilled per slice.
    SliceComponents components_;
    std::vector<std::uint64_t> sliceRunCount_;   ///< runs of each slice in the spill file
    std::FILE* spill_ = nullptr;
};

}  // namespace mitoseg
