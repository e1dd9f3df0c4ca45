#include "core/engine/PostProcessPlan.h"

#include <algorithm>
#include <cmath>

namespace mitoseg {

std::string PostProcessPlan::note() const
{
    std::string out;
    if (zSmoothReduced)
        out += effective.zSmooth == 0 ? "no z-smoothing (no neighbouring slices)"
                                      : "z-smoothing cut to +-" + std::to_string(effective.zSmooth) + " (short stack)";
    if (minObjectScaled) {
        if (!out.empty())
            out += "; ";
        out += "smallest object cut to " + std::to_string(effective.minObjectVoxels) + " voxels (thin stack)";
    }
    return out;
}

PostProcessPlan planPostProcessing(const PostProcessing& model, const Shape& shape)
{
    PostProcessPlan plan;
    plan.effective = model;
    plan.effective.zSmooth = std::max(0, model.zSmooth);
    plan.effective.minObjectVoxels = std::max<std::int64_t>(0, model.minObjectVoxels);
    if (shape.depth <= 0)
        return plan;
    const auto maxRadius = static_cast<int>(std::min<std::int64_t>(shape.depth - 1, 1 << 20));
    if (plan.effective.zSmooth > maxRadius) {
        plan.effective.zSmooth = maxRadius;
        plan.zSmoothReduced = true;
    }
    const std::int64_t minVoxels = plan.effective.minObjectVoxels;
    if (minVoxels > 1) {
        const double side = std::cbrt(static_cast<double>(minVoxels));
        if (static_cast<double>(shape.depth) < side) {
            const auto scaled = static_cast<std::int64_t>(
                std::llround(static_cast<double>(minVoxels) * static_cast<double>(shape.depth) / side));
            plan.effective.minObjectVoxels = std::max<std::int64_t>(1, scaled);
            plan.minObjectScaled = plan.effective.minObjectVoxels != minVoxels;
        }
    }
    return plan;
}

}  // namespace mitoseg
