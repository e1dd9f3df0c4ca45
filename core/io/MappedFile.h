#pragma once
// A read-only memory map of a whole file. Immutable once built: any thread may read through
// data() concurrently. The map lives as long as the object.
#include <cstddef>
#include <cstdint>
#include <filesystem>

namespace mitoseg {

class MappedFile {
public:
    /// Maps `fd` (size `size` bytes) read-only. On failure data() is null and the caller
    /// falls back to pread(). Does not take ownership of fd.
    MappedFile(int fd, std::uint64_t size);
    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    const std::uint8_t* data() const { return data_; }

    std::uint64_t size() const { return size_; }

    /// Unmaps the 64 KiB blocks touching [offset, offset + length) from this process (the data stays
    /// in the page cache and maps back on the next touch), so copying a stack slice by slice
    /// does not grow the resident set with the file. Any thread.
    void release(std::uint64_t offset, std::uint64_t length) const;

private:
    const std::uint8_t* data_ = nullptr;
    std::uint64_t size_ = 0;
};

}  // namespace mitoseg
