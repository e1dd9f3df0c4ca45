#include "core/base/Error.h"

namespace mitoseg {

namespace {
std::string compose(const std::filesystem::path& path, std::int64_t page, const std::string& what)
{
    std::string msg = path.string();
    if (page >= 0)
        msg += " (page " + std::to_string(page) + ")";
    return msg + ": " + what;
}
}  // namespace

IoError::IoError(Kind kind, std::filesystem::path path, std::int64_t page, const std::string& what)
    : Error(compose(path, page, what)), kind_(kind), path_(std::move(path)), page_(page)
{
}

}  // namespace mitoseg
