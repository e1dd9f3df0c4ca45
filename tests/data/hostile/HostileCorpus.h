#pragma once
// Generator of the hostile input corpus (issue #13): files a careless or malicious user can hand
// `mitoseg` — truncated and corrupted TIFFs, absurd dimensions, unsupported sample types, zero
// pages, a FIFO, a directory, a link to /dev/zero, and model files with a huge architecture, NaN
// weights, a bad checksum or a cut-off tail. Nothing here is a binary in git: every file is
// written by this code into a scratch folder. Used by tests/app/HostileCorpusTest.cpp and by
// the `make_hostile_corpus DIR` tool.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace mitoseg::hostile {

/// One generated input.
struct HostileFile {
    std::filesystem::path path;
    std::string kind;        ///< "tiff" (a stack or mask) or "model"
    std::string why;         ///< what is wrong with it, for test messages
};

/// A single-page-per-IFD classic little-endian TIFF written byte by byte, so any field can lie.
struct RawPage {
    std::uint32_t width = 16, height = 16;
    std::uint16_t bitsPerSample = 8, samplesPerPixel = 1, sampleFormat = 1, compression = 1, photometric = 1;
    std::uint32_t rowsPerStrip = 0;          ///< 0 = height (one strip)
    std::vector<std::uint8_t> data;          ///< strip bytes (one strip)
    std::int64_t stripOffset = -1;           ///< -1 = where `data` is written; else this value
    std::int64_t stripBytes = -1;            ///< -1 = data.size(); else this value
    std::string description;                 ///< ImageDescription when not empty
};

/// Writes the pages as a classic TIFF. `logicalSize` > file size extends the file sparsely
/// (a huge stack that costs no disk); `loop` makes the last IFD point back at the first.
void writeRawTiff(const std::filesystem::path& path, const std::vector<RawPage>& pages, std::uint64_t logicalSize = 0,
                  bool loop = false);

/// An uncompressed uint8 stack of zeros, `depth` pages of height x width, whose pixel data is a
/// hole in a sparse file: gigabytes of mask for a few bytes of disk.
void writeSparseZeroStack(const std::filesystem::path& path, std::uint32_t depth, std::uint32_t height, std::uint32_t width);

/// Builds the whole corpus in `dir` (created if needed) and lists it. `goodModel` is a valid
/// .msm to derive the hostile models from (its header and blob are reused).
std::vector<HostileFile> buildHostileCorpus(const std::filesystem::path& dir, const std::filesystem::path& goodModel);

}  // namespace mitoseg::hostile
