#pragma once
// Test fixtures for core/io: small TIFF stacks written with libtiff directly (independent of
// our writer), a deterministic voxel pattern to check them against, and byte-level patching
// of classic little-endian TIFFs to fabricate damaged or lying headers.
#include <tiffio.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/base/Volume.h"

namespace mitoseg::test {

struct FixtureSpec {
    DType dtype = DType::U8;
    int pages = 3, width = 37, height = 23;
    std::uint16_t compression = COMPRESSION_NONE;
    std::uint16_t predictor = PREDICTOR_NONE;
    bool tiled = false;                  ///< 16 x 16 tiles
    std::uint32_t rowsPerStrip = 5;      ///< striped pages; 0xFFFFFFFF = one strip
    bool bigTiff = false;
    bool bigEndian = false;
    std::string description;             ///< ImageDescription of page 0 when not empty
    float xResolution = 0, yResolution = 0;  ///< written when > 0
    std::uint16_t resolutionUnit = 0;    ///< written when > 0
};

/// The voxel value the fixtures store at (z, y, x), exactly representable in every dtype.
double fixtureValue(DType dtype, std::int64_t z, std::int64_t y, std::int64_t x);

/// Writes a stack per `spec` with libtiff; fails the test (and throws) when libtiff refuses.
void writeFixture(const std::filesystem::path& path, const FixtureSpec& spec);

/// Readable name of a spec, for parameterised test names.
std::string fixtureName(const FixtureSpec& spec);

/// Sets the single-valued tag `tag` of IFD `page` of a classic little-endian TIFF to the
/// LONG `value` in place. Returns false when the tag is not there.
bool patchTag(const std::filesystem::path& path, int page, std::uint16_t tag, std::uint32_t value);

/// Writes `bytes` to `path` (replacing it).
void writeBytes(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes);
std::vector<std::uint8_t> readBytes(const std::filesystem::path& path);

}  // namespace mitoseg::test
