#include "core/engine/PredictMemory.h"

#include <unistd.h>

#include <algorithm>

#include "core/base/Memory.h"

namespace mitoseg {

namespace {
// Measured peak RSS of `mitoseg predict` (EPFL slices, shipped base-16 U-Net, bfloat16, 2 cores):
// each further worker adds about 180 MB with 768 x 1024 tiles, 110 MB with 512 and 100 MB with
// 256; the first worker costs more again with the tile's area (oneDNN's per-shape kernels and
// the allocator's free lists). Fitted so the plan errs high.
constexpr std::uint64_t kActivationBytesPerPixelBf16 = 180;   // per worker, per tile pixel of a pass
constexpr std::uint64_t kSharedBytesPerPixel = 100;           // once, per tile pixel of a pass
constexpr std::uint64_t kWorkerSlackBytes = 32ull << 20;      // per worker: allocator slack, thread state
constexpr std::uint64_t kEngineSlackBytes = 32ull << 20;      // once: prepacked weights, kernels

struct Tiling {
    int tile, overlap, batch;
};

PredictMemoryPlan planFor(const Shape& shape, const ModelInfo& model, const PredictOptions& options, const Tiling& tiling,
                          int zSmooth, bool probabilityOut, std::uint64_t budget)
{
    PredictMemoryPlan plan;
    plan.budget = budget;
    plan.tile = tiling.tile;
    plan.overlap = tiling.overlap;
    plan.batch = tiling.batch;
    plan.requestedWorkers = sliceWorkers(options, shape.depth);
    const auto slice = static_cast<std::uint64_t>(std::max<std::int64_t>(0, shape.sliceVoxels()));
    const auto context = static_cast<std::uint64_t>(2 * std::max(0, model.contextSlices) + 1);
    const auto classes = static_cast<std::uint64_t>(std::max(2, model.classes));
    const auto window = static_cast<std::uint64_t>(2 * std::max(0, zSmooth) + 1);
    // Per worker: the stacked and normalised input, the blended class outputs and their weights,
    // and the activations of one forward pass (batch tiles, each at most tile x tile).
    const auto tileH = static_cast<std::uint64_t>(std::min<std::int64_t>(tiling.tile, shape.height));
    const auto tileW = static_cast<std::uint64_t>(std::min<std::int64_t>(tiling.tile, shape.width));
    const std::int64_t step = std::max(1, tiling.tile - tiling.overlap);
    const auto tilesY =
        static_cast<std::uint64_t>(shape.height <= tiling.tile ? 1 : (shape.height - tiling.overlap + step - 1) / step);
    const auto tilesX =
        static_cast<std::uint64_t>(shape.width <= tiling.tile ? 1 : (shape.width - tiling.overlap + step - 1) / step);
    const std::uint64_t batchTiles = std::min<std::uint64_t>(static_cast<std::uint64_t>(std::max(1, tiling.batch)), tilesY * tilesX);
    const std::uint64_t passPixels = batchTiles * tileH * tileW;
    const std::uint64_t precision = options.bf16 && !options.referencePath ? 1 : 2;
    // Activations grow with the network's width; the figures are for the shipped base 16.
    const double width = model.baseWidth > 0 ? static_cast<double>(model.baseWidth) / 16.0 : 1.0;
    const auto activations = [&](std::uint64_t bytesPerPixel) {
        return static_cast<std::uint64_t>(static_cast<double>(passPixels * bytesPerPixel * precision) * width);
    };
    // Raw float slices of the context ring (one ahead), the smoothing window, the smoothed slice,
    // the binary and label slices, the mask page and (optional) probability page.
    plan.fixedBytes = slice * (4 * (context + 1) + 4 * window + 4 + 1 + 1 + 1 + (probabilityOut ? 4 : 0)) +
                      activations(kSharedBytesPerPixel) + kEngineSlackBytes;
    plan.bytesPerWorker = slice * (8 * context + 8 * classes + 4) + activations(kActivationBytesPerPixelBf16) + kWorkerSlackBytes;
    plan.workers = plan.requestedWorkers;
    while (plan.workers > 1 && plan.bytes() > budget)
        --plan.workers;
    return plan;
}

}  // namespace

int sliceWorkers(const PredictOptions& options, std::int64_t depth)
{
    if (depth <= 1)
        return 1;
    if (options.workers > 0)
        return options.workers;
    const int threads = options.threads > 0 ? options.threads : static_cast<int>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
    return threads >= 2 ? threads + 1 : 1;
}

PredictMemoryPlan planPredictMemory(const Shape& shape, const ModelInfo& model, const PredictOptions& options, int zSmooth,
                                    bool probabilityOut, std::uint64_t budget, bool mayReduceTile)
{
    PredictMemoryPlan plan =
        planFor(shape, model, options, Tiling{options.tile, options.overlap, options.batch}, zSmooth, probabilityOut, budget);
    if (plan.fits() || !mayReduceTile)
        return plan;
    for (const int tile : {512, 256}) {
        if (tile >= options.tile)
            continue;
        plan = planFor(shape, model, options, Tiling{tile, std::min(options.overlap, tile / 4), 1}, zSmooth, probabilityOut, budget);
        plan.tileReduced = true;
        if (plan.fits())
            break;
    }
    return plan;   // when nothing fits: the smallest tiling tried, so the refusal names the least budget that works
}

std::string PredictMemoryPlan::refusal(const Shape& shape) const
{
    return "predicting this " + std::to_string(shape.depth) + " x " + std::to_string(shape.height) + " x " +
           std::to_string(shape.width) + " stack needs about " + formatBytes(minimumBytes()) + " (" +
           formatBytes(fixedBytes) + " of slice buffers and smoothing window, " + formatBytes(bytesPerWorker) +
           " for one slice in flight) but the memory budget is " + formatBytes(budget) + ": give --memory-budget " +
           budgetArgument(minimumBytes()) + " or more" + (tileReduced ? "" : ", or a smaller --tile or --batch");
}

}  // namespace mitoseg
