#include "core/base/InputFile.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "core/base/Error.h"

namespace mitoseg {

namespace {

using Kind = IoError::Kind;

const char* describeType(mode_t mode)
{
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISFIFO(mode))
        return "a FIFO (named pipe)";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    if (S_ISSOCK(mode))
        return "a socket";
    return "a special file";
}

}  // namespace

InputFile InputFile::open(const std::filesystem::path& path, const std::string& what)
{
    // O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever.
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        throw IoError(Kind::Unreadable, path, -1, "cannot open the " + what + ": " + std::strerror(errno));
    InputFile file(fd, 0);
    struct stat st{};
    if (::fstat(fd, &st) != 0)
        throw IoError(Kind::Unreadable, path, -1, "cannot stat the " + what + ": " + std::strerror(errno));
    if (!S_ISREG(st.st_mode))
        throw IoError(Kind::Unreadable, path, -1,
                      std::string("is not a regular file (it is ") + describeType(st.st_mode) + "); cannot read it as a " + what);
    file.size_ = static_cast<std::uint64_t>(st.st_size);
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0)
        ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    return file;
}

InputFile::InputFile(InputFile&& other) noexcept : fd_(std::exchange(other.fd_, -1)), size_(other.size_) {}

InputFile& InputFile::operator=(InputFile&& other) noexcept
{
    if (this != &other) {
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = std::exchange(other.fd_, -1);
        size_ = other.size_;
    }
    return *this;
}

InputFile::~InputFile()
{
    if (fd_ >= 0)
        ::close(fd_);
}

int InputFile::release() { return std::exchange(fd_, -1); }

std::string InputFile::readAll(const std::filesystem::path& path, std::uint64_t limit)
{
    if (size_ > limit)
        throw IoError(Kind::Unsupported, path, -1,
                      "file too large (" + std::to_string(size_) + " bytes, at most " + std::to_string(limit) + " expected)");
    std::string data(static_cast<std::size_t>(size_), '\0');
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t got = ::pread(fd_, data.data() + done, data.size() - done, static_cast<off_t>(done));
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            throw IoError(Kind::Unreadable, path, -1, std::string("cannot read: ") + std::strerror(errno));
        if (got == 0)
            throw IoError(Kind::Truncated, path, -1,
                          "file shrank while being read (" + std::to_string(done) + " of " + std::to_string(size_) + " bytes)");
        done += static_cast<std::size_t>(got);
    }
    return data;
}

void requireRegularFile(const std::filesystem::path& path, const std::string& what) { InputFile::open(path, what); }

bool startsWith(const std::filesystem::path& path, const std::string& magic)
{
    try {
        InputFile f = InputFile::open(path, "file");
        std::string head(magic.size(), '\0');
        const ssize_t got = ::pread(f.fd(), head.data(), head.size(), 0);
        return got == static_cast<ssize_t>(magic.size()) && head == magic;
    } catch (const Error&) {
        return false;
    }
}

}  // namespace mitoseg
