#pragma once
// The embedded demo: a generated FIB-SEM-like stack of neuropil with known labels, so the app
// can be tried (and tested) without any data. Pure functions; safe to call from any thread.
#include <cstdint>
#include <string>
#include <vector>

#include "core/base/Volume.h"

namespace mitoseg {

/// Class values of DemoStack::labels. Binary (mitochondria vs rest) use is `label == kDemoMitochondrion`.
enum DemoClass : std::uint8_t {
    kDemoBackground = 0,     ///< cytoplasm, vesicles, extracellular space
    kDemoMembrane = 1,       ///< cell membranes
    kDemoMitochondrion = 2,  ///< mitochondria, outer double membrane included
};

/// What to generate. Sizes are in voxels; the look is tuned for ~5 nm voxels.
struct DemoOptions {
    std::int64_t depth = 48;
    std::int64_t height = 384;
    std::int64_t width = 512;
    std::uint64_t seed = 1;            ///< same seed and options -> identical bytes on any machine
    double voxelSizeNm = 5.0;          ///< written into the volumes' spacing (isotropic, unit "nm")
    double mitoFraction = 0.05;        ///< target share of voxels inside mitochondria (Lucchi: ~5%)
    double cellSize = 120.0;           ///< mean spacing of the cell tessellation, in voxels
    double noise = 1.0;                ///< scale of the acquisition noise (0 = clean image)
};

/// A generated stack: `image` (uint8 EM-like intensities) and `labels` (DemoClass values) share
/// shape and spacing. `classNames[i]` names label value i.
struct DemoStack {
    VolumeU8 image;
    VolumeU8 labels;
    std::vector<std::string> classNames;
};

/// Generates the demo stack. Deterministic: depends only on `options` (no global state, no
/// platform maths). The default size takes well under a second on one core.
/// Throws mitoseg::Error on non-positive sizes, more than 2^31 voxels, or out-of-range parameters.
DemoStack generateDemoStack(const DemoOptions& options = {});

}  // namespace mitoseg
