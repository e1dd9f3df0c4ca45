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
#include "core/io/TiffSupport.h"

namespace mitoseg {

namespace {

using Kind = IoError::Kind;

constexpr std::uint64_t kClassicLimit = (std::uint64_t{1} << 32) - (std::uint64_t{1} << 26);  // leave room for IFDs
constexpr std::uint64_t kCompressedStripBytes = 256 * 1024;

std::uint16_t tiffCompression(TiffCompression c)
{
    switch (c) {
    case TiffCompression::None: return COMPRESSION_NONE;
    case TiffCompression::Lzw: return COMPRESSION_LZW;
    case TiffCompression::Deflate: return COMPRESSION_ADOBE_DEFLATE;
    case TiffCompression::PackBits: return COMPRESSION_PACKBITS;
    }
    return COMPRESSION_NONE;
}

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
    if (s.depth <= 0 || s.height <= 0 || s.width <= 0)
        throw IoError(Kind::WriteFailed, path, -1, "cannot write an empty volume");
    if (s.height > UINT32_MAX || s.width > UINT32_MAX || s.depth > INT32_MAX ||
        volume.values().size() != static_cast<std::size_t>(s.voxels()))
        throw IoError(Kind::WriteFailed, path, -1, "volume shape is invalid for a TIFF stack");

    const std::uint64_t bpp = sizeof(T);
    const std::uint64_t rowBytes = static_cast<std::uint64_t>(s.width) * bpp;
    const std::uint64_t sliceBytes = rowBytes * static_cast<std::uint64_t>(s.height);
    const bool big = options.forceBigTiff || sliceBytes * static_cast<std::uint64_t>(s.depth) > kClassicLimit;
    const std::uint16_t compression = tiffCompression(options.compression);
    std::uint32_t rowsPerStrip = static_cast<std::uint32_t>(s.height);
    if (compression != COMPRESSION_NONE)
        rowsPerStrip = static_cast<std::uint32_t>(
            std::clamp<std::uint64_t>(kCompressedStripBytes / rowBytes, 1, static_cast<std::uint64_t>(s.height)));
    const std::string description = options.imageJ ? imageJDescription(s.depth, volume.spacing, displayRange(volume)) : "";
    const std::string unit = normaliseUnit(volume.spacing.unit);
    const bool calibrated = unit != "px" && volume.spacing.x > 0 && volume.spacing.y > 0;

    TempFile temp(path);
    tiff::Handle handle;
    if (!handle.openWrite(temp.fd(), temp.path(), big)) {
        throw IoError(Kind::WriteFailed, path, -1, "libtiff cannot create the file" + handle.log().suffix());
    }
    temp.releaseFd();
    TIFF* tif = handle.get();
    auto fail = [&](std::int64_t page, const std::string& what) {
        throw IoError(Kind::WriteFailed, path, page, what + handle.log().suffix());
    };
    std::vector<std::uint8_t> buffer;
    for (std::int64_t z = 0; z < s.depth; ++z) {
        handle.log().clear();
        TIFFSetField(tif, TIFFTAG_SUBFILETYPE, 0);
        TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, static_cast<std::uint32_t>(s.width));
        TIFFSetField(tif, TIFFTAG_IMAGELENGTH, static_cast<std::uint32_t>(s.height));
        TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, static_cast<std::uint16_t>(8 * bpp));
        TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, static_cast<std::uint16_t>(1));
        TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT,
                     static_cast<std::uint16_t>(std::is_same_v<T, float> ? SAMPLEFORMAT_IEEEFP : SAMPLEFORMAT_UINT));
        TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
        TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
        TIFFSetField(tif, TIFFTAG_COMPRESSION, compression);
        if ((compression == COMPRESSION_LZW || compression == COMPRESSION_ADOBE_DEFLATE) && !std::is_same_v<T, float>)
            TIFFSetField(tif, TIFFTAG_PREDICTOR, PREDICTOR_HORIZONTAL);
        TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, rowsPerStrip);
        if (z == 0 && !description.empty())
            TIFFSetField(tif, TIFFTAG_IMAGEDESCRIPTION, description.c_str());
        TIFFSetField(tif, TIFFTAG_SOFTWARE, "Mitoseg Studio");
        if (calibrated) {
            TIFFSetField(tif, TIFFTAG_XRESOLUTION, 1.0 / volume.spacing.x);
            TIFFSetField(tif, TIFFTAG_YRESOLUTION, 1.0 / volume.spacing.y);
        } else {
            TIFFSetField(tif, TIFFTAG_XRESOLUTION, 1.0);
            TIFFSetField(tif, TIFFTAG_YRESOLUTION, 1.0);
        }
        TIFFSetField(tif, TIFFTAG_RESOLUTIONUNIT, RESUNIT_NONE);

        const auto* src = reinterpret_cast<const std::uint8_t*>(volume.slice(z));
        for (std::uint64_t row = 0, strip = 0; row < static_cast<std::uint64_t>(s.height); row += rowsPerStrip, ++strip) {
            const std::uint64_t rows = std::min<std::uint64_t>(rowsPerStrip, static_cast<std::uint64_t>(s.height) - row);
            const std::size_t bytes = static_cast<std::size_t>(rows * rowBytes);
            // libtiff's predictor and byte swapping work in place: give it a copy.
            buffer.assign(src + row * rowBytes, src + row * rowBytes + bytes);
            if (TIFFWriteEncodedStrip(tif, static_cast<std::uint32_t>(strip), buffer.data(), static_cast<tmsize_t>(bytes)) < 0)
                fail(z, "cannot write strip " + std::to_string(strip));
        }
        if (!TIFFWriteDirectory(tif))
            fail(z, "cannot write the page directory");
        if (progress)
            progress->progress(static_cast<double>(z + 1), static_cast<double>(s.depth), "writing slices");
    }
    handle.log().clear();
    if (!TIFFFlush(tif))
        fail(-1, "cannot flush the file");
    if (::fsync(TIFFFileno(tif)) != 0)
        fail(-1, std::string("cannot sync the file to disk: ") + std::strerror(errno));
    if (!handle.close())
        fail(-1, "cannot close the file");
    temp.commit();
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
