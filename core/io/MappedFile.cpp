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
    static const std::uint64_t page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    // Rounded outwards: a read-only file mapping loses nothing when a page shared with the next
    // strip is dropped too (it maps back from the page cache on the next touch, also while
    // another thread reads it), while rounding inwards kept up to two pages per strip resident.
    const std::uint64_t begin = offset / page * page;
    const std::uint64_t end = std::min((offset + length + page - 1) / page * page, (size_ + page - 1) / page * page);
    if (end > begin)
        ::madvise(const_cast<std::uint8_t*>(data_) + begin, static_cast<std::size_t>(end - begin), MADV_DONTNEED);
}

MappedFile::~MappedFile()
{
    if (data_)
        ::munmap(const_cast<std::uint8_t*>(data_), static_cast<std::size_t>(size_));
}

}  // namespace mitoseg
