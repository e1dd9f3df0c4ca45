#include "core/base/SystemMemory.h"

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>

namespace mitoseg {

namespace {

constexpr std::uint64_t kUnknown = std::numeric_limits<std::uint64_t>::max();

/// The value in kB of "Key:   123 kB" in a /proc file, or kUnknown.
std::uint64_t procKilobytes(const char* file, const std::string& key)
{
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(key, 0) == 0) {
            std::istringstream v(line.substr(key.size()));
            std::uint64_t kb = 0;
            if (v >> kb)
                return kb * 1024;
        }
    return kUnknown;
}

std::uint64_t cgroupValue(const char* file)
{
    std::ifstream in(file);
    std::string text;
    if (!(in >> text) || text == "max")
        return kUnknown;
    try {
        return std::stoull(text);
    } catch (const std::exception&) {
        return kUnknown;
    }
}

}  // namespace

std::uint64_t availableMemoryBytes()
{
    std::uint64_t room = procKilobytes("/proc/meminfo", "MemAvailable:");
    const std::uint64_t cgMax = cgroupValue("/sys/fs/cgroup/memory.max");
    const std::uint64_t cgNow = cgroupValue("/sys/fs/cgroup/memory.current");
    if (cgMax != kUnknown && cgNow != kUnknown)
        room = std::min(room, cgMax > cgNow ? cgMax - cgNow : 0);
    struct rlimit lim{};
    if (::getrlimit(RLIMIT_AS, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY) {
        const std::uint64_t used = procKilobytes("/proc/self/status", "VmSize:");
        if (used != kUnknown)
            room = std::min<std::uint64_t>(room, lim.rlim_cur > used ? lim.rlim_cur - used : 0);
    }
    return room;
}

std::string formatBytes(std::uint64_t bytes)
{
    char buf[32];
    const double b = static_cast<double>(bytes);
    if (b >= 1e9)
        std::snprintf(buf, sizeof buf, "%.1f GB", b / 1e9);
    else
        std::snprintf(buf, sizeof buf, "%.0f MB", b / 1e6);
    return buf;
}

}  // namespace mitoseg
