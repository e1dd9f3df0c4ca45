#pragma once
// Internal to core/io: RAII around libtiff handles whose errors and warnings are captured per
// handle (never printed on stderr) so they can be turned into IoError messages.
// Not a public header: nothing outside core/io includes it (it pulls in libtiff).
#include <tiffio.h>

#include <cstdint>
#include <filesystem>
#include <string>

namespace mitoseg::tiff {

/// Collects the messages libtiff reports on one handle. Accessed only by the thread that
/// currently owns the handle (callers serialise access to a handle).
struct MessageLog {
    std::string lastError;
    void clear() { lastError.clear(); }
    /// "; libtiff: <message>" when libtiff said something, else "".
    std::string suffix() const;
};

/// Silences libtiff's process-wide stderr handlers once (idempotent, thread-safe).
void silenceLibTiff();

/// Owns a TIFF* and the log its errors go to. Movable only through unique_ptr.
class Handle {
public:
    Handle() = default;
    ~Handle();
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;

    /// Opens a reader of its own on the file that `fd` refers to (through /proc/self/fd, so it
    /// gets its own file offset and the path is never looked up again: what was checked is what
    /// is read). `name` is the file's name in libtiff's messages. `fd` stays the caller's.
    /// Returns false on failure (see log()).
    bool openRead(int fd, const std::filesystem::path& name);
    /// Wraps an open file descriptor for writing; `bigTiff` selects "w8". Takes ownership of fd.
    bool openWrite(int fd, const std::filesystem::path& name, bool bigTiff);
    /// Closes the handle (flushes when writing). Returns false when libtiff reported an error.
    bool close();

    TIFF* get() const { return tif_; }
    MessageLog& log() { return log_; }

private:
    TIFF* tif_ = nullptr;
    MessageLog log_;
};

/// Human name of a TIFF compression code: "none", "lzw", "deflate", "packbits", or "code N".
std::string compressionName(std::uint16_t code);

}  // namespace mitoseg::tiff
