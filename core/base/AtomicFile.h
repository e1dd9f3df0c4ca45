#pragma once
// Writing files safely: everything goes to a temporary file beside the target, is flushed to
// disk and renamed into place, so readers never see a half-written file and a failure leaves any
// existing file untouched. Any thread; one writer per target path at a time.
//
// Targets: a regular file (or a new name) is replaced; a symbolic link is written THROUGH: the
// file it points to is replaced and the link stays (as a shell's `>` would). A target that is
// (or points to) a FIFO, a device, a socket or a directory, or a dangling link, is refused
// before anything is written. Temporary files are removed on every failure path, and on
// SIGINT/SIGTERM/SIGHUP once installTempFileCleanup() was called.
#include <cstdio>
#include <filesystem>
#include <functional>
#include <ostream>
#include <vector>

namespace mitoseg {

/// The file a write to `target` replaces: `target` itself, or the file its symbolic link(s)
/// point to. Throws IoError(WriteFailed) naming `target` when that is not a regular file (FIFO,
/// device, directory, socket) or the link dangles.
std::filesystem::path resolveOutputTarget(const std::filesystem::path& target);

/// Checks, before a long job starts, that `target` can be written: resolveOutputTarget's rules,
/// its folder exists and a file can be created there (probed with a temporary file, so it
/// holds for root and read-only file systems too). Throws IoError(WriteFailed) naming the
/// target and the folder.
void checkWritableOutput(const std::filesystem::path& target);

/// Installs SIGINT/SIGTERM/SIGHUP handlers (once per process; later calls re-install them, e.g.
/// after a command replaced them) that remove every live TempFile and then let the signal end
/// the process as it would have. Call from main(); any thread afterwards.
void installTempFileCleanup();

/// The folder for scratch files: $TMPDIR when it is set and names a folder (Slurm and many
/// clusters point it at node-local scratch), else the system's temporary folder.
std::filesystem::path scratchDirectory();

/// An anonymous scratch file opened "w+b" in scratchDirectory(): created with mkstemp and
/// unlinked at once, so it vanishes when closed or when the process dies (std::tmpfile would
/// ignore $TMPDIR). Null with errno set when it cannot be made. Close with std::fclose.
std::FILE* openScratchFile();

/// A temporary file beside the (resolved) target, so the rename is atomic, created with the
/// permissions the target has (or 0644). Removed on destruction unless commit() succeeded.
/// Throws IoError(WriteFailed) naming the target when it cannot be created or the target is not
/// a regular file (see resolveOutputTarget).
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
    /// The target as given (messages name it).
    const std::filesystem::path& target() const { return target_; }
    /// Flushes the file to disk (when this object still owns the descriptor), renames it onto
    /// the target and syncs the folder. Throws IoError(WriteFailed) naming the target.
    void commit();
    /// Commits several files together: all are replaced or none is. Each existing target is
    /// kept under a backup name until every rename succeeded; when one fails the earlier ones
    /// are rolled back (restored, or removed when they did not exist). Throws IoError naming the
    /// file that failed. The descriptors must be flushed and closed (or owned) already.
    static void commitTogether(const std::vector<TempFile*>& files);

private:
    void sync();
    void finishCommit();
    std::filesystem::path target_;     ///< as given
    std::filesystem::path resolved_;   ///< what is replaced (a link's target)
    std::filesystem::path path_;
    int fd_ = -1;
    int slot_ = -1;                    ///< signal-cleanup registry slot (-1 = none)
    bool committed_ = false;
};

/// Calls `write` with a binary stream on a TempFile for `path`, flushes, checks and commits.
/// Throws IoError(WriteFailed) naming `path` when anything fails (the temp file is removed);
/// exceptions thrown by `write` (e.g. Cancelled) propagate after the cleanup.
void writeFileAtomically(const std::filesystem::path& path, const std::function<void(std::ostream&)>& write);

/// Test hook kept in the product: when set, every commit first asks it, and a `true` makes
/// that commit fail as a full disk would (IoError(WriteFailed) "No space left on device"; the
/// temporary file is removed and the target is untouched). Pass nullptr to remove it. Tests
/// use it to check what a failed checkpoint or output write leaves behind.
void setCommitFailureForTesting(std::function<bool(const std::filesystem::path& target)> fail);

}  // namespace mitoseg
