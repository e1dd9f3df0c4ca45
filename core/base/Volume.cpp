#include "core/base/Volume.h"

#include <sys/mman.h>

#include <cstdint>

namespace mitoseg {

namespace detail {
void adviseHugePages(void* p, std::size_t bytes)
{
    constexpr std::uintptr_t kPage = 4096;
    if (!p || bytes < (std::size_t{4} << 20))
        return;
    const auto begin = (reinterpret_cast<std::uintptr_t>(p) + kPage - 1) & ~(kPage - 1);
    const auto end = reinterpret_cast<std::uintptr_t>(p) + bytes;
    if (end > begin)
        ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
}
}  // namespace detail

const char* dtypeName(DType t)
{
    switch (t) {
    case DType::U8: return "uint8";
    case DType::U16: return "uint16";
    case DType::F32: return "float32";
    }
    return "unknown";
}

}  // namespace mitoseg
