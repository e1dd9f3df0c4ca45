#include "TiffFixtures.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <stdexcept>

namespace mitoseg::test {

double fixtureValue(DType dtype, std::int64_t z, std::int64_t y, std::int64_t x)
{
    const std::int64_t v = z * 131 + y * 7 + x * 3 + (x * y) % 17;
    switch (dtype) {
    case DType::U8: return static_cast<double>(v % 251);
    case DType::U16: return static_cast<double>((v * 97) % 65521);
    case DType::F32: return static_cast<double>(v % 1000) * 0.25 - 60.0;
    }
    return 0;
}

std::string fixtureName(const FixtureSpec& s)
{
    std::string n = dtypeName(s.dtype);
    n += s.tiled ? "_tiled" : (s.rowsPerStrip == 0xFFFFFFFFu ? "_onestrip" : "_strips");
    switch (s.compression) {
    case COMPRESSION_NONE: n += "_none"; break;
    case COMPRESSION_LZW: n += "_lzw"; break;
    case COMPRESSION_ADOBE_DEFLATE: n += "_adobedeflate"; break;
    case COMPRESSION_DEFLATE: n += "_deflate"; break;
    case COMPRESSION_PACKBITS: n += "_packbits"; break;
    default: n += "_c" + std::to_string(s.compression);
    }
    if (s.predictor == PREDICTOR_HORIZONTAL)
        n += "_pred";
    if (s.predictor == PREDICTOR_FLOATINGPOINT)
        n += "_fpred";
    if (s.bigTiff)
        n += "_bigtiff";
    if (s.bigEndian)
        n += "_be";
    return n;
}

namespace {

template <class T>
std::vector<std::uint8_t> pageBytes(const FixtureSpec& s, int z)
{
    std::vector<T> v(static_cast<std::size_t>(s.width) * s.height);
    for (int y = 0; y < s.height; ++y)
        for (int x = 0; x < s.width; ++x)
            v[static_cast<std::size_t>(y) * s.width + x] = static_cast<T>(fixtureValue(s.dtype, z, y, x));
    std::vector<std::uint8_t> out(v.size() * sizeof(T));
    std::memcpy(out.data(), v.data(), out.size());
    return out;
}

}  // namespace

void writeFixture(const std::filesystem::path& path, const FixtureSpec& s)
{
    std::string mode = "w";
    if (s.bigTiff)
        mode += "8";
    mode += s.bigEndian ? "b" : "l";
    TIFF* tif = TIFFOpen(path.c_str(), mode.c_str());
    if (!tif) {
        ADD_FAILURE() << "libtiff cannot create " << path;
        throw std::runtime_error("fixture");
    }
    const std::size_t bpp = dtypeSize(s.dtype);
    for (int z = 0; z < s.pages; ++z) {
        TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, static_cast<std::uint32_t>(s.width));
        TIFFSetField(tif, TIFFTAG_IMAGELENGTH, static_cast<std::uint32_t>(s.height));
        TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, static_cast<std::uint16_t>(8 * bpp));
        TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, static_cast<std::uint16_t>(1));
        TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT,
                     static_cast<std::uint16_t>(s.dtype == DType::F32 ? SAMPLEFORMAT_IEEEFP : SAMPLEFORMAT_UINT));
        TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
        TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
        TIFFSetField(tif, TIFFTAG_COMPRESSION, s.compression);
        if (s.predictor != PREDICTOR_NONE)
            TIFFSetField(tif, TIFFTAG_PREDICTOR, s.predictor);
        if (z == 0 && !s.description.empty())
            TIFFSetField(tif, TIFFTAG_IMAGEDESCRIPTION, s.description.c_str());
        if (s.xResolution > 0)
            TIFFSetField(tif, TIFFTAG_XRESOLUTION, static_cast<double>(s.xResolution));
        if (s.yResolution > 0)
            TIFFSetField(tif, TIFFTAG_YRESOLUTION, static_cast<double>(s.yResolution));
        if (s.resolutionUnit > 0)
            TIFFSetField(tif, TIFFTAG_RESOLUTIONUNIT, s.resolutionUnit);
        std::vector<std::uint8_t> data;
        switch (s.dtype) {
        case DType::U8: data = pageBytes<std::uint8_t>(s, z); break;
        case DType::U16: data = pageBytes<std::uint16_t>(s, z); break;
        case DType::F32: data = pageBytes<float>(s, z); break;
        }
        const std::size_t rowBytes = static_cast<std::size_t>(s.width) * bpp;
        bool ok = true;
        if (s.tiled) {
            const int tw = 16, th = 16;
            TIFFSetField(tif, TIFFTAG_TILEWIDTH, tw);
            TIFFSetField(tif, TIFFTAG_TILELENGTH, th);
            std::vector<std::uint8_t> tile(static_cast<std::size_t>(tw) * th * bpp);
            for (int ty = 0; ty < s.height; ty += th)
                for (int tx = 0; tx < s.width; tx += tw) {
                    std::fill(tile.begin(), tile.end(), 0);
                    for (int r = 0; r < th && ty + r < s.height; ++r) {
                        const int cols = std::min(tw, s.width - tx);
                        std::memcpy(tile.data() + static_cast<std::size_t>(r) * tw * bpp,
                                    data.data() + static_cast<std::size_t>(ty + r) * rowBytes + tx * bpp, cols * bpp);
                    }
                    ok = ok && TIFFWriteTile(tif, tile.data(), tx, ty, 0, 0) >= 0;
                }
        } else {
            const std::uint32_t rps = std::min<std::uint32_t>(s.rowsPerStrip, static_cast<std::uint32_t>(s.height));
            TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, s.rowsPerStrip);
            for (std::uint32_t row = 0, strip = 0; row < static_cast<std::uint32_t>(s.height); row += rps, ++strip) {
                const std::uint32_t rows = std::min(rps, static_cast<std::uint32_t>(s.height) - row);
                std::vector<std::uint8_t> chunk(data.begin() + row * rowBytes, data.begin() + (row + rows) * rowBytes);
                ok = ok && TIFFWriteEncodedStrip(tif, strip, chunk.data(), static_cast<tmsize_t>(chunk.size())) >= 0;
            }
        }
        ok = ok && TIFFWriteDirectory(tif);
        if (!ok) {
            TIFFClose(tif);
            ADD_FAILURE() << "libtiff failed writing " << path;
            throw std::runtime_error("fixture");
        }
    }
    TIFFClose(tif);
}

