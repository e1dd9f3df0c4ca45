#include "core/metrics/Metrics.h"

#include <algorithm>
#include <string>
#include <unordered_map>

#include "core/base/Error.h"

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

double ratio(double num, double den) { return den > 0 ? num / den : 1.0; }

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
    if (classes < 2 || classes > 256)
        throw Error("classes must be in 2..256");
    auto [z0, z1] = zRange(truth, zBegin, zEnd);
    const std::size_t K = static_cast<std::size_t>(classes);
    std::vector<std::int64_t> inter(K, 0), predCount(K, 0), truthCount(K, 0);
    OverlapScores s;
    const std::uint8_t* p = pred.slice(z0);
    const std::uint8_t* t = truth.slice(z0);
    const std::int64_t n = (z1 - z0 + 1) * truth.shape().sliceVoxels();
    for (std::int64_t i = 0; i < n; ++i) {
        bool pf = p[i] != 0, tf = t[i] != 0;
        s.truePositives += pf && tf;
        s.falsePositives += pf && !tf;
        s.falseNegatives += !pf && tf;
        s.trueNegatives += !pf && !tf;
        if (classes > 2) {
            if (p[i] >= classes || t[i] >= classes)
                throw Error("label " + std::to_string(std::max(p[i], t[i])) + " exceeds " + std::to_string(classes) + " classes");
            ++predCount[p[i]];
            ++truthCount[t[i]];
            if (p[i] == t[i])
                ++inter[p[i]];
        }
    }
    const double tp = static_cast<double>(s.truePositives), fp = static_cast<double>(s.falsePositives),
                 fn = static_cast<double>(s.falseNegatives), tn = static_cast<double>(s.trueNegatives);
    s.foregroundIoU = ratio(tp, tp + fp + fn);
    s.dice = ratio(2 * tp, 2 * tp + fp + fn);
    double bgIoU = ratio(tn, tn + fp + fn);
    s.meanIoU2Class = (s.foregroundIoU + bgIoU) / 2;
    if (classes == 2) {
        s.classIoU = {bgIoU, s.foregroundIoU};
    } else {
        for (std::size_t k = 0; k < K; ++k)
            s.classIoU.push_back(ratio(static_cast<double>(inter[k]),
                                       static_cast<double>(predCount[k] + truthCount[k] - inter[k])));
    }
    double sum = 0;
    for (std::size_t k = 1; k < K; ++k)
        sum += s.classIoU[k];
    s.meanIoU = sum / static_cast<double>(K - 1);
    return s;
}

std::vector<double> perSliceIoU(const VolumeU8& pred, const VolumeU8& truth, std::int64_t zBegin, std::int64_t zEnd)
{
    checkShapes(pred, truth);
    auto [z0, z1] = zRange(truth, zBegin, zEnd);
    std::vector<double> out;
    const std::int64_t n = truth.shape().sliceVoxels();
    for (std::int64_t z = z0; z <= z1; ++z) {
        const std::uint8_t* p = pred.slice(z);
        const std::uint8_t* t = truth.slice(z);
        std::int64_t in = 0, un = 0;
        for (std::int64_t i = 0; i < n; ++i) {
            bool pf = p[i] != 0, tf = t[i] != 0;
            in += pf && tf;
            un += pf || tf;
        }
        out.push_back(ratio(static_cast<double>(in), static_cast<double>(un)));
    }
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
    struct Pair {
        double iou;
        std::uint32_t p, t;
    };
    std::vector<Pair> pairs;
    for (const auto& [key, in] : overlap) {
        auto p = static_cast<std::uint32_t>(key >> 32), t = static_cast<std::uint32_t>(key & 0xFFFFFFFFu);
        double un = static_cast<double>(pc.sizes[p - 1] + tc.sizes[t - 1] - in);
        double iou = static_cast<double>(in) / un;
        if (iou >= minIoU)
            pairs.push_back({iou, p, t});
    }
    // Greedy one-to-one matching by decreasing IoU (unique anyway for minIoU >= 0.5).
    std::sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) {
        return a.iou != b.iou ? a.iou > b.iou : (a.p != b.p ? a.p < b.p : a.t < b.t);
    });
    std::vector<bool> usedP(pc.count + 1, false), usedT(tc.count + 1, false);
    ObjectScores s;
    s.predicted = pc.count;
    s.truth = tc.count;
    for (const auto& pr : pairs)
        if (!usedP[pr.p] && !usedT[pr.t]) {
            usedP[pr.p] = usedT[pr.t] = true;
            ++s.matched;
        }
    s.precision = ratio(static_cast<double>(s.matched), static_cast<double>(s.predicted));
    s.recall = ratio(static_cast<double>(s.matched), static_cast<double>(s.truth));
    s.f1 = s.precision + s.recall > 0 ? 2 * s.precision * s.recall / (s.precision + s.recall) : 0.0;
    return s;
}

}  // namespace mitoseg
