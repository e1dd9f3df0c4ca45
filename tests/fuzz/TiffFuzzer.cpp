// libFuzzer harness: any byte string given to the TIFF reader must either read or throw
// IoError; never crash, leak, overflow or allocate absurdly (ASan's malloc limit catches that).
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/io/TiffStack.h"

namespace {

int memoryFile()
{
    static const int fd = ::memfd_create("tiff-fuzz", 0);
    return fd;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const int fd = memoryFile();
    if (fd < 0 || ::ftruncate(fd, 0) != 0)
        return 0;
    std::size_t done = 0;
    while (done < size) {
        const ssize_t n = ::pwrite(fd, data + done, size - done, static_cast<off_t>(done));
        if (n <= 0)
            return 0;
        done += static_cast<std::size_t>(n);
    }
    const std::string path = "/proc/self/fd/" + std::to_string(fd);
    try {
        auto stack = mitoseg::TiffStack::open(path);
        const mitoseg::StackInfo& info = stack->info();
        if (info.shape.sliceVoxels() > (1 << 24) || info.dataBytes() > (std::uint64_t{1} << 27))
            return 0;  // valid but large: decoding it would only slow the fuzzer down
        std::vector<std::uint8_t> slice(static_cast<std::size_t>(info.shape.sliceVoxels()) * mitoseg::dtypeSize(info.dtype));
        std::vector<float> asFloat(static_cast<std::size_t>(info.shape.sliceVoxels()));
        for (std::int64_t z = 0; z < info.shape.depth && z < 64; ++z) {
            try {
                stack->readSlice(z, slice.data());
                stack->readSliceF32(z, asFloat.data());
                if (const void* p = stack->mappedSlice(z))
                    (void)*static_cast<const volatile std::uint8_t*>(p);
            } catch (const mitoseg::IoError&) {
            }
        }
        // The whole-stack path too (mapped fast path, or decoder threads with a handle pool).
        try {
            switch (info.dtype) {
            case mitoseg::DType::U8: (void)stack->readAll<std::uint8_t>(); break;
            case mitoseg::DType::U16: (void)stack->readAll<std::uint16_t>(); break;
            case mitoseg::DType::F32: (void)stack->readAll<float>(); break;
            }
        } catch (const mitoseg::IoError&) {
        }
    } catch (const mitoseg::IoError&) {
    }
    return 0;
}
