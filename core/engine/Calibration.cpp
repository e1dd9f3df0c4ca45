#include "core/engine/Calibration.h"

#include <algorithm>
#include <numeric>

#include "core/base/Error.h"
#include "core/engine/ModelFile.h"
#include "core/engine/ModelSpec.h"
#include "core/engine/Segmenter.h"
#include "core/metrics/Components.h"

namespace mitoseg {

std::vector<CalibrationEntry> calibratePostProcessing(const VolumeF32& probability, const VolumeU8& truth, std::int64_t z0,
                                                      std::int64_t z1, const CalibrationGrid& grid, const CancelToken* cancel)
{
    return calibratePostProcessing(probability, truth, std::vector<SliceRange>{{z0, z1}}, grid, cancel);
}

std::vector<CalibrationEntry> calibratePostProcessing(const VolumeF32& probability, const VolumeU8& truth,
                                                      const std::vector<SliceRange>& folds, const CalibrationGrid& grid,
                                                      const CancelToken* cancel)
{
    const Shape s = probability.shape();
    if (!(s == truth.shape()))
        throw Error("probability and truth volumes differ in shape");
    if (folds.empty())
        throw Error("no calibration range");
    for (const SliceRange& f : folds)
        if (f.first < 0 || f.last < f.first || f.last >= s.depth)
            throw Error("calibration range " + std::to_string(f.first) + "-" + std::to_string(f.last) + " is outside the " +
                        std::to_string(s.depth) + " slices");
    if (grid.zSmooth.empty() || grid.thresholds.empty() || grid.minObjectVoxels.empty())
        throw Error("empty calibration grid");
    const std::int64_t n = s.sliceVoxels();
    const std::size_t F = folds.size();
    std::vector<CalibrationEntry> entries;
    for (int radius : grid.zSmooth) {
        VolumeF32 p = averageAlongZ(probability, radius);
        for (float t : grid.thresholds) {
            if (cancel)
                cancel->check();
            VolumeU8 mask(s);
            const auto& pv = p.values();
            auto& mv = mask.values();
            for (std::size_t i = 0; i < mv.size(); ++i)
                mv[i] = pv[i] > t ? 1 : 0;
            // Per fold and object: voxels in the fold's slices, and those that are also true.
            // Dropping an object removes its true voxels from the intersection and its false
            // ones from the union.
            Components c = connectedComponents(mask, Connectivity::TwentySix);
            const std::vector<std::int64_t>& size = c.sizes;
            std::vector<std::vector<std::int64_t>> scored(F, std::vector<std::int64_t>(c.count + 1, 0)), hit = scored;
            std::vector<std::int64_t> inter(F, 0), uni(F, 0);
            const auto& lab = c.labels.values();
            const auto& tv = truth.values();
            for (std::size_t f = 0; f < F; ++f)
                for (std::size_t i = static_cast<std::size_t>(folds[f].first * n), end = static_cast<std::size_t>((folds[f].last + 1) * n);
                     i < end; ++i) {
                    const bool fg = mv[i] != 0, tr = tv[i] != 0;
                    inter[f] += fg && tr;
                    uni[f] += fg || tr;
                    if (fg) {
                        ++scored[f][lab[i]];
                        hit[f][lab[i]] += tr;
                    }
                }
            // Objects ordered by size: each min-size drops a prefix.
            std::vector<std::uint32_t> order(c.count);
            std::iota(order.begin(), order.end(), 1u);
            std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return size[a - 1] < size[b - 1]; });
            for (std::int64_t m : grid.minObjectVoxels) {
                CalibrationEntry e;
                e.settings = {radius, t, m};
                e.gridIndex = entries.size();
                for (std::size_t f = 0; f < F; ++f) {
                    std::int64_t i2 = inter[f], u2 = uni[f];
                    for (std::uint32_t o : order) {
                        if (size[o - 1] >= m)
                            break;
                        i2 -= hit[f][o];
                        u2 -= scored[f][o] - hit[f][o];
                    }
                    e.foldIoU.push_back(u2 > 0 ? static_cast<double>(i2) / static_cast<double>(u2) : 1.0);
                }
                e.iou = std::accumulate(e.foldIoU.begin(), e.foldIoU.end(), 0.0) / static_cast<double>(F);
                entries.push_back(e);
            }
        }
    }
    std::stable_sort(entries.begin(), entries.end(), [](const CalibrationEntry& a, const CalibrationEntry& b) { return a.iou > b.iou; });
    return entries;
}

