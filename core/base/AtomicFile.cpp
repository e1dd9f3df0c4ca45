#include "core/base/AtomicFile.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <string>

#include "core/base/Error.h"

namespace mitoseg {

using Kind = IoError::Kind;

namespace {

// ---- Signal cleanup: a fixed registry the handler can walk without allocating or locking.
constexpr int kSlots = 128;
enum SlotState : int { Free = 0, Claimed = 1, Live = 2 };
struct Slot {
    std::atomic<int> state{Free};
    char path[PATH_MAX];
};
std::array<Slot, kSlots> gSlots;

int registerTemp(const std::string& path)
{
    if (path.size() >= PATH_MAX)
        return -1;
    for (int i = 0; i < kSlots; ++i) {
        int expected = Free;
        if (gSlots[static_cast<std::size_t>(i)].state.compare_exchange_strong(expected, Claimed)) {
            Slot& s = gSlots[static_cast<std::size_t>(i)];
            std::memcpy(s.path, path.c_str(), path.size() + 1);
            s.state.store(Live, std::memory_order_release);
            return i;
        }
    }
    return -1;   // more live temp files than slots: those are only removed by their owners
}

void unregisterTemp(int slot)
{
    if (slot >= 0)
        gSlots[static_cast<std::size_t>(slot)].state.store(Free, std::memory_order_release);
}

extern "C" void removeTempFilesAndReraise(int sig)
{
    const int savedErrno = errno;
    for (Slot& s : gSlots)
        if (s.state.load(std::memory_order_acquire) == Live)
            ::unlink(s.path);
    struct sigaction dfl{};
    dfl.sa_handler = SIG_DFL;
    ::sigemptyset(&dfl.sa_mask);
    ::sigaction(sig, &dfl, nullptr);
    errno = savedErrno;
    ::raise(sig);   // blocked until this handler returns; then it ends the process as usual
}

std::mutex gHookMutex;
std::function<bool(const std::filesystem::path&)> gCommitFailure;

bool injectedFailure(const std::filesystem::path& target)
{
    std::lock_guard<std::mutex> lock(gHookMutex);
    return gCommitFailure && gCommitFailure(target);
}

const char* typeName(const std::filesystem::file_status& st)
{
    using std::filesystem::file_type;
    switch (st.type()) {
    case file_type::directory: return "a directory";
    case file_type::fifo: return "a FIFO (named pipe)";
    case file_type::character: return "a character device";
    case file_type::block: return "a block device";
    case file_type::socket: return "a socket";
    default: return "a special file";
    }
}

std::filesystem::path folderOf(const std::filesystem::path& p)
{
    std::filesystem::path dir = p.parent_path();
    return dir.empty() ? std::filesystem::path(".") : dir;
}

/// A unique hidden name beside `target` (".name.TAG.XXXXXX"), created as an empty 0600 file.
std::pair<int, std::string> makeSibling(const std::filesystem::path& target, const char* tag)
{
    std::string name = ".";
    name.append(target.filename().string()).append(tag).append(".XXXXXX");
    std::string tmpl = (folderOf(target) / name).string();
    const int fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
    return {fd, tmpl};
}

void syncFolder(const std::filesystem::path& target)
{
    const int dfd = ::open(folderOf(target).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
}

}  // namespace

std::filesystem::path resolveOutputTarget(const std::filesystem::path& target)
{
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::file_status link = fs::symlink_status(target, ec);
    if (ec || !fs::exists(link))
        return target;   // a new file (a missing folder is reported when the file is created)
    fs::path resolved = target;
    if (fs::is_symlink(link)) {
        resolved = fs::canonical(target, ec);
        if (ec)
            throw IoError(Kind::WriteFailed, target, -1,
                          "is a symbolic link that points nowhere (" + ec.message() + "); refusing to write through it");
    }
    const fs::file_status st = fs::status(resolved, ec);
    if (ec)
        throw IoError(Kind::WriteFailed, target, -1, "cannot check the output: " + ec.message());
    if (!fs::is_regular_file(st))
        throw IoError(Kind::WriteFailed, target, -1,
                      std::string("is not a regular file (it is ") + typeName(st) + "); refusing to replace it");
    return resolved;
}

void checkWritableOutput(const std::filesystem::path& target)
{
    const std::filesystem::path resolved = resolveOutputTarget(target);
    const std::filesystem::path dir = folderOf(resolved);
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec))
        throw IoError(Kind::WriteFailed, target, -1, "the output folder " + dir.string() + " does not exist");
    auto [fd, probe] = makeSibling(resolved, ".probe");
    if (fd < 0)
        throw IoError(Kind::WriteFailed, target, -1,
                      "cannot create files in the output folder " + dir.string() + ": " + std::strerror(errno));
    ::close(fd);
    ::unlink(probe.c_str());
}

void installTempFileCleanup()
{
    struct sigaction sa{};
    sa.sa_handler = removeTempFilesAndReraise;
    ::sigemptyset(&sa.sa_mask);
    for (int sig : {SIGINT, SIGTERM, SIGHUP})
        ::sigaction(sig, &sa, nullptr);
}

void setCommitFailureForTesting(std::function<bool(const std::filesystem::path& target)> fail)
{
    std::lock_guard<std::mutex> lock(gHookMutex);
    gCommitFailure = std::move(fail);
}

