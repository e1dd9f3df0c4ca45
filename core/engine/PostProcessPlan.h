#pragma once
// What a binary model's post-processing should be on the stack it is given. A model's settings
// are chosen on full stacks (e.g. z-smoothing +-2, objects under 10000 voxels dropped); on a
// single image or a short stack they would wipe every object. Used by the studio, and meant for
// `mitoseg predict` too. Plain functions; any thread.
#include <cstdint>
#include <string>

#include "core/base/Volume.h"
#include "core/engine/Calibration.h"

namespace mitoseg {

/// The settings to apply, and why they differ from the model's.
struct PostProcessPlan {
    PostProcessing effective;
    bool zSmoothReduced = false;   ///< fewer slices than the smoothing needs: radius cut
    bool minObjectScaled = false;  ///< the stack is thinner than the smallest object: size cut
    /// One line for a status bar or log ("" when the model's settings apply as they are).
    std::string note() const;
};

/// The model's post-processing `model` adapted to a stack of `shape`:
/// - z-smoothing radius at most depth - 1 (none on a single image: no neighbours);
/// - smallest object: the model's minimum is a volume; on a stack thinner than the side of a
///   cube of that volume (s = cbrt(minObjectVoxels)), it becomes that cube cut to the stack's
///   depth, minObjectVoxels * depth / s (one image: about s^2 pixels, e.g. 10000 -> 464).
/// The threshold is kept. Depth 0 gives the model's settings.
PostProcessPlan planPostProcessing(const PostProcessing& model, const Shape& shape);

}  // namespace mitoseg
