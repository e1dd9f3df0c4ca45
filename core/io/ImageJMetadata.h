#pragma once
// ImageJ/Fiji conventions for voxel spacing in TIFF stacks: the ImageDescription block
// ("ImageJ=1.11a\nimages=N\nslices=N\nunit=nm\nspacing=5\n") plus XResolution/YResolution
// (pixels per unit) and ResolutionUnit. Pure functions, callable from any thread.
#include <cstdint>
#include <optional>
#include <string>

#include "core/base/Volume.h"

namespace mitoseg {

/// The resolution tags of a page, as stored (absent tags are nullopt).
struct ResolutionTags {
    std::optional<double> xResolution;     ///< pixels per unit
    std::optional<double> yResolution;
    std::optional<std::uint16_t> unit;     ///< 1 none, 2 inch, 3 centimetre
};

/// Spacing from an ImageDescription (may be empty or not ImageJ) and resolution tags.
/// ImageJ's `unit=` wins; inch/centimetre resolution units are converted to micrometres.
/// Without any calibration the result is 1 x 1 x 1 "px". Throws mitoseg::Error when a calibrated
/// stack states a voxel size that is zero, negative or not a number (ImageJ `spacing=`, or a
/// present XResolution/YResolution tag).
Spacing parseSpacing(const std::string& description, const ResolutionTags& tags);

/// The "images=N" count of an ImageJ description, or 0 when absent / not ImageJ.
std::int64_t imageJImageCount(const std::string& description);

/// Normalises unit spellings: "micron", "\u00B5m" and "µm" become "um"; "pixel" becomes "px".
std::string normaliseUnit(const std::string& unit);

/// The ImageDescription ImageJ writes for a z-stack of `slices` images with `spacing`;
/// `minMax` adds ImageJ's display range (used for 16-bit and float stacks).
std::string imageJDescription(std::int64_t slices, const Spacing& spacing,
                              std::optional<std::pair<double, double>> minMax = std::nullopt);

}  // namespace mitoseg