TempFile::TempFile(const std::filesystem::path& target) : target_(target), resolved_(resolveOutputTarget(target))
{
    auto [fd, tmpl] = makeSibling(resolved_, "");
    fd_ = fd;
    if (fd_ < 0)
        throw IoError(Kind::WriteFailed, target, -1,
                      "cannot create a temporary file in " + folderOf(resolved_).string() + ": " + std::strerror(errno));
    path_ = tmpl;
    slot_ = registerTemp(tmpl);
    // mkstemp creates 0600; give the result the permissions an ordinary new file gets.
    struct stat st{};
    const mode_t mode = ::stat(resolved_.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0644;
    ::fchmod(fd_, mode);
}

TempFile::~TempFile()
{
    if (fd_ >= 0)
        ::close(fd_);
    if (!committed_)
        ::unlink(path_.c_str());
    unregisterTemp(slot_);
}

void TempFile::sync()
{
    if (injectedFailure(target_))
        throw IoError(Kind::WriteFailed, target_, -1, std::string("cannot flush the file to disk: ") + std::strerror(ENOSPC));
    if (fd_ >= 0 && ::fsync(fd_) != 0)
        throw IoError(Kind::WriteFailed, target_, -1, std::string("cannot flush the file to disk: ") + std::strerror(errno));
}

void TempFile::finishCommit()
{
    committed_ = true;
    unregisterTemp(slot_);
    slot_ = -1;
    syncFolder(resolved_);
}

void TempFile::commit()
{
    sync();
    if (::rename(path_.c_str(), resolved_.c_str()) != 0)
        throw IoError(Kind::WriteFailed, target_, -1,
                      std::string("cannot rename the finished file into place: ") + std::strerror(errno));
    finishCommit();
}

void TempFile::commitTogether(const std::vector<TempFile*>& files)
{
    for (TempFile* f : files)
        f->sync();
    // Keep each existing target under a backup name (a hard link) until all renames are done.
    struct Backup {
        std::string path;   // empty: the target did not exist
        int slot = -1;
    };
    std::vector<Backup> backups(files.size());
    auto dropBackups = [&] {
        for (Backup& b : backups) {
            if (!b.path.empty())
                ::unlink(b.path.c_str());
            unregisterTemp(b.slot);
        }
    };
    for (std::size_t i = 0; i < files.size(); ++i) {
        const TempFile& f = *files[i];
        struct stat st{};
        if (::stat(f.resolved_.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
            continue;   // nothing to keep (a special file there makes the rename below fail)
        auto [fd, name] = makeSibling(f.resolved_, ".old");
        if (fd >= 0) {
            ::close(fd);
            ::unlink(name.c_str());
        }
        if (fd < 0 || ::link(f.resolved_.c_str(), name.c_str()) != 0) {
            const int err = errno;
            dropBackups();
            throw IoError(Kind::WriteFailed, f.target_, -1, std::string("cannot keep the previous file while replacing it: ") + std::strerror(err));
        }
        backups[i].path = name;
        backups[i].slot = registerTemp(name);
    }
    for (std::size_t i = 0; i < files.size(); ++i) {
        TempFile& f = *files[i];
        if (::rename(f.path_.c_str(), f.resolved_.c_str()) == 0)
            continue;
        const int err = errno;
        // Roll back: the earlier targets get their previous contents (or disappear again).
        for (std::size_t j = 0; j < i; ++j) {
            TempFile& done = *files[j];
            if (backups[j].path.empty())
                ::unlink(done.resolved_.c_str());
            else
                ::rename(backups[j].path.c_str(), done.resolved_.c_str());   // on failure the backup stays on disk
            unregisterTemp(backups[j].slot);
            backups[j] = Backup{};
            done.committed_ = true;   // its temp name is gone (renamed); nothing left to remove
        }
        dropBackups();
        throw IoError(Kind::WriteFailed, f.target_, -1,
                      std::string("cannot rename the finished file into place: ") + std::strerror(err) +
                          (i > 0 ? "; the other outputs of this job were left as they were" : ""));
    }
    dropBackups();
    for (TempFile* f : files)
        f->finishCommit();
}

void writeFileAtomically(const std::filesystem::path& path, const std::function<void(std::ostream&)>& write)
{
    TempFile temp(path);
    {
        std::ofstream out(temp.path(), std::ios::binary | std::ios::trunc);
        if (!out)
            throw IoError(Kind::WriteFailed, path, -1, "cannot write: cannot open " + temp.path().string());
        write(out);  // exceptions propagate; ~TempFile removes the file
        out.flush();
        if (!out)
            throw IoError(Kind::WriteFailed, path, -1, "cannot write: write error (disk full?)");
    }
    temp.commit();
}

std::filesystem::path scratchDirectory()
{
    if (const char* t = std::getenv("TMPDIR"); t && *t) {
        std::error_code ec;
        if (std::filesystem::is_directory(t, ec))
            return t;
    }
    std::error_code ec;
    auto dir = std::filesystem::temp_directory_path(ec);
    return ec ? std::filesystem::path("/tmp") : dir;
}

std::FILE* openScratchFile()
{
    std::string name = (scratchDirectory() / "mitoseg-scratch-XXXXXX").string();
    const int fd = ::mkstemp(name.data());
    if (fd < 0)
        return nullptr;
    ::unlink(name.c_str());
    std::FILE* f = ::fdopen(fd, "w+b");
    if (!f) {
        const int e = errno;
        ::close(fd);
        errno = e;
    }
    return f;
}

}  // namespace mitoseg
