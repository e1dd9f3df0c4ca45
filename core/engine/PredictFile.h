#pragma once
// `mitoseg predict` as a function: a TIFF stack in, a mask (and optionally the probability)
// out, streamed slice by slice so memory holds a few slices whatever the stack's depth. Used by
// the CLI and by `mitoseg bench predict --stack`. Torch-free interface; one thread.
#include <filesystem>

#include "core/base/Progress.h"
#include "core/engine/Segmenter.h"

namespace mitoseg {

/// Type of the optional probability output.
enum class ProbabilityType { Float32, Uint8 };

struct PredictFileRequest {
    std::filesystem::path stack;         ///< input TIFF stack
    std::filesystem::path mask;          ///< output: binary models 0/255, multiclass class indices
    std::filesystem::path probability;   ///< optional output (empty = none)
    ProbabilityType probabilityType = ProbabilityType::Float32;
    PredictOptions options;
};

/// What predictFile did, for reports and benchmarks.
struct PredictFileReport {
    Shape shape;
    double seconds = 0;
    std::int64_t foregroundVoxels = 0;   ///< non-zero voxels written to the mask
};

/// Predicts request.stack with `segmenter` and writes the outputs atomically (temp file, then
/// rename; nothing is replaced when anything fails). One progress unit per slice. Throws
/// IoError naming the file, Cancelled.
/// With a `group` (distributed prediction, Segmenter::predictStackDistributed), every rank calls
/// this with the same request; each reads the stack (the same path on every host), rank 0
/// alone writes the outputs, and all ranks return only after rank 0 has committed them (a
/// final barrier), so a failure on rank 0 fails every rank. foregroundVoxels is rank 0's count.
PredictFileReport predictFile(Segmenter& segmenter, const PredictFileRequest& request, ProgressSink* progress = nullptr,
                              const CancelToken* cancel = nullptr, ProcessGroup* group = nullptr);

}  // namespace mitoseg
