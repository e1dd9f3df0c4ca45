#include "core/io/TiffWriter.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include "core/base/AtomicFile.h"
#include "core/base/Error.h"
#include "core/io/ImageJMetadata.h"
#include "core/io/TiffSliceWriter.h"

namespace mitoseg {

namespace {

using Kind = IoError::Kind;

template <class T>
std::optional<std::pair<double, double>> displayRange(const Volume<T>& v)
{
    if constexpr (std::is_same_v<T, std::uint8_t>) {
        return std::nullopt;
    } else {
        if (v.values().empty())
            return std::nullopt;
        auto [lo, hi] = std::minmax_element(v.values().begin(), v.values().end());
        return std::make_pair(static_cast<double>(*lo), static_cast<double>(*hi));
    }
}

template <class T>
void writeImpl(const std::filesystem::path& path, const Volume<T>& volume, const TiffWriteOptions& options,
               ProgressSink* progress)
{
    const Shape s = volume.shape();
    if (s.voxels() > 0 && volume.values().size() != static_cast<std::size_t>(s.voxels()))
        throw IoError(Kind::WriteFailed, path, -1, "volume shape is invalid for a TIFF stack");
    constexpr SampleType type = std::is_same_v<T, std::uint8_t>    ? SampleType::U8
                                : std::is_same_v<T, std::uint16_t> ? SampleType::U16
                                                                   : SampleType::F32;
    TiffSliceWriter writer(path, type, s, volume.spacing, options, displayRange(volume));
    for (std::int64_t z = 0; z < s.depth; ++z) {
        writer.write(volume.slice(z));
        if (progress)
            progress->progress(static_cast<double>(z + 1), static_cast<double>(s.depth), "writing slices");
    }
    writer.commit();
}

}  // namespace

void writeStack(const std::filesystem::path& path, const VolumeU8& volume, const TiffWriteOptions& options,
                ProgressSink* progress)
{
    writeImpl(path, volume, options, progress);
}

void writeStack(const std::filesystem::path& path, const VolumeU16& volume, const TiffWriteOptions& options,
                ProgressSink* progress)
{
    writeImpl(path, volume, options, progress);
}

void writeStack(const std::filesystem::path& path, const VolumeF32& volume, const TiffWriteOptions& options,
                ProgressSink* progress)
{
    writeImpl(path, volume, options, progress);
}

void writeMask(const std::filesystem::path& path, const VolumeU8& labels, const TiffWriteOptions& options)
{
    const bool binary = std::all_of(labels.values().begin(), labels.values().end(), [](std::uint8_t v) { return v <= 1; });
    if (!binary) {
        writeStack(path, labels, options);
        return;
    }
    VolumeU8 mask = labels;
    for (auto& v : mask.values())
        v = v ? 255 : 0;
    writeStack(path, mask, options);
}

}  // namespace mitoseg
