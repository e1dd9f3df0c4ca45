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
    /// After the last slice: flushes the window, then (with object removal) replays the runs
    /// and calls labelsOut for every slice. Throws mitoseg::Error when slices are missing.
    void finish();

    /// Bytes held in memory now (window, label slices, union-find): for tests of the bound.
    std::size_t memoryBytes() const;

private:
    void emit(std::int64_t z);
    void labelSlice(std::int64_t z, const std::uint8_t* binary);

    Shape shape_;
    PostProcessing settings_;
    ProbabilityOut probabilityOut_;
    LabelsOut labelsOut_;
    std::vector<std::vector<float>> window_;   ///< ring of raw slices, index z % size
    std::int64_t pushed_ = 0, emitted_ = 0;
    std::vector<float> smoothed_;
    std::vector<std::uint8_t> binary_;
    // Object removal: 3D components slice by slice (26-connected), runs spilled per slice.
    SliceComponents components_;
    std::vector<std::uint64_t> sliceRunCount_;   ///< runs of each slice in the spill file
    std::FILE* spill_ = nullptr;
};

}  // namespace mitoseg
