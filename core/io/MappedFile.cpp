#include "core/io/MappedFile.h"

#include <sys/mman.h>

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

MappedFile::~MappedFile()
{
    if (data_)
        ::munmap(const_cast<std::uint8_t*>(data_), static_cast<std::size_t>(size_));
}

}  // namespace mitoseg