std::vector<std::uint8_t> readBytes(const std::filesystem::path& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::vector<std::uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void writeBytes(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

bool patchTag(const std::filesystem::path& path, int page, std::uint16_t tag, std::uint32_t value)
{
    std::vector<std::uint8_t> b = readBytes(path);
    auto u16 = [&](std::size_t o) { return static_cast<std::uint32_t>(b.at(o) | (b.at(o + 1) << 8)); };
    auto u32 = [&](std::size_t o) { return u16(o) | (u16(o + 2) << 16); };
    if (b.size() < 8 || b[0] != 'I' || u16(2) != 42)
        return false;
    std::size_t ifd = u32(4);
    for (int p = 0; p < page; ++p)
        ifd = u32(ifd + 2 + 12 * u16(ifd));
    const std::uint32_t n = u16(ifd);
    for (std::uint32_t i = 0; i < n; ++i) {
        const std::size_t e = ifd + 2 + 12 * i;
        if (u16(e) != tag)
            continue;
        b.at(e + 2) = 4;  // LONG
        b.at(e + 3) = 0;
        const std::uint8_t le[8] = {1, 0, 0, 0, static_cast<std::uint8_t>(value), static_cast<std::uint8_t>(value >> 8),
                                    static_cast<std::uint8_t>(value >> 16), static_cast<std::uint8_t>(value >> 24)};
        std::memcpy(&b.at(e + 4), le, 8);
        writeBytes(path, b);
        return true;
    }
    return false;
}

}  // namespace mitoseg::test
