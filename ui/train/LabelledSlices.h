#pragma once
// Which slices of the document count as labelled for training: StudioDocument::labelledSlices()
// (edited by hand, accepted from a prediction, or marked by hand). GUI thread only.
#include <cstdint>
#include <vector>

#include "ui/StudioDocument.h"

namespace mitoseg::ui {

/// Sorted labelled slices of `doc` (empty without an image).
inline std::vector<std::int64_t> labelledSlices(const StudioDocument& doc)
{
    return doc.hasImage() ? doc.labelledSlices() : std::vector<std::int64_t>{};
}

/// The document signal that tells the labelled slices may have changed.
inline constexpr auto kLabelledSlicesChanged = &StudioDocument::labelledSlicesChanged;

}  // namespace mitoseg::ui
