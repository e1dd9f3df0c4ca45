#include "core/engine/PredictMemory.h"

#include <unistd.h>

#include <algorithm>

#include "core/base/Memory.h"

namespace mitoseg {

namespace {
// Network activations alive at once per input pixel of a tile, for the shipped U-Net widths
// (skip connections of every level plus the working tensors of the widest level): about 160
// bytes in bfloat16, twice that in float32.
constexpr std::uint64_t kActivationBytesPerPixelBf16 = 160;
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
                                    bool probabilityOut, std::uint64_t budget)
{
    PredictMemoryPlan plan;
    plan.budget = budget;
    plan.requestedWorkers = sliceWorkers(options, shape.depth);
    const auto slice = static_cast<std::uint64_t>(std::max<std::int64_t>(0, shape.sliceVoxels()));
    const auto context = static_cast<std::uint64_t>(2 * std::max(0, model.contextSlices) + 1);
    const auto classes = static_cast<std::uint64_t>(std::max(2, model.classes));
    const auto window = static_cast<std::uint64_t>(2 * std::max(0, zSmooth) + 1);
    // Raw float slices of the context ring (one ahead), the smoothing window, the smoothed slice,
    // the binary and label slices, the mask page and (optional) probability page.
    plan.fixedBytes = slice * (4 * (context + 1) + 4 * window + 4 + 1 + 1 + 1 + (probabilityOut ? 4 : 0));
    // Per worker: the stacked and normalised input, the blended class outputs and their weights,
    // and the activations of one forward pass (batch tiles, each at most tile x tile).
    const auto tileH = static_cast<std::uint64_t>(std::min<std::int64_t>(options.tile, shape.height));
    const auto tileW = static_cast<std::uint64_t>(std::min<std::int64_t>(options.tile, shape.width));
    const std::int64_t step = std::max(1, options.tile - options.overlap);
    const auto tilesY = static_cast<std::uint64_t>(shape.height <= options.tile ? 1 : (shape.height - options.overlap + step - 1) / step);
    const auto tilesX = static_cast<std::uint64_t>(shape.width <= options.tile ? 1 : (shape.width - options.overlap + step - 1) / step);
    const std::uint64_t batchTiles = std::min<std::uint64_t>(static_cast<std::uint64_t>(std::max(1, options.batch)), tilesY * tilesX);
    const std::uint64_t perPixel = kActivationBytesPerPixelBf16 * (options.bf16 && !options.referencePath ? 1 : 2);
    plan.bytesPerWorker = slice * (8 * context + 8 * classes + 4) + batchTiles * tileH * tileW * perPixel;
    plan.workers = plan.requestedWorkers;
    while (plan.workers > 1 && plan.bytes() > budget)
        --plan.workers;
    return plan;
}

std::string PredictMemoryPlan::refusal(const Shape& shape) const
{
    return "predicting this " + std::to_string(shape.depth) + " x " + std::to_string(shape.height) + " x " +
           std::to_string(shape.width) + " stack needs about " + formatBytes(minimumBytes()) + " (" +
           formatBytes(fixedBytes) + " of slice buffers and smoothing window, " + formatBytes(bytesPerWorker) +
           " for one slice in flight) but the memory budget is " + formatBytes(budget) + ": give --memory-budget " +
           budgetArgument(minimumBytes()) + " or more, or a smaller --tile or --batch";
}

}  // namespace mitoseg
