#pragma once
// TIFF in and out of a SliceStore, one slice at a time, so a mask far larger than memory is
// read and written within the store's budget. Any thread (each call uses its own objects).
#include <filesystem>

#include "core/base/Volume.h"
#include "core/io/TiffWriter.h"
#include "core/labels/SliceStore.h"

namespace mitoseg::labels {

/// Reads a mask / label stack slice by slice into a store; with `binarize` every non-zero voxel
/// becomes 1. Throws IoError naming the file (and the page of a label value outside 0..255).
SliceStore readLabelStore(const std::filesystem::path& path, bool binarize);

/// Writes `labels` as a TIFF mask, page by page through TiffSliceWriter (a temporary file beside
/// `path`, renamed into place at the end): binary labels (0/1) become 0/255 as Fiji expects (as
/// writeMask does), others are written as they are. Throws IoError(WriteFailed) naming the file;
/// an existing file is left untouched then.
void writeMaskSnapshot(const std::filesystem::path& path, const SliceSnapshot& labels, const Spacing& spacing,
                       const TiffWriteOptions& options = {});

}  // namespace mitoseg::labels
