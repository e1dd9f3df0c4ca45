#include "core/io/MappedFile.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>

namespace mitoseg {

MappedFile::MappedFile(int fd, std::uint64_t size)
{
    if (size == 0 || size > static_cast<std::uint64_t>(SIZE_MAX))
        return;
    void* p = ::mmap(nullptr, static_cast<std::size_t>(size), PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        return;
    data_ = static_cast<const std::uint8_t*>(p);
    size_ = size;
}

void MappedFile::release(std::uint64_t offset, std::uint64_t length) const
{
    if (!data_ || offset >= size_)
        return;
    // Rounded outwards to 64 KiB: a read-only file mapping loses nothing when pages next to the
    // range are dropped too (they map back from the page cache on the next touch, also while
    // another thread reads them). Rounding inwards kept up to two pages per strip resident, and
    // page rounding missed what the kernel's fault-around maps with each fault: the aligned
    // window of fault_around_bytes (64 KiB by default) around the faulting page. Never past the
    // mapping's last page: whatever lies beyond it is someone else's memory.
    static const std::uint64_t page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    const std::uint64_t block = std::max<std::uint64_t>(page, std::uint64_t{64} << 10);
    const std::uint64_t mapped = (size_ + page - 1) / page * page;
    const std::uint64_t begin = offset / block * block;
    const std::uint64_t end = std::min((offset + length + block - 1) / block * block, mapped);
    if (end > begin)
        ::madvise(const_cast<std::uint8_t*>(data_) + begin, static_cast<std::size_t>(end - begin), MADV_DONTNEED);
}

MappedFile::~MappedFile()
{
    if (data_)
        ::munmap(const_cast<std::uint8_t*>(data_), static_cast<std::size_t>(size_));
}

}  // namespace mitoseg
