#pragma once
// Writing files safely: everything goes to a temporary file beside the target, is flushed to
// disk and renamed into place, so readers never see a half-written file and a failure leaves any
// existing file untouched. Any thread; one writer per target path at a time.
#include <filesystem>
#include <functional>
#include <ostream>

namespace mitoseg {

/// A temporary file beside `target` (same folder, so the rename is atomic), created with the
/// permissions the target has (or 0644). Removed on destruction unless commit() succeeded.
/// Throws IoError(WriteFailed) naming the target when it cannot be created.
class TempFile {
public:
    explicit TempFile(const std::filesystem::path& target);
    ~TempFile();
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;

    /// The open descriptor (-1 after releaseFd()).
    int fd() const { return fd_; }
    /// Someone else (e.g. libtiff) took the descriptor over and will close it.
    void releaseFd() { fd_ = -1; }
    const std::filesystem::path& path() const { return path_; }
    /// Flushes the file to disk (when this object still owns the descriptor), renames it onto
    /// the target and syncs the folder. Throws IoError(WriteFailed) naming the target.
    void commit();

private:
    std::filesystem::path target_;
    std::filesystem::path path_;
    int fd_ = -1;
    bool committed_ = false;
};

/// Calls `write` with a binary stream on a TempFile for `path`, flushes, checks and commits.
/// Throws IoError(WriteFailed) naming `path` when anything fails (the temp file is removed);
/// exceptions thrown by `write` (e.g. Cancelled) propagate after the cleanup.
void writeFileAtomically(const std::filesystem::path& path, const std::function<void(std::ostream&)>& write);

}  // namespace mitoseg
