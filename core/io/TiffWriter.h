#pragma once
// Writes multi-page TIFF stacks that Fiji, napari and tifffile read unchanged.
// Every write goes to a temporary file beside the target and is renamed into place,
// so a failure leaves any existing file untouched.
#include <filesystem>

#include "core/base/Progress.h"
#include "core/base/Volume.h"

namespace mitoseg {

/// Compression for written stacks.
enum class TiffCompression { None, Lzw, Deflate, PackBits };

struct TiffWriteOptions {
    TiffCompression compression = TiffCompression::None;
    bool forceBigTiff = false;   ///< BigTIFF is chosen automatically past 4 GB anyway
    bool imageJ = true;          ///< ImageJ description (slices, spacing, unit)
};

/// Writes `volume` (with its spacing) to `path`. Throws IoError(WriteFailed) naming the file.
void writeStack(const std::filesystem::path& path, const VolumeU8& volume, const TiffWriteOptions& options = {},
                ProgressSink* progress = nullptr);
void writeStack(const std::filesystem::path& path, const VolumeU16& volume, const TiffWriteOptions& options = {},
                ProgressSink* progress = nullptr);
void writeStack(const std::filesystem::path& path, const VolumeF32& volume, const TiffWriteOptions& options = {},
                ProgressSink* progress = nullptr);

/// Writes a label volume as a mask: binary labels (0/1) become 0/255 uint8, as Fiji expects;
/// label volumes with more classes are written as their raw values.
void writeMask(const std::filesystem::path& path, const VolumeU8& labels, const TiffWriteOptions& options = {});

}  // namespace mitoseg
