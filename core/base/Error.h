#pragma once
// Typed errors thrown by core. Every message names the file (and page/slice when known),
// so a user can act on it. Thread-safe: plain value types.
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace mitoseg {

/// Base of every error core throws on bad input or a failed operation.
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A file could not be read or written. `path` is the file; `page` is the TIFF page
/// (0-based) the problem was found on, or -1 when it concerns the whole file.
class IoError : public Error {
public:
    enum class Kind { Unreadable, NotTiff, Truncated, Empty, Unsupported, Inconsistent, Corrupt, WriteFailed, BadModel };
    IoError(Kind kind, std::filesystem::path path, std::int64_t page, const std::string& what);
    Kind kind() const { return kind_; }
    const std::filesystem::path& path() const { return path_; }
    std::int64_t page() const { return page_; }

private:
    Kind kind_;
    std::filesystem::path path_;
    std::int64_t page_;
};

/// A job was stopped through its CancelToken.
class Cancelled : public Error {
public:
    Cancelled() : Error("cancelled") {}
};

}  // namespace mitoseg
