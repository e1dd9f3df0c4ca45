#pragma once
// Opening input files safely: every input (TIFF stack, model, checkpoint, session, mask) is
// opened without blocking and checked to be a regular file before a byte is read, so a FIFO, a
// device (/dev/zero), a socket or a directory gives a clear error instead of a hang or an
// endless read. Any thread.
#include <cstdint>
#include <filesystem>
#include <string>

namespace mitoseg {

/// A regular file opened read-only (O_NONBLOCK while opening, so a FIFO cannot block; cleared
/// afterwards). Owns the descriptor; movable, not copyable.
class InputFile {
public:
    /// Opens `path` (symbolic links followed) and checks what it points to. `what` names the
    /// kind of input in messages ("TIFF stack", "model file"). Throws IoError(Unreadable) naming
    /// the file when it is missing or unreadable, a directory, a FIFO, a device or a socket.
    static InputFile open(const std::filesystem::path& path, const std::string& what);
    InputFile(InputFile&& other) noexcept;
    InputFile& operator=(InputFile&& other) noexcept;
    InputFile(const InputFile&) = delete;
    InputFile& operator=(const InputFile&) = delete;
    ~InputFile();

    int fd() const { return fd_; }
    /// Size in bytes when it was opened.
    std::uint64_t size() const { return size_; }
    /// Hands the descriptor over to the caller (who closes it); fd() is -1 afterwards.
    int release();
    /// Reads the whole file (at most `limit` bytes, else IoError naming the file and both sizes).
    std::string readAll(const std::filesystem::path& path, std::uint64_t limit);

private:
    InputFile(int fd, std::uint64_t size) : fd_(fd), size_(size) {}
    int fd_ = -1;
    std::uint64_t size_ = 0;
};

/// Throws IoError(Unreadable) naming `path` unless it is (a link to) a readable regular file.
/// Opens and closes it (non-blocking): use it before handing a path to a library that opens by
/// name. `what` as for InputFile::open.
void requireRegularFile(const std::filesystem::path& path, const std::string& what);

/// True when `path` is (a link to) a regular file that starts with `magic`. Never blocks and
/// never throws: FIFOs, devices, directories and unreadable paths give false.
bool startsWith(const std::filesystem::path& path, const std::string& magic);

}  // namespace mitoseg
