#include "core/io/TiffSliceWriter.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

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

std::uint64_t bytesPerSample(SampleType t) { return t == SampleType::U8 ? 1 : t == SampleType::U16 ? 2 : 4; }

}  // namespace

struct TiffSliceWriter::State {
    std::filesystem::path path;
    SampleType type;
    Shape shape;
    Spacing spacing;
    std::uint16_t compression = COMPRESSION_NONE;
    std::uint32_t rowsPerStrip = 0;
    std::uint64_t rowBytes = 0;
    std::string description;
    bool calibrated = false;
    std::int64_t next = 0;
    bool committed = false;
    TempFile temp;
    tiff::Handle handle;
    std::vector<std::uint8_t> buffer;

    explicit State(const std::filesystem::path& p) : path(p), temp(p) {}
    [[noreturn]] void fail(std::int64_t page, const std::string& what)
    {
        throw IoError(Kind::WriteFailed, path, page, what + handle.log().suffix());
    }
};

TiffSliceWriter::TiffSliceWriter(const std::filesystem::path& path, SampleType type, const Shape& shape,
                                 const Spacing& spacing, const TiffWriteOptions& options,
                                 std::optional<std::pair<double, double>> displayRange)
{
    if (shape.depth <= 0 || shape.height <= 0 || shape.width <= 0)
        throw IoError(Kind::WriteFailed, path, -1, "cannot write an empty volume");
    if (shape.height > UINT32_MAX || shape.width > UINT32_MAX || shape.depth > INT32_MAX)
        throw IoError(Kind::WriteFailed, path, -1, "volume shape is invalid for a TIFF stack");
    s_ = std::make_unique<State>(path);
    State& s = *s_;
    s.type = type;
    s.shape = shape;
    s.spacing = spacing;
    s.rowBytes = static_cast<std::uint64_t>(shape.width) * bytesPerSample(type);
    const std::uint64_t sliceBytes = s.rowBytes * static_cast<std::uint64_t>(shape.height);
    const bool big = options.forceBigTiff || sliceBytes * static_cast<std::uint64_t>(shape.depth) > kClassicLimit;
    s.compression = tiffCompression(options.compression);
    s.rowsPerStrip = static_cast<std::uint32_t>(shape.height);
    if (s.compression != COMPRESSION_NONE)
        s.rowsPerStrip = static_cast<std::uint32_t>(
            std::clamp<std::uint64_t>(kCompressedStripBytes / s.rowBytes, 1, static_cast<std::uint64_t>(shape.height)));
    if (type == SampleType::U8)
        displayRange.reset();
    s.description = options.imageJ ? imageJDescription(shape.depth, spacing, displayRange) : "";
    s.calibrated = normaliseUnit(spacing.unit) != "px" && spacing.x > 0 && spacing.y > 0;
    if (!s.handle.openWrite(s.temp.fd(), s.temp.path(), big))
        throw IoError(Kind::WriteFailed, path, -1, "libtiff cannot create the file" + s.handle.log().suffix());
    s.temp.releaseFd();
}

TiffSliceWriter::~TiffSliceWriter() = default;

std::int64_t TiffSliceWriter::written() const { return s_->next; }

void TiffSliceWriter::write(const void* slice)
{
    State& s = *s_;
    const std::int64_t z = s.next;
    if (s.committed || z >= s.shape.depth)
        s.fail(z, "more pages than the stack's depth");
    TIFF* tif = s.handle.get();
    const std::uint64_t bpp = bytesPerSample(s.type);
    s.handle.log().clear();
    TIFFSetField(tif, TIFFTAG_SUBFILETYPE, 0);
    TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, static_cast<std::uint32_t>(s.shape.width));
    TIFFSetField(tif, TIFFTAG_IMAGELENGTH, static_cast<std::uint32_t>(s.shape.height));
    TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, static_cast<std::uint16_t>(8 * bpp));
    TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, static_cast<std::uint16_t>(1));
    TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT,
                 static_cast<std::uint16_t>(s.type == SampleType::F32 ? SAMPLEFORMAT_IEEEFP : SAMPLEFORMAT_UINT));
    TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
    TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
    TIFFSetField(tif, TIFFTAG_COMPRESSION, s.compression);
    if ((s.compression == COMPRESSION_LZW || s.compression == COMPRESSION_ADOBE_DEFLATE) && s.type != SampleType::F32)
        TIFFSetField(tif, TIFFTAG_PREDICTOR, PREDICTOR_HORIZONTAL);
    TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, s.rowsPerStrip);
    if (z == 0 && !s.description.empty())
        TIFFSetField(tif, TIFFTAG_IMAGEDESCRIPTION, s.description.c_str());
    TIFFSetField(tif, TIFFTAG_SOFTWARE, "Mitoseg Studio");
    if (s.calibrated) {
        TIFFSetField(tif, TIFFTAG_XRESOLUTION, 1.0 / s.spacing.x);
        TIFFSetField(tif, TIFFTAG_YRESOLUTION, 1.0 / s.spacing.y);
    } else {
        TIFFSetField(tif, TIFFTAG_XRESOLUTION, 1.0);
        TIFFSetField(tif, TIFFTAG_YRESOLUTION, 1.0);
    }
    TIFFSetField(tif, TIFFTAG_RESOLUTIONUNIT, RESUNIT_NONE);

    const auto* src = static_cast<const std::uint8_t*>(slice);
    const auto height = static_cast<std::uint64_t>(s.shape.height);
    for (std::uint64_t row = 0, strip = 0; row < height; row += s.rowsPerStrip, ++strip) {
        const std::uint64_t rows = std::min<std::uint64_t>(s.rowsPerStrip, height - row);
        const std::size_t bytes = static_cast<std::size_t>(rows * s.rowBytes);
        // libtiff's predictor and byte swapping work in place: give it a copy.
        s.buffer.assign(src + row * s.rowBytes, src + row * s.rowBytes + bytes);
        if (TIFFWriteEncodedStrip(tif, static_cast<std::uint32_t>(strip), s.buffer.data(), static_cast<tmsize_t>(bytes)) < 0)
            s.fail(z, "cannot write strip " + std::to_string(strip));
    }
    if (!TIFFWriteDirectory(tif))
        s.fail(z, "cannot write the page directory");
    ++s.next;
}

void TiffSliceWriter::finish()
{
    State& s = *s_;
    if (s.committed)
        s.fail(-1, "already committed");
    if (s.next != s.shape.depth)
        s.fail(-1, "only " + std::to_string(s.next) + " of " + std::to_string(s.shape.depth) + " pages were written");
    TIFF* tif = s.handle.get();
    s.handle.log().clear();
    if (!TIFFFlush(tif))
        s.fail(-1, "cannot flush the file");
    if (::fsync(TIFFFileno(tif)) != 0)
        s.fail(-1, std::string("cannot sync the file to disk: ") + std::strerror(errno));
    if (!s.handle.close())
        s.fail(-1, "cannot close the file");
}

void TiffSliceWriter::commit()
{
    finish();
    s_->temp.commit();
    s_->committed = true;
}

void TiffSliceWriter::commitTogether(const std::vector<TiffSliceWriter*>& writers)
{
    std::vector<TempFile*> temps;
    for (TiffSliceWriter* w : writers) {
        w->finish();
        temps.push_back(&w->s_->temp);
    }
    TempFile::commitTogether(temps);
    for (TiffSliceWriter* w : writers)
        w->s_->committed = true;
}

}  // namespace mitoseg
