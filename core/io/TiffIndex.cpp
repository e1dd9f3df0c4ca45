#include "core/io/TiffIndex.h"

#include <unistd.h>

#include <bit>
#include <cstring>
#include <unordered_set>

#include "core/io/ImageJMetadata.h"

namespace mitoseg::tiff {

namespace {

using Kind = IoError::Kind;

constexpr std::uint64_t kMaxSlicePixels = std::uint64_t{1} << 31;

/// Upper bound of how much one compressed byte can expand to, per codec (deflate ~1032:1,
/// 12-bit LZW codes ~2730:1, PackBits 2 bytes -> 128). Used to reject lying headers.
std::uint64_t maxExpansion(std::uint16_t compression)
{
    switch (compression) {
    case COMPRESSION_PACKBITS: return 130;
    case COMPRESSION_ADOBE_DEFLATE:
    case COMPRESSION_DEFLATE: return 1100;
    case COMPRESSION_LZW: return 2800;
    default: return 1;
    }
}

bool supportedCompression(std::uint16_t c)
{
    return c == COMPRESSION_NONE || c == COMPRESSION_LZW || c == COMPRESSION_ADOBE_DEFLATE ||
           c == COMPRESSION_DEFLATE || c == COMPRESSION_PACKBITS;
}

std::string photometricName(std::uint16_t p)
{
    switch (p) {
    case PHOTOMETRIC_RGB: return "RGB";
    case PHOTOMETRIC_PALETTE: return "palette";
    case PHOTOMETRIC_MASK: return "transparency mask";
    case PHOTOMETRIC_SEPARATED: return "CMYK";
    case PHOTOMETRIC_YCBCR: return "YCbCr";
    case PHOTOMETRIC_CIELAB:
    case PHOTOMETRIC_ICCLAB:
    case PHOTOMETRIC_ITULAB: return "Lab";
    default: return "code " + std::to_string(p);
    }
}

std::string shapeText(std::uint64_t w, std::uint64_t h) { return std::to_string(w) + " x " + std::to_string(h); }

struct PageFormat {
    std::uint32_t width = 0, height = 0;
    DType dtype = DType::U8;
};

PageFormat readFormat(TIFF* tif, const std::filesystem::path& path, std::int64_t page)
{
    PageFormat f;
    if (!TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &f.width) || !TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &f.height))
        throw IoError(Kind::Corrupt, path, page, "missing ImageWidth/ImageLength");
    std::uint16_t spp = 1, bps = 1, fmt = SAMPLEFORMAT_UINT, photo = PHOTOMETRIC_MINISBLACK;
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
    TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bps);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &fmt);
    const bool hasPhoto = TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &photo) != 0;
    if (hasPhoto && photo != PHOTOMETRIC_MINISBLACK && photo != PHOTOMETRIC_MINISWHITE)
        throw IoError(Kind::Unsupported, path, page,
                      photometricName(photo) + " image (PhotometricInterpretation " + std::to_string(photo) +
                          ", " + std::to_string(spp) + " samples per pixel): only grayscale stacks are supported; "
                          "convert it to 8/16-bit grayscale first");
    if (spp != 1)
        throw IoError(Kind::Unsupported, path, page,
                      std::to_string(spp) + " samples per pixel (colour or multi-channel): only single-channel "
                                            "grayscale stacks are supported");
    if (bps == 1)
        throw IoError(Kind::Unsupported, path, page, "1-bit (bilevel) image: only 8/16-bit and float32 grayscale are supported");
    if (fmt == SAMPLEFORMAT_INT)
        throw IoError(Kind::Unsupported, path, page,
                      "signed " + std::to_string(bps) + "-bit integers: only uint8, uint16 and float32 are supported");
    if (fmt == SAMPLEFORMAT_IEEEFP) {
        if (bps != 32)
            throw IoError(Kind::Unsupported, path, page,
                          std::to_string(bps) + "-bit floating point: only float32 is supported");
        f.dtype = DType::F32;
    } else if (fmt == SAMPLEFORMAT_UINT || fmt == SAMPLEFORMAT_VOID) {
        if (bps == 8)
            f.dtype = DType::U8;
        else if (bps == 16)
            f.dtype = DType::U16;
        else
            throw IoError(Kind::Unsupported, path, page,
                          std::to_string(bps) + "-bit samples: only uint8, uint16 and float32 are supported");
    } else {
        throw IoError(Kind::Unsupported, path, page,
                      "sample format " + std::to_string(fmt) + " (complex data): only uint8, uint16 and float32 are supported");
    }
    if (f.width == 0 || f.height == 0)
        throw IoError(Kind::Corrupt, path, page, "zero-sized image (" + shapeText(f.width, f.height) + ")");
    if (std::uint64_t{f.width} * f.height > kMaxSlicePixels)
        throw IoError(Kind::Unsupported, path, page,
                      "absurd image size " + shapeText(f.width, f.height) + " (over 2^31 pixels per slice)");
    return f;
}

