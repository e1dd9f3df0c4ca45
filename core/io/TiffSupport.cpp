#include "core/io/TiffSupport.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>

namespace mitoseg::tiff {

namespace {

constexpr tmsize_t kMaxSingleAlloc = tmsize_t{1} << 30;  // guards libtiff's own buffers

int onError(TIFF*, void* userData, const char* module, const char* fmt, va_list ap)
{
    auto* log = static_cast<MessageLog*>(userData);
    if (!log)
        return 1;
    char buf[512];
    std::vsnprintf(buf, sizeof buf, fmt, ap);
    std::string msg = module && *module ? std::string(module) + ": " + buf : std::string(buf);
    if (log->lastError.empty())
        log->lastError = msg;
    else if (log->lastError.size() < 1000)
        log->lastError += "; " + msg;
    return 1;
}

int onWarning(TIFF*, void*, const char*, const char*, va_list) { return 1; }

TIFFOpenOptions* makeOptions(MessageLog* log)
{
    TIFFOpenOptions* opts = TIFFOpenOptionsAlloc();
    TIFFOpenOptionsSetMaxSingleMemAlloc(opts, kMaxSingleAlloc);
    TIFFOpenOptionsSetErrorHandlerExtR(opts, &onError, log);
    TIFFOpenOptionsSetWarningHandlerExtR(opts, &onWarning, log);
    return opts;
}

}  // namespace

std::string MessageLog::suffix() const { return lastError.empty() ? std::string() : " (libtiff: " + lastError + ")"; }

void silenceLibTiff()
{
    static std::once_flag once;
    std::call_once(once, [] {
        TIFFSetErrorHandler(nullptr);
        TIFFSetWarningHandler(nullptr);
    });
}

Handle::~Handle()
{
    if (tif_)
        TIFFClose(tif_);
}

bool Handle::openRead(int fd, const std::filesystem::path& name)
{
    silenceLibTiff();
    const std::string self = "/proc/self/fd/" + std::to_string(fd);
    const int own = ::open(self.c_str(), O_RDONLY | O_CLOEXEC);
    if (own < 0) {
        log_.lastError = "cannot reopen the file: " + std::string(std::strerror(errno));
        return false;
    }
    TIFFOpenOptions* opts = makeOptions(&log_);
    // "m": no memory map of the whole file by libtiff. Its map kept every page it touched
    // (each IFD of a BigTIFF stack faults in 64 KiB around it) resident for the life of the
    // handle: 64 MiB per 1000 slices in a streamed job. Raw strips come from TiffStack's own
    // map, which releases what it read.
    tif_ = TIFFFdOpenExt(own, name.c_str(), "rm", opts);
    TIFFOpenOptionsFree(opts);
    if (!tif_)
        ::close(own);   // TIFFClose closes it once the handle exists; a failed open leaves it to us
    return tif_ != nullptr;
}

bool Handle::openWrite(int fd, const std::filesystem::path& name, bool bigTiff)
{
    silenceLibTiff();
    TIFFOpenOptions* opts = makeOptions(&log_);
    tif_ = TIFFFdOpenExt(fd, name.c_str(), bigTiff ? "w8" : "w", opts);
    TIFFOpenOptionsFree(opts);
    return tif_ != nullptr;
}

bool Handle::close()
{
    if (!tif_)
        return true;
    log_.clear();
    TIFFClose(tif_);
    tif_ = nullptr;
    return log_.lastError.empty();
}

std::string compressionName(std::uint16_t code)
{
    switch (code) {
    case COMPRESSION_NONE: return "none";
    case COMPRESSION_LZW: return "lzw";
    case COMPRESSION_ADOBE_DEFLATE:
    case COMPRESSION_DEFLATE: return "deflate";
    case COMPRESSION_PACKBITS: return "packbits";
    case COMPRESSION_JPEG:
    case COMPRESSION_OJPEG: return "jpeg";
    case COMPRESSION_LZMA: return "lzma";
    case COMPRESSION_ZSTD: return "zstd";
    case COMPRESSION_WEBP: return "webp";
    case COMPRESSION_CCITTRLE:
    case COMPRESSION_CCITTFAX3:
    case COMPRESSION_CCITTFAX4: return "ccitt";
    default: return "code " + std::to_string(code);
    }
}

}  // namespace mitoseg::tiff
