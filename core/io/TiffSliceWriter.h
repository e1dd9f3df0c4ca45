#pragma once
// Writes a multi-page TIFF stack one slice at a time, so a volume never has to be in memory:
// the pages go to a temporary file beside the target that commit() renames into place (a
// failure or an abandoned writer leaves any existing file untouched). One thread at a time.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "core/base/Volume.h"
#include "core/io/TiffWriter.h"

namespace mitoseg {

/// Sample type of a written stack.
enum class SampleType { U8, U16, F32 };

class TiffSliceWriter {
public:
    /// Creates the temporary file for a stack of `shape` (depth pages of height x width).
    /// `displayRange` goes into the ImageJ description (min/max for Fiji's display).
    /// Throws IoError(WriteFailed) naming `path`.
    TiffSliceWriter(const std::filesystem::path& path, SampleType type, const Shape& shape, const Spacing& spacing,
                    const TiffWriteOptions& options = {},
                    std::optional<std::pair<double, double>> displayRange = std::nullopt);
    /// Removes the temporary file unless commit() succeeded.
    ~TiffSliceWriter();
    TiffSliceWriter(const TiffSliceWriter&) = delete;
    TiffSliceWriter& operator=(const TiffSliceWriter&) = delete;

    /// Appends the next page: height * width samples of the writer's type, row-major.
    /// Throws IoError(WriteFailed) naming the file and page, or when all pages are written.
    void write(const void* slice);
    /// Pages written so far.
    std::int64_t written() const;
    /// After the last page: flushes, syncs and renames into place. Throws IoError(WriteFailed)
    /// (also when fewer pages than the shape's depth were written).
    void commit();
    /// Commits several finished stacks together (e.g. the mask and the probability of one
    /// prediction): every target is replaced or none is (see TempFile::commitTogether).
    static void commitTogether(const std::vector<TiffSliceWriter*>& writers);

private:
    /// Flushes, syncs and closes the temporary file (everything of commit() but the rename).
    void finish();
    struct State;
    std::unique_ptr<State> s_;
};

}  // namespace mitoseg
