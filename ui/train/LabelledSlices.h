#pragma once
// Which slices of the document count as labelled for training. Today: the slices the user edited
// (LabelEditor's tracking). The work-safety branch adds StudioDocument::labelledSlices()
// (edited, accepted or marked by hand); on merge only this adapter changes. GUI thread only.
#include <cstdint>
#include <vector>

#include "ui/StudioDocument.h"

namespace mitoseg::ui {

/// Sorted labelled slices of `doc` (empty without an image).
inline std::vector<std::int64_t> labelledSlices(const StudioDocument& doc)
{
    return doc.hasImage() ? doc.mask().editedSlices() : std::vector<std::int64_t>{};
}

/// The document signal that tells the labelled slices may have changed.
inline constexpr auto kLabelledSlicesChanged = &StudioDocument::historyChanged;

}  // namespace mitoseg::ui
