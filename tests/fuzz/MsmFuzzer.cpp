// libFuzzer harness for the model-file (.msm) loader: any byte string must either load or throw
// IoError from the container reader and the header checks that run before a network is built
// (ModelSpec::fromContainer: header fields, blob count, architecture bounded by the weights
// blob). Never crash, overflow, leak or allocate absurdly (ASan's malloc limit catches that).
// The torch weights archive itself is opaque here: LibTorch cannot be instrumented. Use msm.dict.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include "core/base/Error.h"
#include "core/engine/ModelFile.h"
#include "core/engine/ModelSpec.h"

namespace {

/// FNV-1a as the container uses it (core/engine/ModelFile.cpp).
std::uint64_t fnv1a(const std::uint8_t* p, std::size_t n)
{
    std::uint64_t h = 1469598103934665603ull;
    for (std::size_t i = 0; i < n; ++i) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

int memoryFile()
{
    static const int fd = ::memfd_create("msm-fuzz", 0);
    return fd;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const int fd = memoryFile();
    if (fd < 0 || ::ftruncate(fd, 0) != 0)
        return 0;
    // Mutations nearly always break the checksum, which would hide everything behind it: the
    // last 8 bytes are recomputed unless the input's last byte is 0xEE (that keeps the
    // checksum-mismatch path reachable).
    std::basic_string<std::uint8_t> bytes(data, size);
    if (size >= 16 && data[size - 1] != 0xEE) {
        const std::uint64_t sum = fnv1a(bytes.data() + 8, size - 16);
        for (int i = 0; i < 8; ++i)
            bytes[size - 8 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(sum >> (8 * i));
    }
    std::size_t done = 0;
    while (done < size) {
        const ssize_t n = ::pwrite(fd, bytes.data() + done, size - done, static_cast<off_t>(done));
        if (n <= 0)
            return 0;
        done += static_cast<std::size_t>(n);
    }
    const std::string path = "/proc/self/fd/" + std::to_string(fd);
    try {
        const mitoseg::ModelContainer c = mitoseg::readModelContainer(path);
        (void)c.header.dump(1);
        const mitoseg::ModelSpec spec = mitoseg::ModelSpec::fromContainer(c, path);
        (void)spec.toJson().dump();
        (void)spec.arch.parameterCount();
    } catch (const mitoseg::IoError&) {
        // a clean, typed rejection
    }
    return 0;
}
