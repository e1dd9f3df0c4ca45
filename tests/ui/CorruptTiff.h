#pragma once
// A test fixture for unreadable slices: a small Deflate-compressed TIFF stack, written with
// libtiff, whose compressed data on one page is then overwritten with garbage. The file opens
// (its header and page index are intact) but that one page fails to decode. Needs only libtiff,
// so both the ui tests and the studio's process tests use it. Any thread.
#include <cstdint>
#include <filesystem>

#include "core/base/Volume.h"

namespace mitoseg::test {

/// The grey value the stack holds at (z, y, x) on every page but the bad one (20..219).
std::uint8_t corruptStackValue(std::int64_t z, std::int64_t y, std::int64_t x);

/// Writes the stack (uint8, Deflate, one strip per page) to `path`, then overwrites every
/// compressed byte of page `badPage` with 0xFF. Throws std::runtime_error when libtiff fails.
void writeStackWithCorruptPage(const std::filesystem::path& path, Shape shape, std::int64_t badPage);

}  // namespace mitoseg::test
