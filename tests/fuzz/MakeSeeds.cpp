// Writes the fuzzer's seed corpus: tiny stacks of every dtype x compression (through our
// writer), plus tiled, BigTIFF and big-endian ones written with libtiff directly.
// usage: tiff_fuzz_seeds OUTPUT_DIR
#include <tiffio.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "core/io/TiffWriter.h"

using namespace mitoseg;

namespace {

template <class T>
Volume<T> pattern(Shape s)
{
    Volume<T> v(s);
    for (std::size_t i = 0; i < v.values().size(); ++i)
        v.values()[i] = static_cast<T>((i * 7 + i / 13) % 200);
    v.spacing = {2.0, 0.5, 0.5, "um"};
    return v;
}

void libtiffStack(const std::filesystem::path& path, const char* mode, int bits, bool tiled, std::uint16_t compression)
{
    TIFF* tif = TIFFOpen(path.c_str(), mode);
    if (!tif)
        return;
    const int w = 20, h = 18;
    for (int z = 0; z < 2; ++z) {
        TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, w);
        TIFFSetField(tif, TIFFTAG_IMAGELENGTH, h);
        TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, bits);
        TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, 1);
        TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT, bits == 32 ? SAMPLEFORMAT_IEEEFP : SAMPLEFORMAT_UINT);
        TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
        TIFFSetField(tif, TIFFTAG_COMPRESSION, compression);
        std::vector<std::uint8_t> buf(static_cast<std::size_t>(16 * 16 * w * h * bits / 8), 0);
        for (std::size_t i = 0; i < buf.size(); ++i)
            buf[i] = static_cast<std::uint8_t>(i * 31 + z);
        if (tiled) {
            TIFFSetField(tif, TIFFTAG_TILEWIDTH, 16);
            TIFFSetField(tif, TIFFTAG_TILELENGTH, 16);
            for (int ty = 0; ty < h; ty += 16)
                for (int tx = 0; tx < w; tx += 16)
                    TIFFWriteTile(tif, buf.data(), tx, ty, 0, 0);
        } else {
            TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, 7);
            for (int s = 0; s * 7 < h; ++s)
                TIFFWriteEncodedStrip(tif, s, buf.data(), static_cast<tmsize_t>(std::min(7, h - s * 7) * w * bits / 8));
        }
        TIFFWriteDirectory(tif);
    }
    TIFFClose(tif);
}

}  // namespace

int main(int argc, char** argv)
{
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
        return 2;
    }
    const std::filesystem::path out = argv[1];
    std::filesystem::create_directories(out);
    const Shape shape{2, 17, 23};
    const std::pair<TiffCompression, const char*> codecs[] = {{TiffCompression::None, "none"},
                                                              {TiffCompression::Lzw, "lzw"},
                                                              {TiffCompression::Deflate, "deflate"},
                                                              {TiffCompression::PackBits, "packbits"}};
    for (const auto& [c, name] : codecs) {
        TiffWriteOptions o;
        o.compression = c;
        writeStack(out / (std::string("u8-") + name + ".tif"), pattern<std::uint8_t>(shape), o);
        writeStack(out / (std::string("u16-") + name + ".tif"), pattern<std::uint16_t>(shape), o);
        writeStack(out / (std::string("f32-") + name + ".tif"), pattern<float>(shape), o);
    }
    TiffWriteOptions big;
    big.forceBigTiff = true;
    writeStack(out / "u8-bigtiff.tif", pattern<std::uint8_t>(shape), big);
    libtiffStack(out / "u8-tiled-none.tif", "w", 8, true, COMPRESSION_NONE);
    libtiffStack(out / "u16-tiled-deflate.tif", "w", 16, true, COMPRESSION_ADOBE_DEFLATE);
    libtiffStack(out / "f32-tiled-lzw-bigtiff.tif", "w8", 32, true, COMPRESSION_LZW);
    libtiffStack(out / "u16-strips-be.tif", "wb", 16, false, COMPRESSION_NONE);
    libtiffStack(out / "u16-strips-packbits-be.tif", "wb", 16, false, COMPRESSION_PACKBITS);
    return 0;
}
