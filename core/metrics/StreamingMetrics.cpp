#include "core/metrics/StreamingMetrics.h"

#include <algorithm>
#include <string>

#include "core/base/Error.h"

namespace mitoseg {

namespace {
double ratio(double num, double den) { return den > 0 ? num / den : 1.0; }
}  // namespace

OverlapCounter::OverlapCounter(int classes) : classes_(classes)
{
    if (classes < 2 || classes > 256)
        throw Error("classes must be in 2..256");
    const auto k = static_cast<std::size_t>(classes);
    inter_.assign(k, 0);
    predCount_.assign(k, 0);
    truthCount_.assign(k, 0);
}

void OverlapCounter::add(const std::uint8_t* p, const std::uint8_t* t, std::int64_t n)
{
    std::int64_t tp = 0, fp = 0, fn = 0;
    for (std::int64_t i = 0; i < n; ++i) {
        const bool pf = p[i] != 0, tf = t[i] != 0;
        tp += pf && tf;
        fp += pf && !tf;
        fn += !pf && tf;
    }
    tp_ += tp;
    fp_ += fp;
    fn_ += fn;
    tn_ += n - tp - fp - fn;
    if (classes_ > 2)
        for (std::int64_t i = 0; i < n; ++i) {
            if (p[i] >= classes_ || t[i] >= classes_)
                throw Error("label " + std::to_string(std::max(p[i], t[i])) + " exceeds " + std::to_string(classes_) +
                            " classes");
            ++predCount_[p[i]];
            ++truthCount_[t[i]];
            if (p[i] == t[i])
                ++inter_[p[i]];
        }
}

OverlapScores OverlapCounter::scores() const
{
    OverlapScores s;
    s.truePositives = tp_;
    s.falsePositives = fp_;
    s.falseNegatives = fn_;
    s.trueNegatives = tn_;
    const double tp = static_cast<double>(tp_), fp = static_cast<double>(fp_), fn = static_cast<double>(fn_),
                 tn = static_cast<double>(tn_);
    s.foregroundIoU = ratio(tp, tp + fp + fn);
    s.dice = ratio(2 * tp, 2 * tp + fp + fn);
    const double bgIoU = ratio(tn, tn + fp + fn);
    s.meanIoU2Class = (s.foregroundIoU + bgIoU) / 2;
    const auto K = static_cast<std::size_t>(classes_);
    if (classes_ == 2) {
        s.classIoU = {bgIoU, s.foregroundIoU};
    } else {
        for (std::size_t k = 0; k < K; ++k)
            s.classIoU.push_back(
                ratio(static_cast<double>(inter_[k]), static_cast<double>(predCount_[k] + truthCount_[k] - inter_[k])));
    }
    double sum = 0;
    for (std::size_t k = 1; k < K; ++k)
        sum += s.classIoU[k];
    s.meanIoU = sum / static_cast<double>(K - 1);
    return s;
}

double foregroundIoU(const std::uint8_t* p, const std::uint8_t* t, std::int64_t n)
{
    std::int64_t in = 0, un = 0;
    for (std::int64_t i = 0; i < n; ++i) {
        const bool pf = p[i] != 0, tf = t[i] != 0;
        in += pf && tf;
        un += pf || tf;
    }
    return ratio(static_cast<double>(in), static_cast<double>(un));
}

ObjectMatcher::ObjectMatcher(std::int64_t height, std::int64_t width, Connectivity connectivity, double minIoU)
    : pred_(height, width, connectivity), truth_(height, width, connectivity), minIoU_(minIoU)
{
}

void ObjectMatcher::add(const std::uint8_t* pred, const std::uint8_t* truth)
{
    const std::vector<ForegroundRun>& pr = pred_.push(pred);
    const std::vector<ForegroundRun>& tr = truth_.push(truth);
    // Both run lists are in raster order: walk them together, row by row, counting shared voxels.
    std::size_t j = 0;
    for (std::size_t i = 0; i < pr.size(); ++i) {
        const ForegroundRun& a = pr[i];
        while (j < tr.size() && (tr[j].y < a.y || (tr[j].y == a.y && tr[j].x1 <= a.x0)))
            ++j;
        for (std::size_t k = j; k < tr.size() && tr[k].y == a.y && tr[k].x0 < a.x1; ++k) {
            const std::uint32_t lo = std::max(a.x0, tr[k].x0), hi = std::min(a.x1, tr[k].x1);
            overlap_[(static_cast<std::uint64_t>(a.id) << 32) | tr[k].id] += hi - lo;
        }
    }
    // Every slice adds pairs of its own 2D components; most of them belong to objects already
    // met. Re-keying the pairs by the objects' current roots merges those, so the map holds
    // about one entry per overlapping pair of objects, not of 2D components. Done when the map
    // has doubled since the last time: amortised constant work per pair.
    if (overlap_.size() > 2 * compacted_ + 4096) {
        std::unordered_map<std::uint64_t, std::int64_t> merged;
        merged.reserve(overlap_.size());
        for (const auto& [key, shared] : overlap_)
            merged[(static_cast<std::uint64_t>(pred_.find(static_cast<std::uint32_t>(key >> 32))) << 32) |
                   truth_.find(static_cast<std::uint32_t>(key & 0xFFFFFFFFu))] += shared;
        overlap_ = std::unordered_map<std::uint64_t, std::int64_t>(merged.begin(), merged.end());
        compacted_ = overlap_.size();
    }
}

ObjectScores ObjectMatcher::scores()
{
    std::uint32_t predCount = 0, truthCount = 0;
    std::vector<std::int64_t> predSizes, truthSizes;
    const std::vector<std::uint32_t> pl = pred_.finalLabels(predCount, &predSizes);
    const std::vector<std::uint32_t> tl = truth_.finalLabels(truthCount, &truthSizes);
    std::unordered_map<std::uint64_t, std::int64_t> byObject;
    byObject.reserve(overlap_.size());
    for (const auto& [key, shared] : overlap_)
        byObject[(static_cast<std::uint64_t>(pl[key >> 32]) << 32) | tl[key & 0xFFFFFFFFu]] += shared;
    return matchObjects(byObject, predSizes, truthSizes, minIoU_);
}

std::size_t ObjectMatcher::memoryBytes() const
{
    // An unordered_map node: key, value, next pointer and the cached hash, plus its bucket.
    constexpr std::size_t kNodeBytes = 40;
    return pred_.memoryBytes() + truth_.memoryBytes() + overlap_.size() * kNodeBytes +
           overlap_.bucket_count() * sizeof(void*);
}

ObjectScores matchObjects(const std::unordered_map<std::uint64_t, std::int64_t>& overlap,
                          const std::vector<std::int64_t>& predSizes, const std::vector<std::int64_t>& truthSizes,
                          double minIoU)
{
    struct Pair {
        double iou;
        std::uint32_t p, t;
    };
    std::vector<Pair> pairs;
    for (const auto& [key, in] : overlap) {
        const auto p = static_cast<std::uint32_t>(key >> 32), t = static_cast<std::uint32_t>(key & 0xFFFFFFFFu);
        const double un = static_cast<double>(predSizes[p - 1] + truthSizes[t - 1] - in);
        const double iou = static_cast<double>(in) / un;
        if (iou >= minIoU)
            pairs.push_back({iou, p, t});
    }
    // Greedy one-to-one matching by decreasing IoU (unique anyway for minIoU >= 0.5).
    std::sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) {
        return a.iou != b.iou ? a.iou > b.iou : (a.p != b.p ? a.p < b.p : a.t < b.t);
    });
    std::vector<bool> usedP(predSizes.size() + 1, false), usedT(truthSizes.size() + 1, false);
    ObjectScores s;
    s.predicted = static_cast<std::int64_t>(predSizes.size());
    s.truth = static_cast<std::int64_t>(truthSizes.size());
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
