#pragma once
// A process group over c10d's ProcessGroupGloo (the engine PyTorch's own DistributedDataParallel
// uses on CPU), met through a TCPStore or a FileStore. Torch-free interface: buffers are plain
// arrays. Every collective is blocking and has the rendezvous timeout: a rank that died or went
// silent makes the others throw mitoseg::Error (naming the operation, the rank and the cause)
// instead of hanging. One thread at a time per group; all ranks must call the same collectives
// in the same order.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/dist/Rendezvous.h"

namespace mitoseg {

class ProcessGroup {
public:
    /// Meets the other ranks (rank 0 serves the TCP store; the others connect, retrying until
    /// the timeout) and checks that all arrived with a barrier. Throws mitoseg::Error when the
    /// rendezvous fails or times out. `r` must be distributed (worldSize > 1).
    static std::unique_ptr<ProcessGroup> connect(const Rendezvous& r);
    ~ProcessGroup();
    ProcessGroup(const ProcessGroup&) = delete;
    ProcessGroup& operator=(const ProcessGroup&) = delete;

    int rank() const { return rank_; }
    int size() const { return size_; }
    double timeoutSeconds() const { return timeout_; }

    /// In-place element-wise sum over the ranks.
    void allreduceSum(float* data, std::size_t count);
    void allreduceSum(double* data, std::size_t count);
    /// In-place element-wise maximum over the ranks.
    void allreduceMax(double* data, std::size_t count);
    /// Copies `root`'s buffer into every rank's.
    void broadcast(float* data, std::size_t count, int root);
    /// Point to point (matched by tag).
    void send(const float* data, std::size_t count, int dst, int tag);
    void recv(float* data, std::size_t count, int src, int tag);
    void send(const std::uint8_t* data, std::size_t count, int dst, int tag);
    void recv(std::uint8_t* data, std::size_t count, int src, int tag);
    void barrier();

    /// Starts an in-place sum over the ranks of `data` and returns at once (the transfer runs on
    /// Gloo's threads); `data` must stay valid until finishPending(). Every rank must start the
    /// same collectives in the same order.
    void startAllreduceSum(float* data, std::size_t count);
    /// Waits for every started collective, oldest first (same timeout and errors as the
    /// blocking calls). The time spent waiting here counts as communication time.
    void finishPending();
    /// Collectives started and not yet finished.
    std::size_t pendingCount() const;

    /// Seconds spent inside collectives so far (for `bench scale`).
    double communicationSeconds() const { return commSeconds_; }
    /// Bytes this rank passed to collectives so far.
    std::uint64_t communicationBytes() const { return commBytes_; }

private:
    struct Impl;
    ProcessGroup(std::unique_ptr<Impl> impl, int rank, int size, double timeout);
    std::unique_ptr<Impl> impl_;
    int rank_, size_;
    double timeout_;
    double commSeconds_ = 0;
    std::uint64_t commBytes_ = 0;
    friend struct ProcessGroupAccess;
};

/// The group a job runs in: none for a single-process run (rank 0 of 1).
struct DistContext {
    ProcessGroup* group = nullptr;
    int rank() const { return group ? group->rank() : 0; }
    int size() const { return group ? group->size() : 1; }
};

}  // namespace mitoseg