std::vector<CalibrationEntry> joinFoldCalibrations(const std::vector<std::vector<CalibrationEntry>>& perFold)
{
    if (perFold.empty() || perFold.front().empty())
        throw Error("no calibration to join");
    const std::size_t settings = perFold.front().size();
    std::vector<CalibrationEntry> joined(settings);
    for (const auto& list : perFold) {
        if (list.size() != settings)
            throw Error("calibrations of different grids cannot be joined");
        for (const CalibrationEntry& e : list) {
            if (e.foldIoU.size() != 1 || e.gridIndex >= settings)
                throw Error("each calibration to join must score one fold of the same grid");
            CalibrationEntry& j = joined[e.gridIndex];
            if (!j.foldIoU.empty() && (j.settings.zSmooth != e.settings.zSmooth || j.settings.threshold != e.settings.threshold ||
                                       j.settings.minObjectVoxels != e.settings.minObjectVoxels))
                throw Error("calibrations of different grids cannot be joined");
            j.settings = e.settings;
            j.gridIndex = e.gridIndex;
            j.foldIoU.push_back(e.iou);
        }
    }
    for (CalibrationEntry& j : joined) {
        if (j.foldIoU.size() != perFold.size())
            throw Error("each calibration to join must score one fold of the same grid");
        j.iou = std::accumulate(j.foldIoU.begin(), j.foldIoU.end(), 0.0) / static_cast<double>(j.foldIoU.size());
    }
    std::stable_sort(joined.begin(), joined.end(), [](const CalibrationEntry& a, const CalibrationEntry& b) { return a.iou > b.iou; });
    return joined;
}

std::vector<double> heldOutFoldIoU(const std::vector<CalibrationEntry>& entries)
{
    std::vector<double> out;
    if (entries.empty() || entries.front().foldIoU.size() < 2)
        return out;
    const std::size_t F = entries.front().foldIoU.size();
    for (std::size_t f = 0; f < F; ++f) {
        const CalibrationEntry* best = nullptr;
        double bestScore = -1;
        for (const CalibrationEntry& e : entries) {
            double sum = 0;
            for (std::size_t g = 0; g < F; ++g)
                if (g != f)
                    sum += e.foldIoU[g];
            if (sum > bestScore || (sum == bestScore && e.gridIndex < best->gridIndex)) {
                bestScore = sum;
                best = &e;
            }
        }
        out.push_back(best->foldIoU[f]);
    }
    return out;
}

void writeModelPostProcessing(const std::filesystem::path& in, const std::filesystem::path& out, const PostProcessing& settings,
                              const std::string& chosenOn)
{
    ModelContainer c = readModelContainer(in);
    ModelSpec spec = ModelSpec::fromJson(c.header, in);
    if (spec.arch.classes != 2)
        throw IoError(IoError::Kind::BadModel, in, -1, "post-processing settings apply to binary models only");
    c.header["z_smooth"] = settings.zSmooth;
    c.header["threshold"] = static_cast<double>(settings.threshold);
    c.header["min_object_voxels"] = settings.minObjectVoxels;
    c.header["post_processing_chosen_on"] = chosenOn;
    ModelSpec::fromJson(c.header, in);   // the new values must pass the loader's checks
    writeModelContainer(out, c);
}

}  // namespace mitoseg
