#pragma once
// An out-of-core uint8 label volume: one chunk per slice, run-length encoded (raw when that is
// not smaller, e.g. 8-bit probabilities), sparse (an
// all-zero slice holds no bytes), an LRU cache of decoded slices bounded in bytes, and encoded
// chunks beyond a second byte bound spilled to an anonymous scratch file ($TMPDIR, see
// openScratchFile). Encoded chunks are immutable and shared, so snapshot() is cheap (it encodes
// only the dirty cached slices and copies one pointer per slice) and a snapshot stays valid
// while edits go on. Limits default to shares of mitoseg::memoryBudget().
//
// Threading: a SliceStore is used by one thread at a time (its cache is guarded, so const reads
// from several threads are safe too). A SliceSnapshot may be read from any thread, concurrently
// with the store it came from.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/base/Volume.h"
#include "core/labels/Box.h"

namespace mitoseg::labels {

namespace detail {
struct SliceChunk;
class SpillFile;
}  // namespace detail

/// Run-length encoding of one slice (the store's chunk format): pairs of (value, run length as
/// a LEB128 varint). Exposed for measurement and tests.
std::vector<std::uint8_t> encodeSliceRle(const std::uint8_t* data, std::size_t n);
/// Decodes `bytes` into exactly `n` values; throws std::runtime_error on malformed input.
void decodeSliceRle(const std::uint8_t* bytes, std::size_t size, std::uint8_t* out, std::size_t n);

/// A decoded slice handed out by the store: height*width values, row-major. Later edits of the
/// store do not change it (the store copies a slice that is still held before writing to it).
using SliceData = std::shared_ptr<const std::vector<std::uint8_t>>;

/// A held slice that reads like a pointer: `ref[i]`, `ref.data()`, false when there is none.
class SliceRef {
public:
    SliceRef() = default;
    SliceRef(SliceData data) : data_(std::move(data)) {}
    const std::uint8_t* data() const { return data_ ? data_->data() : nullptr; }
    std::uint8_t operator[](std::size_t i) const { return (*data_)[i]; }
    explicit operator bool() const { return data_ != nullptr; }

private:
    SliceData data_;
};

/// A frozen, consistent copy of a SliceStore (shared immutable chunks). Any thread.
class SliceSnapshot {
public:
    SliceSnapshot() = default;
    const Shape& shape() const { return shape_; }
    /// True when slice z is all background (holds no bytes).
    bool sliceEmpty(std::int64_t z) const;
    /// Decodes slice z into `out` (height*width values).
    void readSlice(std::int64_t z, std::uint8_t* out) const;

private:
    friend class SliceStore;
    Shape shape_;
    std::vector<std::shared_ptr<const detail::SliceChunk>> chunks_;
};

class SliceStore {
public:
    /// Memory held by the store, for tests and benches.
    struct Stats {
        std::int64_t cachedSlices = 0;
        std::size_t cachedBytes = 0;      ///< decoded slices in the cache
        std::size_t encodedBytes = 0;     ///< encoded chunks held in memory
        std::size_t spilledBytes = 0;     ///< encoded chunks in the scratch file (live ones)
        std::int64_t spilledChunks = 0;
        std::uint64_t spillFileBytes = 0; ///< length of the scratch file (live chunks, chunks snapshots hold, free gaps)
        std::int64_t nonEmptySlices = 0;
        bool spillFailed = false;         ///< the scratch file failed: chunks stay in memory
    };

    /// An all-background store of `shape`, with the default limits (defaultCacheBytes,
    /// defaultEncodedBytes).
    explicit SliceStore(Shape shape = {});
    /// A store holding the values of `volume` (encoded slice by slice).
    static SliceStore fromVolume(const VolumeU8& volume);
    /// A store holding a snapshot's content (cheap: shares its chunks).
    static SliceStore fromSnapshot(const SliceSnapshot& snapshot);
    ~SliceStore();
    SliceStore(SliceStore&&) noexcept;
    SliceStore& operator=(SliceStore&&) noexcept;

    /// Default bound of the decoded-slice cache: 1/8 of memoryBudget().
    static std::size_t defaultCacheBytes();
    /// Default bound of the encoded chunks kept in memory before spilling: 1/16 of memoryBudget().
    static std::size_t defaultEncodedBytes();
    /// Sets both bounds (the cache always keeps at least two slices). Applied at once.
    void setLimits(std::size_t cacheBytes, std::size_t encodedBytes);

    const Shape& shape() const;
    /// Value of one voxel (decodes its slice through the cache).
    std::uint8_t operator()(std::int64_t z, std::int64_t y, std::int64_t x) const;
    /// Slice z decoded (shared, see SliceData).
    SliceData slice(std::int64_t z) const;
    /// Copies slice z into `out` (height*width values).
    void readSlice(std::int64_t z, std::uint8_t* out) const;
    /// Copies row y of slice z into `out` (width values).
    void readRow(std::int64_t z, std::int64_t y, std::uint8_t* out) const;
    /// The values of `box` in raster order (z, y, x).
    std::vector<std::uint8_t> readBox(const Box& box) const;
    /// True when slice z is all background (cheap for slices not in the cache).
    bool sliceEmpty(std::int64_t z) const;

    /// Replaces slice z by `values` (height*width).
    void writeSlice(std::int64_t z, const std::uint8_t* values);
    /// Writes `values` (raster order of `box`, inside the volume) into the box.
    void writeBox(const Box& box, const std::uint8_t* values);
    /// Sets every voxel to background.
    void clear();

    /// A consistent copy of the current content; encodes the dirty cached slices first.
    SliceSnapshot snapshot() const;
    /// The whole volume in memory (small stacks, tests).
    VolumeU8 toVolume() const;
    Stats stats() const;

private:
    struct Impl;
    std::unique_ptr<Impl> d_;
};

}  // namespace mitoseg::labels
