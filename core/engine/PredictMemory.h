#pragma once
// How much memory a streamed stack prediction holds, so `mitoseg predict` can fit its memory
// budget (core/base/Memory): slices in flight on the workers (their input, output and blending
// buffers and the network's activations of one batch of tiles), the 2.5D context ring, the
// z-smoothing window and the post-processing and writing buffers. The program itself (LibTorch,
// about 230 MB) is not counted. Estimates fitted to peak RSS measured on the EPFL slices (2 cores,
// bfloat16, tiles of 256-1024, 1-3 workers) so that they err high, by up to 100 MB; torch-free,
// any thread.
#include <cstdint>
#include <string>

#include "core/base/Volume.h"
#include "core/engine/Segmenter.h"

namespace mitoseg {

/// Workers predictStack runs for `options` on a stack of `depth` slices (one on a single slice;
/// else options.workers, or threads + 1 with two or more threads).
int sliceWorkers(const PredictOptions& options, std::int64_t depth);

struct PredictMemoryPlan {
    int workers = 1;                     ///< slice workers that fit the budget (<= the requested ones, >= 1)
    int requestedWorkers = 1;            ///< sliceWorkers(options, depth)
    int tile = 0, overlap = 0, batch = 0;///< the tiling planned: options' own, or smaller ones (tileReduced)
    bool tileReduced = false;            ///< smaller tiles than asked for, so that one worker fits
    std::uint64_t fixedBytes = 0;        ///< context ring, smoothing window, post-processing, writers
    std::uint64_t bytesPerWorker = 0;    ///< one slice in flight, activations of one batch of tiles included
    std::uint64_t budget = 0;
    /// The least the job needs: one worker.
    std::uint64_t minimumBytes() const { return fixedBytes + bytesPerWorker; }
    /// What the chosen workers need.
    std::uint64_t bytes() const { return fixedBytes + static_cast<std::uint64_t>(workers) * bytesPerWorker; }
    bool fits() const { return minimumBytes() <= budget; }
    /// The refusal for a job that does not fit: names the shape, the figure and the budget.
    std::string refusal(const Shape& shape) const;
};

/// The plan for predicting a stack of `shape` with `model` and `options` (zSmooth: the radius
/// used, after planPostProcessing), writing a probability file or not, within `budget` bytes.
/// Fewer workers first; then, where `mayReduceTile` (the user chose no tiling) and one worker
/// does not fit, tiles of 512 and then 256 pixels, one per forward pass (activations shrink
/// with the tile; the time grows about 2x and 2.5x on 768 x 1024 slices).
PredictMemoryPlan planPredictMemory(const Shape& shape, const ModelInfo& model, const PredictOptions& options, int zSmooth,
                                    bool probabilityOut, std::uint64_t budget, bool mayReduceTile = false);

}  // namespace mitoseg
