#include "tests/ui/CorruptTiff.h"

#include <tiffio.h>

#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace mitoseg::test {

std::uint8_t corruptStackValue(std::int64_t z, std::int64_t y, std::int64_t x)
{
    return static_cast<std::uint8_t>(20 + (x + 2 * y + 7 * z) % 200);
}

void writeStackWithCorruptPage(const std::filesystem::path& path, Shape shape, std::int64_t badPage)
{
    auto fail = [&](const std::string& what) { throw std::runtime_error(path.string() + ": " + what); };
    TIFF* tif = TIFFOpen(path.c_str(), "w");
    if (!tif)
        fail("libtiff cannot create the file");
    std::vector<std::uint8_t> page(static_cast<std::size_t>(shape.sliceVoxels()));
    for (std::int64_t z = 0; z < shape.depth; ++z) {
        for (std::int64_t y = 0; y < shape.height; ++y)
            for (std::int64_t x = 0; x < shape.width; ++x)
                page[static_cast<std::size_t>(y * shape.width + x)] = corruptStackValue(z, y, x);
        TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, static_cast<std::uint32_t>(shape.width));
        TIFFSetField(tif, TIFFTAG_IMAGELENGTH, static_cast<std::uint32_t>(shape.height));
        TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 8);
        TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, 1);
        TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT, SAMPLEFORMAT_UINT);
        TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
        TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
        TIFFSetField(tif, TIFFTAG_COMPRESSION, COMPRESSION_ADOBE_DEFLATE);
        TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, static_cast<std::uint32_t>(shape.height));
        if (TIFFWriteEncodedStrip(tif, 0, page.data(), static_cast<tmsize_t>(page.size())) < 0 || !TIFFWriteDirectory(tif)) {
            TIFFClose(tif);
            fail("libtiff cannot write page " + std::to_string(z));
        }
    }
    TIFFClose(tif);

    // Where the bad page's compressed strip lies.
    tif = TIFFOpen(path.c_str(), "r");
    if (!tif)
        fail("libtiff cannot reopen the file");
    toff_t* offsets = nullptr;
    toff_t* counts = nullptr;
    const bool found = TIFFSetDirectory(tif, static_cast<tdir_t>(badPage)) && TIFFGetField(tif, TIFFTAG_STRIPOFFSETS, &offsets)
                       && TIFFGetField(tif, TIFFTAG_STRIPBYTECOUNTS, &counts) && offsets && counts;
    const std::uint64_t offset = found ? offsets[0] : 0, count = found ? counts[0] : 0;
    TIFFClose(tif);
    if (!found || count == 0)
        fail("no strip on page " + std::to_string(badPage));

    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(offset));
    const std::vector<char> garbage(static_cast<std::size_t>(count), static_cast<char>(0xFF));
    f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
    if (!f)
        fail("cannot overwrite page " + std::to_string(badPage));
}

}  // namespace mitoseg::test
