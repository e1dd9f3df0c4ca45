#pragma once
// The stack the studio opens with no arguments: an EM-like image with known labels
// (background, membrane, mitochondrion: the reference). Any thread; pure function of its arguments.
#include <string>
#include <vector>

#include "core/base/Volume.h"

namespace mitoseg::ui {

struct DemoVolumes {
    VolumeU8 image;
    VolumeU8 truth;                        ///< core/demo class values: 0 background, 1 membrane, 2 mitochondrion
    std::vector<std::string> classNames;   ///< classNames[v] names label value v
};

/// Generates the demo of `shape` through core/demo (deterministic for a given seed); the
/// truth is its full label volume.
DemoVolumes makeDemoVolumes(Shape shape, unsigned seed = 1);

}  // namespace mitoseg::ui
