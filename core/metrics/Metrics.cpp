#include "core/metrics/Metrics.h"

#include <algorithm>
#include <string>
#include <unordered_map>

#include "core/base/Error.h"
#include "core/metrics/StreamingMetrics.h"

namespace mitoseg {

namespace {

void checkShapes(const VolumeU8& pred, const VolumeU8& truth)
{
    if (!(pred.shape() == truth.shape()))
        throw Error("prediction is " + std::to_string(pred.depth()) + "x" + std::to_string(pred.height()) + "x" +
                    std::to_string(pred.width()) + " but the truth is " + std::to_string(truth.depth()) + "x" +
                    std::to_string(truth.height()) + "x" + std::to_string(truth.width()));
}

/// Clamps [zBegin, zEnd] to the volume; throws on an empty or out-of-range request.
std::pair<std::int64_t, std::int64_t> zRange(const VolumeU8& v, std::int64_t zBegin, std::int64_t zEnd)
{
    if (zEnd < 0)
        zEnd = v.depth() - 1;
    if (zBegin < 0 || zBegin > zEnd || zEnd >= v.depth())
        throw Error("z-range " + std::to_string(zBegin) + "-" + std::to_string(zEnd) + " is outside the " +
                    std::to_string(v.depth()) + " slices");
    return {zBegin, zEnd};
}

/// Sub-volume [z0, z1] of `v` (a copy) so components are computed only there.
VolumeU8 crop(const VolumeU8& v, std::int64_t z0, std::int64_t z1)
{
    if (z0 == 0 && z1 == v.depth() - 1)
        return v;
    VolumeU8 out(Shape{z1 - z0 + 1, v.height(), v.width()});
    std::copy(v.slice(z0), v.slice(z1) + v.shape().sliceVoxels(), out.data());
    return out;
}

}  // namespace

OverlapScores overlapScores(const VolumeU8& pred, const VolumeU8& truth, int classes, std::int64_t zBegin, std::int64_t zEnd)
{
    checkShapes(pred, truth);
    OverlapCounter counter(classes);
    auto [z0, z1] = zRange(truth, zBegin, zEnd);
    counter.add(pred.slice(z0), truth.slice(z0), (z1 - z0 + 1) * truth.shape().sliceVoxels());
    return counter.scores();
}

std::vector<double> perSliceIoU(const VolumeU8& pred, const VolumeU8& truth, std::int64_t zBegin, std::int64_t zEnd)
{
    checkShapes(pred, truth);
    auto [z0, z1] = zRange(truth, zBegin, zEnd);
    std::vector<double> out;
    const std::int64_t n = truth.shape().sliceVoxels();
    for (std::int64_t z = z0; z <= z1; ++z)
        out.push_back(foregroundIoU(pred.slice(z), truth.slice(z), n));
    return out;
}

ObjectScores objectScores(const VolumeU8& pred, const VolumeU8& truth, Connectivity connectivity, double minIoU,
                          std::int64_t zBegin, std::int64_t zEnd)
{
    checkShapes(pred, truth);
    auto [z0, z1] = zRange(truth, zBegin, zEnd);
    Components pc = connectedComponents(crop(pred, z0, z1), connectivity);
    Components tc = connectedComponents(crop(truth, z0, z1), connectivity);
    // Overlap counts of (pred object, true object) pairs.
    std::unordered_map<std::uint64_t, std::int64_t> overlap;
    const std::size_t n = pc.labels.values().size();
    const std::uint32_t* pl = pc.labels.data();
    const std::uint32_t* tl = tc.labels.data();
    for (std::size_t i = 0; i < n; ++i)
        if (pl[i] && tl[i])
            ++overlap[(static_cast<std::uint64_t>(pl[i]) << 32) | tl[i]];
    return matchObjects(overlap, pc.sizes, tc.sizes, minIoU);
}

}  // namespace mitoseg
