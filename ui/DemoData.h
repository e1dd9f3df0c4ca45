#pragma once
// The stack the studio opens with no arguments: an EM-like image with known mitochondria
// (the reference). Any thread; pure function of its arguments.
#include "core/base/Volume.h"

namespace mitoseg::ui {

struct DemoVolumes {
    VolumeU8 image;
    VolumeU8 truth;   ///< 1 = mitochondrion, 0 = rest
};

/// Generates the demo of `shape` through core/demo (deterministic for a given seed); the
/// truth is its mitochondria class.
DemoVolumes makeDemoVolumes(Shape shape, unsigned seed = 1);

}  // namespace mitoseg::ui