/// Reads strips/tiles of the current directory into `p`, checking them against the file.
void readLayout(TIFF* tif, const PageFormat& f, Page& p, const std::filesystem::path& path, std::uint64_t fileSize)
{
    const std::int64_t page = p.ifdNumber;
    TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &p.compression);
    if (!supportedCompression(p.compression))
        throw IoError(Kind::Unsupported, path, page,
                      "compression " + compressionName(p.compression) +
                          " is not supported (none, LZW, Deflate/zlib and PackBits are)");
    std::uint16_t planar = PLANARCONFIG_CONTIG, fill = FILLORDER_MSB2LSB;
    TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &planar);
    TIFFGetFieldDefaulted(tif, TIFFTAG_FILLORDER, &fill);
    const std::uint64_t bytesPerPixel = dtypeSize(f.dtype);
    const std::uint64_t sliceBytes = std::uint64_t{f.width} * f.height * bytesPerPixel;
    const std::uint64_t rowBytes = std::uint64_t{f.width} * bytesPerPixel;

    p.tiled = TIFFIsTiled(tif) != 0;
    std::uint64_t count = 0;
    std::uint64_t decodedBytes = sliceBytes;  // what the striles decode to (tiles pad the edges)
    if (p.tiled) {
        if (!TIFFGetField(tif, TIFFTAG_TILEWIDTH, &p.tileWidth) || !TIFFGetField(tif, TIFFTAG_TILELENGTH, &p.tileHeight) ||
            p.tileWidth == 0 || p.tileHeight == 0)
            throw IoError(Kind::Corrupt, path, page, "tiled image without a valid tile size");
        if (std::uint64_t{p.tileWidth} * p.tileHeight > kMaxSlicePixels)
            throw IoError(Kind::Unsupported, path, page,
                          "absurd tile size " + shapeText(p.tileWidth, p.tileHeight));
        const std::uint64_t across = (std::uint64_t{f.width} + p.tileWidth - 1) / p.tileWidth;
        const std::uint64_t down = (std::uint64_t{f.height} + p.tileHeight - 1) / p.tileHeight;
        count = across * down;
        decodedBytes = count * p.tileWidth * p.tileHeight * bytesPerPixel;
        if (TIFFNumberOfTiles(tif) != count)
            throw IoError(Kind::Corrupt, path, page, "tile count does not match the image size");
    } else {
        std::uint32_t rps = f.height;
        TIFFGetFieldDefaulted(tif, TIFFTAG_ROWSPERSTRIP, &rps);
        p.rowsPerStrip = rps == 0 || rps > f.height ? f.height : rps;
        count = (std::uint64_t{f.height} + p.rowsPerStrip - 1) / p.rowsPerStrip;
        if (TIFFNumberOfStrips(tif) != count)
            throw IoError(Kind::Corrupt, path, page, "strip count does not match the image size");
    }
    (void)planar;  // one sample per pixel: planar configuration is irrelevant

    const char* what = p.tiled ? "tile" : "strip";
    const bool raw = !p.tiled && p.compression == COMPRESSION_NONE && fill == FILLORDER_MSB2LSB;
    std::uint64_t total = 0;
    for (std::uint64_t i = 0; i < count; ++i) {
        int err = 0;
        const std::uint64_t off = TIFFGetStrileOffsetWithErr(tif, static_cast<std::uint32_t>(i), &err);
        const std::uint64_t len = err ? 0 : TIFFGetStrileByteCountWithErr(tif, static_cast<std::uint32_t>(i), &err);
        if (err)
            throw IoError(Kind::Corrupt, path, page, std::string("unreadable ") + what + " table");
        if (off > fileSize || len > fileSize - off)
            throw IoError(Kind::Truncated, path, page,
                          std::string(what) + " " + std::to_string(i) + " (offset " + std::to_string(off) + ", " +
                              std::to_string(len) + " bytes) extends beyond the end of the file (" +
                              std::to_string(fileSize) + " bytes): the file is truncated or damaged");
        total += len;
        if (p.compression == COMPRESSION_NONE && !p.tiled) {
            const std::uint64_t rows = std::min<std::uint64_t>(p.rowsPerStrip, f.height - i * p.rowsPerStrip);
            const std::uint64_t need = rows * rowBytes;
            if (len < need)
                throw IoError(Kind::Truncated, path, page,
                              "strip " + std::to_string(i) + " holds " + std::to_string(len) + " bytes but " +
                                  std::to_string(need) + " are needed: the file is truncated or damaged");
            if (raw) {
                if (!p.rawRuns.empty() && p.rawRuns.back().first + p.rawRuns.back().second == off)
                    p.rawRuns.back().second += need;
                else
                    p.rawRuns.emplace_back(off, need);
            }
        }
    }
    if (p.compression == COMPRESSION_NONE) {
        if (p.tiled && total < decodedBytes)
            throw IoError(Kind::Truncated, path, page,
                          "tiles hold " + std::to_string(total) + " bytes but " + std::to_string(decodedBytes) +
                              " are needed: the file is truncated or damaged");
    } else if (total == 0 || total > UINT64_MAX / 4096 || total * maxExpansion(p.compression) < decodedBytes) {
        throw IoError(Kind::Corrupt, path, page,
                      "declares " + shapeText(f.width, f.height) + " pixels but holds only " + std::to_string(total) +
                          " compressed bytes: the header is damaged or lying");
    }
}

