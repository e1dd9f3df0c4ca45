#include "core/base/AtomicFile.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

#include "core/base/Error.h"

namespace mitoseg {

using Kind = IoError::Kind;

TempFile::TempFile(const std::filesystem::path& target) : target_(target)
{
    std::filesystem::path dir = target.parent_path();
    if (dir.empty())
        dir = ".";
    std::string name = ".";
    name.append(target.filename().string()).append(".XXXXXX");
    std::string tmpl = (dir / name).string();
    fd_ = ::mkstemp(tmpl.data());
    if (fd_ < 0)
        throw IoError(Kind::WriteFailed, target, -1,
                      "cannot create a temporary file in " + dir.string() + ": " + std::strerror(errno));
    path_ = tmpl;
    // mkstemp creates 0600; give the result the permissions an ordinary new file gets.
    struct stat st{};
    const mode_t mode = ::stat(target.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0644;
    ::fchmod(fd_, mode);
}

TempFile::~TempFile()
{
    if (fd_ >= 0)
        ::close(fd_);
    if (!committed_)
        ::unlink(path_.c_str());
}

void TempFile::commit()
{
    if (fd_ >= 0 && ::fsync(fd_) != 0)
        throw IoError(Kind::WriteFailed, target_, -1, std::string("cannot flush the file to disk: ") + std::strerror(errno));
    if (::rename(path_.c_str(), target_.c_str()) != 0)
        throw IoError(Kind::WriteFailed, target_, -1,
                      std::string("cannot rename the finished file into place: ") + std::strerror(errno));
    committed_ = true;
    std::filesystem::path dir = target_.parent_path();
    const int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
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

}  // namespace mitoseg
