#pragma once
// Lazy, random-access reader for multi-page grayscale TIFF stacks (classic and BigTIFF).
// Opening indexes the pages once; slices are decoded (or served from a memory map, for
// uncompressed data) on demand, so stacks larger than RAM open at once.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/base/Error.h"
#include "core/base/Progress.h"
#include "core/base/Volume.h"

namespace mitoseg {

/// What `mitoseg info` prints; filled by TiffStack::open without decoding pixel data.
struct StackInfo {
    std::filesystem::path path;
    Shape shape;                 ///< depth = number of pages
    DType dtype = DType::U8;
    Spacing spacing;             ///< from ImageJ metadata / resolution tags, else 1 px
    std::string compression;     ///< "none", "lzw", "deflate", "packbits", ...
    bool bigTiff = false;
    bool tiled = false;
    std::uint64_t fileBytes = 0;
    std::uint64_t dataBytes() const { return static_cast<std::uint64_t>(shape.voxels()) * dtypeSize(dtype); }
};

/// An opened stack. Thread-safe: readSlice may be called from several threads at once
/// (uncompressed strips are copied lock-free from a memory map; compressed or tiled pages are
/// decoded by a pool of libtiff handles, one per concurrent reader). Owns its file descriptor,
/// map and handles; the file stays open (and may be replaced on disk) while the stack lives.
class TiffStack {
public:
    /// Opens and indexes `path`. Throws IoError (naming file and page) on anything it cannot
    /// read: not a TIFF, truncated, no pages, mixed page sizes/types, RGB/palette/1-bit,
    /// absurd header dimensions, unreadable path.
    static std::unique_ptr<TiffStack> open(const std::filesystem::path& path);
    virtual ~TiffStack() = default;

    /// What open() found. Any thread; valid while the stack lives.
    virtual const StackInfo& info() const = 0;

    /// Decodes slice z into `dst` (height*width voxels of the stack's own dtype, caller-owned).
    /// Throws IoError naming the page when its data cannot be decoded.
    virtual void readSlice(std::int64_t z, void* dst) const = 0;

    /// Decodes slice z and converts to float (no rescaling: raw voxel values).
    virtual void readSliceF32(std::int64_t z, float* dst) const = 0;

    /// Zero-copy view of slice z (height*width voxels of the stack's dtype) straight from the
    /// memory-mapped file, or nullptr when the slice is compressed, tiled, split into
    /// non-adjacent strips or in foreign byte order (then use readSlice). Valid while the
    /// stack lives; any thread. Touching it may fault if the file is truncated meanwhile.
    virtual const void* mappedSlice(std::int64_t z) const = 0;
    /// Drops the pages of mappedSlice(z) from this process's resident set (they stay in the
    /// page cache), e.g. after reading one column of it. No-op for stacks not mapped. Any thread.
    virtual void releaseMappedSlice(std::int64_t z) const { (void)z; }

    /// Reads every slice into memory. T must match info().dtype, else IoError(Unsupported);
    /// a stack larger than physical RAM is IoError(Unsupported) too (read it slice by slice).
    /// Uncompressed contiguous data is copied once from the map; otherwise up to 4 threads
    /// decode slices. Progress is reported on the calling thread; `cancel` is polled between
    /// slices (throws Cancelled). Explicitly instantiated for uint8_t, uint16_t and float.
    template <class T>
    Volume<T> readAll(ProgressSink* progress = nullptr, const CancelToken* cancel = nullptr) const;
};

/// Convenience: open + readAll for a stack of known type. Throws IoError on mismatch.
VolumeU8 readStackU8(const std::filesystem::path& path);
VolumeU16 readStackU16(const std::filesystem::path& path);
VolumeF32 readStackF32(const std::filesystem::path& path);

/// Reads a mask or label volume of any integer type as uint8 labels. With `binarize`, every
/// non-zero voxel becomes 1 (0/255 masks from Fiji); otherwise values above 255 are an error.
VolumeU8 readLabels(const std::filesystem::path& path, bool binarize);

/// Reads slice z of `stack` as uint8 labels, as readLabels does for the whole stack (same
/// binarizing and the same errors), into `dst` (height * width). `scratch` is reused between
/// calls for stacks that are not uint8. For streaming a mask slice by slice. Any thread, each
/// with its own scratch.
void readLabelSlice(const TiffStack& stack, std::int64_t z, bool binarize, std::uint8_t* dst, std::vector<float>& scratch);

}  // namespace mitoseg