ResolutionTags readResolution(TIFF* tif)
{
    ResolutionTags t;
    float v = 0;
    std::uint16_t unit = 0;
    if (TIFFGetField(tif, TIFFTAG_XRESOLUTION, &v))
        t.xResolution = v;
    if (TIFFGetField(tif, TIFFTAG_YRESOLUTION, &v))
        t.yResolution = v;
    if (TIFFGetField(tif, TIFFTAG_RESOLUTIONUNIT, &unit))
        t.unit = unit;
    return t;
}

std::uint64_t readUnsigned(const unsigned char* b, int bytes, bool little)
{
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i)
        v |= std::uint64_t{b[little ? i : bytes - 1 - i]} << (8 * i);
    return v;
}

/// Offset of the IFD following the one at `ifd`, read straight from the file; UINT64_MAX when
/// the directory itself runs past the end of the file.
std::uint64_t nextIfdOffset(int fd, std::uint64_t ifd, bool big, bool little, std::uint64_t fileSize)
{
    unsigned char b[8] = {};
    const int countBytes = big ? 8 : 2, entryBytes = big ? 20 : 12, offsetBytes = big ? 8 : 4;
    if (ifd > fileSize || fileSize - ifd < static_cast<std::uint64_t>(countBytes) ||
        ::pread(fd, b, countBytes, static_cast<off_t>(ifd)) != countBytes)
        return UINT64_MAX;
    const std::uint64_t count = readUnsigned(b, countBytes, little);
    if (count > fileSize / entryBytes)
        return UINT64_MAX;
    const std::uint64_t at = ifd + countBytes + count * entryBytes;
    if (at > fileSize || fileSize - at < static_cast<std::uint64_t>(offsetBytes) ||
        ::pread(fd, b, offsetBytes, static_cast<off_t>(at)) != offsetBytes)
        return UINT64_MAX;
    return readUnsigned(b, offsetBytes, little);
}

/// ImageJ writes stacks over 4 GB with a single IFD: "images=N" in the description and the N
/// slices stored back to back after the first. Adds those slices when that is what the file holds.
void addImageJHiddenSlices(Index& index, const std::string& description, const PageFormat& f, std::uint64_t fileSize)
{
    const std::int64_t images = imageJImageCount(description);
    if (index.pages.size() != 1 || images <= 1 || index.pages[0].rawRuns.size() != 1)
        return;
    const Page first = index.pages[0];
    const std::uint64_t slice = std::uint64_t{f.width} * f.height * dtypeSize(f.dtype);
    const std::uint64_t start = first.rawRuns[0].first;
    if (first.rawRuns[0].second != slice || static_cast<std::uint64_t>(images) > (fileSize - start) / slice)
        return;  // not ImageJ's contiguous layout (or the file is cut short): keep the one page
    for (std::int64_t z = 1; z < images; ++z) {
        Page p = first;
        p.rawRuns[0].first = start + static_cast<std::uint64_t>(z) * slice;
        index.pages.push_back(std::move(p));
    }
}

}  // namespace

