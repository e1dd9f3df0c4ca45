#pragma once
// The grey-value stack shown in the studio, read slice by slice: a lazily read TIFF stack
// (TiffStack) or an in-memory volume (the demo, tests). readSliceF32 is thread-safe, so the
// segmentation worker may read while the GUI thread shows slices. The slice cache is for the
// GUI thread only.
#include <QString>

#include <cstdint>
#include <filesystem>
#include <list>
#include <memory>
#include <vector>

#include "core/base/Volume.h"

namespace mitoseg::ui {

class ImageSource {
public:
    virtual ~ImageSource() = default;
    virtual Shape shape() const = 0;
    virtual Spacing spacing() const = 0;
    /// File the stack comes from; empty for in-memory volumes.
    virtual QString path() const = 0;
    /// Human-readable name (file name or "demo").
    virtual QString name() const = 0;
    /// Raw voxel values of slice z as float. Any thread.
    virtual void readSliceF32(std::int64_t z, float* dst) const = 0;
    /// One line of slice z as float: row `at` (width values) when `row`, else column `at`
    /// (height values). For the XZ / YZ views: a memory-mapped stack reads only that line.
    /// Any thread. The default reads the whole slice.
    virtual void readLineF32(std::int64_t z, bool row, std::int64_t at, float* dst) const;

    /// Slice z from a small LRU cache (GUI thread only). Valid until the next call. Throws
    /// mitoseg::IoError (naming the file and page) when the slice cannot be read.
    const std::vector<float>& cachedSlice(std::int64_t z) const;
    /// Slice z from the same cache (GUI thread only; valid until the next call), or nullptr
    /// when it cannot be read, with the reason (the error naming the file and page) in `error`.
    /// A failed read is remembered with the cached slices, so painting does not retry it.
    const float* trySlice(std::int64_t z, QString* error = nullptr) const;

    /// An in-memory source owning `volume`.
    static std::shared_ptr<ImageSource> fromVolume(VolumeU8 volume, const QString& name);
    /// Opens a TIFF stack lazily; throws mitoseg::IoError naming the file on bad input.
    static std::shared_ptr<ImageSource> openTiff(const std::filesystem::path& path);

private:
    struct Entry {
        std::int64_t z;
        std::vector<float> values;
        QString error;   ///< why slice z cannot be read; values are empty then
    };
    const Entry& entry(std::int64_t z) const;
    mutable std::list<Entry> cache_;
};

/// Percentile levels (e.g. 0.5 % and 99.5 %) of a slice of n values, for auto contrast.
std::pair<float, float> percentileLevels(const float* values, std::int64_t n, double lowPercent, double highPercent);

}  // namespace mitoseg::ui
