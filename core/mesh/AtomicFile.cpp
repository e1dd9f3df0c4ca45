#include "core/mesh/AtomicFile.h"

#include <atomic>
#include <fstream>
#include <string>
#include <system_error>
#include <unistd.h>

#include "core/base/Error.h"

namespace mitoseg {

void writeFileAtomically(const std::filesystem::path& path, const std::function<void(std::ostream&)>& write)
{
    namespace fs = std::filesystem;
    static std::atomic<unsigned> counter{0};
    const fs::path tmp = path.string() + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    auto fail = [&](const std::string& why) {
        std::error_code ec;
        fs::remove(tmp, ec);
        throw IoError(IoError::Kind::WriteFailed, path, -1, "cannot write: " + why);
    };
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out)
            fail("cannot create a file in " + (path.has_parent_path() ? path.parent_path().string() : std::string(".")));
        try {
            write(out);
        } catch (...) {
            out.close();
            std::error_code ec;
            fs::remove(tmp, ec);
            throw;
        }
        out.flush();
        if (!out)
            fail("write error (disk full?)");
    }
    std::error_code ec;
    fs::rename(tmp, path, ec);
    if (ec)
        fail(ec.message());
}

}  // namespace mitoseg
