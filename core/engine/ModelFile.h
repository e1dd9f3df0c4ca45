#pragma once
// The on-disk container of model files (.msm) and training checkpoints (.msc):
//   8-byte magic "MITOSEGM", u32 format version, u32 header length (<= 1 MiB) + JSON header,
//   u32 blob count (<= 8), then per blob u64 length + bytes, then a u64 FNV-1a checksum of
//   everything after the magic. Lengths are checked against the file size before anything is
//   allocated. Little-endian. No LibTorch here: blobs are opaque bytes (torch::save archives).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/engine/Json.h"

namespace mitoseg {

/// Parsed container: the JSON header and the raw blobs.
struct ModelContainer {
    Json header;
    std::vector<std::string> blobs;
};

/// Current container format version.
constexpr std::uint32_t kModelFormatVersion = 1;

/// Writes atomically (temp file beside `path`, then rename). Throws IoError(WriteFailed).
/// Any thread; concurrent writes to the same path are the caller's problem.
void writeModelContainer(const std::filesystem::path& path, const ModelContainer& container);

/// Reads and validates a container. Throws IoError(BadModel) naming the file on a bad magic,
/// unknown version, truncation, lying lengths, checksum mismatch or malformed JSON header;
/// IoError(Unreadable) when the file cannot be opened.
ModelContainer readModelContainer(const std::filesystem::path& path);

}  // namespace mitoseg
