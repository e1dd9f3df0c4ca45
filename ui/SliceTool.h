#pragma once
// What the slice view calls when the user presses, drags and releases the left button with an
// editing tool. Coordinates are voxel coordinates of the shown slice (may lie outside it).
// GUI thread only.
#include <cstdint>

namespace mitoseg::ui {

class SliceTool {
public:
    virtual ~SliceTool() = default;
    virtual void press(std::int64_t z, double x, double y) = 0;
    virtual void move(std::int64_t z, double x, double y) = 0;
    virtual void release(std::int64_t z, double x, double y) = 0;
    /// Radius (voxels) of the brush outline the view draws under the cursor; < 0 for none.
    virtual double cursorRadius() const = 0;
    /// True while the view should pan instead of editing (pan tool).
    virtual bool pans() const = 0;
};

}  // namespace mitoseg::ui
