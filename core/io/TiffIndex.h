#pragma once
// Internal to core/io: the page table TiffStack builds when it opens a file. Walks the IFD
// chain once with libtiff, validates every page (type, size, layout, strip extents against the
// file size) and records what reading a slice needs, without decoding any pixels.
#include <cstdint>
#include <utility>
#include <vector>

#include "core/io/TiffStack.h"
#include "core/io/TiffSupport.h"

namespace mitoseg::tiff {

/// One slice of the stack: where its IFD is and how its pixels are stored.
struct Page {
    std::int64_t ifdNumber = 0;      ///< position in the IFD chain (for messages)
    std::uint64_t ifdOffset = 0;     ///< for TIFFSetSubDirectory
    std::uint16_t compression = 1;
    bool tiled = false;
    std::uint32_t rowsPerStrip = 0;  ///< striped pages
    std::uint32_t tileWidth = 0, tileHeight = 0;
    /// Uncompressed striped pages: the slice's bytes as (file offset, length) runs, in order,
    /// adjacent strips merged. Empty when the page must be decoded by libtiff.
    std::vector<std::pair<std::uint64_t, std::uint64_t>> rawRuns;
};

struct Index {
    StackInfo info;
    std::vector<Page> pages;
    bool swapBytes = false;  ///< file byte order differs from the host's (raw pages only)
};

/// Checks the header bytes of the open file `fd` (size `fileSize`). Throws IoError NotTiff /
/// Empty / Truncated. Returns true for BigTIFF.
bool checkHeader(int fd, std::uint64_t fileSize, const std::filesystem::path& path);

/// Walks every IFD of `handle` (positioned on the first directory; `fd` is the same file, for
/// checking the IFD chain). Throws IoError naming the page on anything unsupported,
/// inconsistent, truncated or lying.
Index buildIndex(Handle& handle, int fd, const std::filesystem::path& path, std::uint64_t fileSize);

}  // namespace mitoseg::tiff