bool checkHeader(int fd, std::uint64_t fileSize, const std::filesystem::path& path)
{
    unsigned char h[16] = {};
    const ssize_t got = ::pread(fd, h, sizeof h, 0);
    if (got < 0)
        throw IoError(Kind::Unreadable, path, -1, std::string("cannot read: ") + std::strerror(errno));
    if (got < 8)
        throw IoError(Kind::NotTiff, path, -1, "not a TIFF file (only " + std::to_string(got) + " bytes long)");
    const bool little = h[0] == 'I' && h[1] == 'I';
    if (!(little || (h[0] == 'M' && h[1] == 'M')))
        throw IoError(Kind::NotTiff, path, -1, "not a TIFF file (no II/MM byte-order mark)");
    const std::uint64_t version = readUnsigned(h + 2, 2, little);
    if (version != 42 && version != 43)
        throw IoError(Kind::NotTiff, path, -1, "not a TIFF file (version " + std::to_string(version) + ", expected 42 or 43)");
    const bool big = version == 43;
    if (big && got < 16)
        throw IoError(Kind::Truncated, path, -1, "BigTIFF header is truncated");
    const std::uint64_t first = big ? readUnsigned(h + 8, 8, little) : readUnsigned(h + 4, 4, little);
    if (first == 0)
        throw IoError(Kind::Empty, path, -1, "the TIFF holds no pages (first IFD offset is 0)");
    if (first >= fileSize)
        throw IoError(Kind::Truncated, path, 0,
                      "first page directory at offset " + std::to_string(first) + " lies beyond the end of the file (" +
                          std::to_string(fileSize) + " bytes)");
    return big;
}

Index buildIndex(Handle& handle, int fd, const std::filesystem::path& path, std::uint64_t fileSize)
{
    TIFF* tif = handle.get();
    const bool little = std::endian::native == std::endian::little ? !TIFFIsByteSwapped(tif) : TIFFIsByteSwapped(tif);
    Index index;
    index.swapBytes = (TIFFIsBigEndian(tif) != 0) != (std::endian::native == std::endian::big);
    index.info.path = path;
    index.info.bigTiff = TIFFIsBigTIFF(tif) != 0;
    index.info.fileBytes = fileSize;

    PageFormat first;
    std::string description;
    std::unordered_set<std::uint64_t> seen;
    for (std::int64_t ifd = 0;; ++ifd) {
        std::uint32_t subfile = 0;
        TIFFGetField(tif, TIFFTAG_SUBFILETYPE, &subfile);
        if (ifd == 0 || !(subfile & FILETYPE_REDUCEDIMAGE)) {  // skip thumbnails after page 0
            Page p;
            p.ifdNumber = ifd;
            p.ifdOffset = TIFFCurrentDirOffset(tif);
            PageFormat f = readFormat(tif, path, ifd);
            if (index.pages.empty()) {
                first = f;
                char* desc = nullptr;
                if (TIFFGetField(tif, TIFFTAG_IMAGEDESCRIPTION, &desc) && desc)
                    description = desc;
                try {
                    index.info.spacing = parseSpacing(description, readResolution(tif));
                } catch (const IoError&) {
                    throw;
                } catch (const Error& e) {
                    throw IoError(Kind::Inconsistent, path, ifd, std::string("bad voxel size: ") + e.what());
                }
            } else if (f.width != first.width || f.height != first.height) {
                throw IoError(Kind::Inconsistent, path, ifd,
                              "page is " + shapeText(f.width, f.height) + " pixels but page 0 is " +
                                  shapeText(first.width, first.height) + ": all pages of a stack must have the same size");
            } else if (f.dtype != first.dtype) {
                throw IoError(Kind::Inconsistent, path, ifd,
                              std::string("page is ") + dtypeName(f.dtype) + " but page 0 is " + dtypeName(first.dtype) +
                                  ": all pages of a stack must have the same type");
            }
            readLayout(tif, f, p, path, fileSize);
            index.pages.push_back(std::move(p));
        }
        if (TIFFLastDirectory(tif))
            break;
        const std::uint64_t current = TIFFCurrentDirOffset(tif);
        const std::uint64_t next = nextIfdOffset(fd, current, index.info.bigTiff, little, fileSize);
        if (next != 0 && next >= fileSize)
            throw IoError(Kind::Truncated, path, ifd + 1,
                          "the page directory lies beyond the end of the file (" + std::to_string(fileSize) +
                              " bytes): the file is truncated");
        seen.insert(current);
        if (seen.count(next))
            throw IoError(Kind::Corrupt, path, ifd + 1,
                          "the chain of page directories loops back to offset " + std::to_string(next) +
                              " (page " + std::to_string(ifd) + " points to an earlier page)");
        handle.log().clear();
        if (!TIFFReadDirectory(tif))
            throw IoError(Kind::Corrupt, path, ifd + 1, "cannot read the page directory" + handle.log().suffix());
    }
    addImageJHiddenSlices(index, description, first, fileSize);
    index.info.shape = Shape{static_cast<std::int64_t>(index.pages.size()), first.height, first.width};
    index.info.dtype = first.dtype;
    index.info.compression = compressionName(index.pages.front().compression);
    index.info.tiled = index.pages.front().tiled;
    return index;
}

}  // namespace mitoseg::tiff
