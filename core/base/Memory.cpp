#include "core/base/Memory.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <string>

namespace mitoseg {

std::uint64_t memoryLimit()
{
    const char* text = std::getenv("MITOSEG_MEMORY_LIMIT");
    if (!text || !*text)
        return 0;
    char* end = nullptr;
    const double value = std::strtod(text, &end);
    if (end == text || !(value > 0))
        return 0;
    double scale = 1;
    switch (std::toupper(static_cast<unsigned char>(*end))) {
    case 'K': scale = 1024.0; break;
    case 'M': scale = 1024.0 * 1024; break;
    case 'G': scale = 1024.0 * 1024 * 1024; break;
    case 'T': scale = 1024.0 * 1024 * 1024 * 1024; break;
    default: break;
    }
    const double bytes = value * scale;
    return bytes >= 1.8e19 ? UINT64_MAX : static_cast<std::uint64_t>(bytes);
}

namespace {

/// The value in bytes of "Key:   123 kB" in a /proc file; nothing when the key is absent.
std::optional<std::uint64_t> procKilobytes(const char* file, const std::string& key)
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
    return std::nullopt;
}

std::uint64_t memAvailable()
{
    if (const auto bytes = procKilobytes("/proc/meminfo", "MemAvailable:"))
        return *bytes;
    const long pages = ::sysconf(_SC_PHYS_PAGES), pageSize = ::sysconf(_SC_PAGESIZE);
    return pages > 0 && pageSize > 0 ? static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(pageSize) : 0;
}

/// A cgroup v2 memory file's number; 0 when absent or "max".
std::uint64_t cgroupValue(const char* file)
{
    std::ifstream in(file);
    std::string text;
    if (!(in >> text) || text == "max")
        return 0;
    try {
        return std::stoull(text);
    } catch (const std::exception&) {
        return 0;
    }
}

}  // namespace

std::uint64_t availableMemoryBytes()
{
    if (const std::uint64_t limit = memoryLimit())
        return limit;
    std::uint64_t room = memAvailable();
    // A container's limit and the address-space limit (ulimit -v) bound it too.
    const std::uint64_t cgMax = cgroupValue("/sys/fs/cgroup/memory.max"), cgNow = cgroupValue("/sys/fs/cgroup/memory.current");
    if (cgMax > 0 && cgNow > 0)
        room = std::min(room, cgMax > cgNow ? cgMax - cgNow : 1);
    struct rlimit lim{};
    if (::getrlimit(RLIMIT_AS, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY) {
        if (const auto used = procKilobytes("/proc/self/status", "VmSize:"))
            room = std::min<std::uint64_t>(room, lim.rlim_cur > *used ? lim.rlim_cur - *used : 1);
    }
    return room;
}

std::optional<std::uint64_t> parseByteSize(std::string_view text)
{
    std::size_t i = 0;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
        ++i;
    const std::string number(text.substr(0, i));
    if (number.empty() || number == "." || std::count(number.begin(), number.end(), '.') > 1)
        return std::nullopt;
    std::string unit(text.substr(i));
    for (char& c : unit)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    double scale = 1;
    if (!unit.empty() && unit != "B") {
        static const char* const prefixes = "KMGT";
        const char* p = std::strchr(prefixes, unit[0]);
        if (!p || !(unit.size() == 1 || unit.substr(1) == "B" || unit.substr(1) == "IB"))
            return std::nullopt;
        for (const char* q = prefixes; q <= p; ++q)
            scale *= 1024.0;
    }
    char* end = nullptr;
    const double value = std::strtod(number.c_str(), &end);
    if (end != number.c_str() + number.size() || !(value > 0))
        return std::nullopt;
    const double bytes = value * scale;
    if (!(bytes >= 1) || bytes >= 1.8e19)
        return std::nullopt;
    return static_cast<std::uint64_t>(bytes);
}

namespace {
std::atomic<std::uint64_t> budgetSet{0};
}

std::uint64_t memoryBudget()
{
    if (const std::uint64_t b = budgetSet.load())
        return b;
    if (const char* text = std::getenv("MITOSEG_MEMORY_BUDGET"))
        if (const auto b = parseByteSize(text))
            return *b;
    return kDefaultMemoryBudget;
}

void setMemoryBudget(std::uint64_t bytes) { budgetSet.store(bytes); }

std::string formatBytes(std::uint64_t bytes)
{
    if (bytes < 1024)
        return std::to_string(bytes) + " bytes";
    static const char* const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = static_cast<double>(bytes) / 1024.0;
    int u = 0;
    while (v >= 1024.0 && u < 5) {
        v /= 1024.0;
        ++u;
    }
    char text[32];
    std::snprintf(text, sizeof text, "%.1f %s", v, units[u]);
    return text;
}

std::string budgetArgument(std::uint64_t bytes)
{
    const std::uint64_t mib = (bytes + (1u << 20) - 1) >> 20;
    if (mib >= 10240 && mib % 1024 == 0)
        return std::to_string(mib / 1024) + "G";
    return std::to_string(std::max<std::uint64_t>(1, mib)) + "M";
}

}  // namespace mitoseg
