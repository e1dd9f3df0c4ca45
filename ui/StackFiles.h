#pragma once
// The studio's only door to core/io: open a grey stack lazily, read a mask or reference as
// labels, write a mask as TIFF. Every function throws mitoseg::Error (IoError naming the
// file) on failure. Any thread.
#include <filesystem>
#include <memory>

#include "core/base/Volume.h"
#include "core/labels/SliceStore.h"

namespace mitoseg::ui {

class ImageSource;

/// Opens a TIFF stack for lazy slice access.
std::shared_ptr<ImageSource> openTiffSource(const std::filesystem::path& path);
/// Reads a mask / label stack; with `binarize` every non-zero voxel becomes 1.
VolumeU8 readLabelStack(const std::filesystem::path& path, bool binarize);
/// Reads a mask / label stack slice by slice into an out-of-core store.
labels::SliceStore readLabelStore(const std::filesystem::path& path, bool binarize);
/// Writes a label volume as a TIFF mask (0/255 when binary), atomically.
void writeMaskStack(const std::filesystem::path& path, const VolumeU8& labels);
/// Same from a snapshot, streamed page by page (temporary file, then rename).
void writeMaskStack(const std::filesystem::path& path, const labels::SliceSnapshot& labels, const Spacing& spacing = {});

}  // namespace mitoseg::ui
