#include "HostileCorpus.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <stdexcept>

#include "core/base/Volume.h"
#include "core/engine/ModelFile.h"
#include "core/io/TiffWriter.h"

namespace mitoseg::hostile {

namespace {

void put16(std::vector<std::uint8_t>& b, std::uint16_t v)
{
    b.push_back(static_cast<std::uint8_t>(v));
    b.push_back(static_cast<std::uint8_t>(v >> 8));
}
void put32(std::vector<std::uint8_t>& b, std::uint32_t v)
{
    for (int i = 0; i < 4; ++i)
        b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void set32(std::vector<std::uint8_t>& b, std::size_t at, std::uint32_t v)
{
    for (int i = 0; i < 4; ++i)
        b[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (8 * i));
}

std::string readFile(const std::filesystem::path& p)
{
    std::ifstream f(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
}

void writeFile(const std::filesystem::path& p, const std::string& bytes)
{
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!f)
        throw std::runtime_error("cannot write " + p.string());
}

/// A small valid uint8 stack (3 x 24 x 32), written by our own writer.
VolumeU8 smallVolume()
{
    VolumeU8 v(Shape{3, 24, 32});
    for (std::size_t i = 0; i < v.values().size(); ++i)
        v.values()[i] = static_cast<std::uint8_t>((i * 7) % 251);
    return v;
}

}  // namespace

void writeRawTiff(const std::filesystem::path& path, const std::vector<RawPage>& pages, std::uint64_t logicalSize, bool loop)
{
    std::vector<std::uint8_t> b = {'I', 'I', 42, 0, 0, 0, 0, 0};
    std::size_t prevNext = 4;   // where the previous "next IFD" offset lives
    std::uint32_t firstIfd = 0;
    for (const RawPage& p : pages) {
        // Strip data first, then the IFD.
        const auto dataAt = static_cast<std::uint32_t>(b.size());
        b.insert(b.end(), p.data.begin(), p.data.end());
        if (b.size() % 2)
            b.push_back(0);
        const std::uint32_t ifd = static_cast<std::uint32_t>(b.size());
        if (firstIfd == 0)
            firstIfd = ifd;
        set32(b, prevNext, ifd);
        struct Entry {
            std::uint16_t tag, type;
            std::uint32_t value;
        };
        std::vector<Entry> e = {
            {256, 4, p.width},
            {257, 4, p.height},
            {258, 3, p.bitsPerSample},
            {259, 3, p.compression},
            {262, 3, p.photometric},
            {273, 4, p.stripOffset >= 0 ? static_cast<std::uint32_t>(p.stripOffset) : dataAt},
            {277, 3, p.samplesPerPixel},
            {278, 4, p.rowsPerStrip ? p.rowsPerStrip : p.height},
            {279, 4, p.stripBytes >= 0 ? static_cast<std::uint32_t>(p.stripBytes) : static_cast<std::uint32_t>(p.data.size())},
            {339, 3, p.sampleFormat},
        };
        std::uint32_t descAt = 0;
        if (!p.description.empty())
            e.insert(e.begin(), {270, 2, 0});   // value patched below (offset of the text)
        put16(b, static_cast<std::uint16_t>(e.size()));
        for (const Entry& x : e) {
            put16(b, x.tag);
            put16(b, x.type);
            put32(b, x.tag == 270 ? static_cast<std::uint32_t>(p.description.size() + 1) : 1);
            if (x.tag == 270) {
                descAt = static_cast<std::uint32_t>(b.size());
                put32(b, 0);
            } else if (x.type == 3) {
                put16(b, static_cast<std::uint16_t>(x.value));
                put16(b, 0);
            } else {
                put32(b, x.value);
            }
        }
        prevNext = b.size();
        put32(b, 0);
        if (descAt) {
            set32(b, descAt, static_cast<std::uint32_t>(b.size()));
            b.insert(b.end(), p.description.begin(), p.description.end());
            b.push_back(0);
        }
    }
    if (loop && firstIfd)
        set32(b, prevNext, firstIfd);
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    f.close();
    if (logicalSize > b.size())
        std::filesystem::resize_file(path, logicalSize);
}

void writeSparseZeroStack(const std::filesystem::path& path, std::uint32_t depth, std::uint32_t height, std::uint32_t width)
{
    // Every IFD comes first; page z's pixels start at 1 MiB + z * height * width (all holes).
    const std::uint64_t slice = static_cast<std::uint64_t>(height) * width;
    const std::uint64_t base = 1u << 20;
    if (base + slice * depth > std::numeric_limits<std::uint32_t>::max())
        throw std::runtime_error("sparse stack too large for a classic TIFF");
    std::vector<RawPage> pages(depth);
    for (std::uint32_t z = 0; z < depth; ++z) {
        pages[z].width = width;
        pages[z].height = height;
        pages[z].stripOffset = static_cast<std::int64_t>(base + z * slice);
        pages[z].stripBytes = static_cast<std::int64_t>(slice);
    }
    writeRawTiff(path, pages, base + slice * depth);
}

std::vector<HostileFile> buildHostileCorpus(const std::filesystem::path& dir, const std::filesystem::path& goodModel)
{
    std::filesystem::create_directories(dir);
    std::vector<HostileFile> out;
    auto add = [&](const std::string& name, const std::string& kind, const std::string& why) {
        out.push_back({dir / name, kind, why});
        return dir / name;
    };

    // --- TIFF stacks ---------------------------------------------------------------------
    const VolumeU8 small = smallVolume();
    writeStack(add("valid.tif", "tiff", "a valid 3 x 24 x 32 stack (control)"), small);
    writeStack(dir / "deflate.tif", small, {TiffCompression::Deflate});
    const std::string deflate = readFile(dir / "deflate.tif");
    std::filesystem::remove(dir / "deflate.tif");
    {
        std::string bytes = deflate;   // libtiff writes page 0's strips right after the header
        for (std::size_t i = 8; i < 48 && i < bytes.size(); ++i)
            bytes[i] = static_cast<char>(0xA5);
        writeFile(add("deflate-corrupt-strip.tif", "tiff", "Deflate data of page 0 overwritten"), bytes);
    }
    const std::string plain = readFile(out.front().path);
    for (double frac : {0.1, 0.5, 0.9}) {
        const std::string name = "truncated-" + std::to_string(static_cast<int>(frac * 100)) + ".tif";
        writeFile(add(name, "tiff", "cut at " + std::to_string(static_cast<int>(frac * 100)) + "% of its size"),
                  plain.substr(0, static_cast<std::size_t>(static_cast<double>(plain.size()) * frac)));
    }
    {
        std::string bytes = plain;
        for (std::size_t i = bytes.size() / 3; i < bytes.size(); i += 97)
            bytes[i] = static_cast<char>(bytes[i] ^ 0x5A);
        writeFile(add("bitflips.tif", "tiff", "every 97th byte of the tail flipped"), bytes);
    }
    writeFile(add("empty.tif", "tiff", "zero bytes"), "");
    writeFile(add("text.tif", "tiff", "a text file named .tif"), "not a tiff at all\n");
    writeFile(add("zero-pages.tif", "tiff", "a header whose first IFD offset is 0"), std::string("II*\0\0\0\0\0", 8));
    {
        RawPage p;
        p.width = 0x7FFFFFFF;
        p.height = 0x7FFFFFFF;
        p.data.assign(64, 0);
        writeRawTiff(add("absurd-dimensions.tif", "tiff", "2^31 x 2^31 pixels over 64 bytes"), {p});
    }
    {
        RawPage p;
        p.width = 60000;
        p.height = 60000;
        p.stripOffset = 8;
        p.stripBytes = 60000u * 60000u;   // far past the end of the file
        p.data.assign(16, 0);
        writeRawTiff(add("strip-beyond-eof.tif", "tiff", "a 3.6 GB strip in a tiny file"), {p});
    }
    {
        RawPage p;
        p.bitsPerSample = 64;
        p.sampleFormat = 3;
        p.data.assign(16 * 16 * 8, 0);
        writeRawTiff(add("float64.tif", "tiff", "64-bit float samples (unsupported dtype)"), {p});
    }
    {
        RawPage p;
        p.samplesPerPixel = 3;
        p.photometric = 2;
        p.data.assign(16 * 16 * 3, 0);
        writeRawTiff(add("rgb.tif", "tiff", "RGB, not grayscale"), {p});
    }
    {
        RawPage p;
        p.bitsPerSample = 1;
        p.data.assign(16 * 2, 0);
        writeRawTiff(add("bilevel.tif", "tiff", "1-bit samples"), {p});
    }
    {
        RawPage p;
        p.sampleFormat = 2;
        p.data.assign(16 * 16, 0x80);
        writeRawTiff(add("int8.tif", "tiff", "signed 8-bit samples"), {p});
    }
    {
        RawPage a, b;
        a.data.assign(16 * 16, 1);
        b.width = 8;
        b.data.assign(8 * 16, 1);
        writeRawTiff(add("mixed-page-sizes.tif", "tiff", "pages of different sizes"), {a, b});
    }
    {
        RawPage p;
        p.data.assign(16 * 16, 1);
        writeRawTiff(add("ifd-loop.tif", "tiff", "the last IFD points back to the first"), {p, p}, 0, true);
    }
    {
        RawPage p;
        p.data.assign(16 * 16, 1);
        p.description = "ImageJ=1.11a\nimages=2\nslices=2\nunit=nm\nspacing=0\n";
        writeRawTiff(add("spacing-zero.tif", "tiff", "ImageJ spacing=0"), {p, p});
        p.description = "ImageJ=1.11a\nimages=100000000\nslices=100000000\n";
        writeRawTiff(add("imagej-lies-images.tif", "tiff", "ImageJ claims 1e8 images"), {p});
    }
    // Special files: must be refused before they are opened for reading.
    ::mkfifo(add("fifo.tif", "tiff", "a FIFO").c_str(), 0600);
    std::filesystem::create_directory(add("folder.tif", "tiff", "a directory"));
    std::filesystem::create_symlink("/dev/zero", add("devzero.tif", "tiff", "a symbolic link to /dev/zero"));
    std::filesystem::create_symlink(dir / "nowhere.tif", add("dangling.tif", "tiff", "a dangling symbolic link"));

    // --- Model files ---------------------------------------------------------------------
    const ModelContainer good = readModelContainer(goodModel);
    std::filesystem::copy_file(goodModel, add("valid.msm", "model", "a valid model (control)"),
                               std::filesystem::copy_options::overwrite_existing);
    {
        ModelContainer c = good;
        c.header["architecture"]["base"] = 256;
        c.header["architecture"]["depth"] = 5;
        c.blobs[0] = std::string(64, 'w');
        writeModelContainer(add("huge-architecture.msm", "model", "base 256 / depth 5 declared over a 64-byte blob"), c);
    }
    {
        ModelContainer c = good;
        c.header["architecture"]["base"] = 256;
        c.header["architecture"]["depth"] = 5;
        writeModelContainer(add("huge-architecture-real-blob.msm", "model", "base 256 / depth 5 over the real blob"), c);
    }
    {
        // NaN weights: overwrite float data inside the torch archive with 0x7FC00000 (quiet NaN),
        // far from the zip's headers and directory (those sit at the start and the end).
        ModelContainer c = good;
        std::string& blob = c.blobs[0];
        const std::size_t from = blob.size() / 2, to = std::min(blob.size(), from + 4096);
        for (std::size_t i = from & ~std::size_t{3}; i + 4 <= to; i += 4) {
            blob[i] = 0;
            blob[i + 1] = 0;
            blob[i + 2] = static_cast<char>(0xC0);
            blob[i + 3] = 0x7F;
        }
        writeModelContainer(add("nan-weights.msm", "model", "4 KiB of weights set to NaN"), c);
    }
    const std::string modelBytes = readFile(goodModel);
    {
        std::string bytes = modelBytes;
        bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x01);
        writeFile(add("bad-checksum.msm", "model", "one bit flipped (checksum mismatch)"), bytes);
    }
    writeFile(add("truncated.msm", "model", "cut in half"), modelBytes.substr(0, modelBytes.size() / 2));
    writeFile(add("magic-only.msm", "model", "only the magic"), "MITOSEGM");
    {
        ModelContainer c = good;
        c.header["threshold"] = std::numeric_limits<double>::quiet_NaN();
        writeModelContainer(add("nan-threshold.msm", "model", "threshold NaN"), c);
    }
    ::mkfifo(add("fifo.msm", "model", "a FIFO named .msm").c_str(), 0600);
    std::filesystem::create_symlink("/dev/zero", add("devzero.msm", "model", "a link to /dev/zero named .msm"));
    return out;
}

}  // namespace mitoseg::hostile
