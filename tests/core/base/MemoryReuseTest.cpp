#include "core/base/MemoryReuse.h"

#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

namespace {

long minorFaults()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_minflt;
}

// What a forward pass does to the heap: two worker threads each allocate a set of activation
// blocks (1 to 28 MB), write them, and free them, pass after pass. Returns the minor page
// faults of the passes after the first (the first one has to fault its pages in).
long faultsOfRepeatedPasses()
{
    const std::vector<size_t> sizes{28u << 20, 12u << 20, 25u << 20, 6u << 20, 1u << 20, 20u << 20};
    auto pass = [&] {
        std::vector<void*> blocks;
        for (size_t size : sizes) {
            void* block = std::malloc(size);
            if (block == nullptr)
                std::abort();
            std::memset(block, 1, size);
            blocks.push_back(block);
        }
        for (void* block : blocks)
            std::free(block);
    };
    auto worker = [&](int passes) {
        for (int i = 0; i < passes; ++i)
            pass();
    };
    std::thread a(worker, 1), b(worker, 1);
    a.join();
    b.join();
    const long before = minorFaults();
    std::thread c(worker, 4), d(worker, 4);
    c.join();
    d.join();
    return minorFaults() - before;
}

// Runs the passes in a child process (allocator settings are process-wide) and returns its
// fault count, or -1 when the child failed.
long faultsInChild(bool keepForReuse)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    const pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        if (keepForReuse && !mitoseg::keepFreedMemoryForReuse())
            _exit(3);
        const long faults = faultsOfRepeatedPasses();
        const bool written = write(fds[1], &faults, sizeof faults) == static_cast<ssize_t>(sizeof faults);
        _exit(written ? 0 : 4);
    }
    close(fds[1]);
    long faults = -1;
    if (read(fds[0], &faults, sizeof faults) != static_cast<ssize_t>(sizeof faults))
        faults = -1;
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? faults : -1;
}

}  // namespace

TEST(MemoryReuse, LaterPassesReuseFreedMemoryInsteadOfFaultingItIn)
{
    // The measured passes write 8 x 92 MB: 188,000 pages. Without the settings glibc faults
    // about 120,000 of them in again (measured); with them about 5,000 (thread stacks, arena
    // growth). Fail above a tenth.
#ifdef MITOSEG_SANITIZE
    GTEST_SKIP() << "ASan replaces glibc's malloc (its mallopt does nothing): glibc's tuning cannot be measured here";
#endif
    const long reused = faultsInChild(true);
    ASSERT_GE(reused, 0) << "the child process failed";
    EXPECT_LT(reused, 18800) << "freed blocks went back to the kernel and were faulted in again";
}
