#pragma once
// The pieces of data-parallel training that touch tensors: the step's loss (global over the
// ranks' batches), gradient averaging in flat buckets, and the start-up broadcast of rank 0's
// weights. INTERNAL to core/engine (includes LibTorch); the process group is core/dist's.
#include <cstdint>

#include "core/engine/UNet.h"

namespace mitoseg {

class ProcessGroup;

/// Pixels within this many pixels (Chebyshev distance) of a label change form the boundary band
/// that `boundaryWeight` weights.
constexpr int kBoundaryBandRadius = 3;

/// The training loss of one step: BCE (multiclass: CE) + diceWeight * soft Dice (over the
/// foreground classes). With boundaryWeight W > 0 the BCE (CE) of a pixel in the boundary band
/// (kBoundaryBandRadius of a pixel of another label in its patch) counts 1 + W times, the
/// others once (the mean of the weighted terms over all pixels). Without a group: the loss of
/// this batch, and `reported` its value.
/// With a group of N ranks with equal batches: the tensor to back-propagate on this rank, made
/// so that the average over the ranks of its gradients is the gradient of the loss of the union
/// of the ranks' batches (the Dice term uses the all-reduced sums, the other ranks' parts held
/// constant; one small all-reduce), and `reported` that global loss. Calling thread only.
torch::Tensor trainingLoss(const torch::Tensor& logits, const torch::Tensor& target, int classes, double diceWeight,
                           ProcessGroup* group, double& reported, double boundaryWeight = 0);

/// 1 + boundaryWeight on the boundary band of `target` (N x H x W labels), else 1: N x 1 x H x W
/// floats. Calling thread only.
torch::Tensor boundaryWeights(const torch::Tensor& target, double boundaryWeight);

/// Averages the parameters' gradients over the ranks (and, when `withBatchNormStatistics`, the
/// batch-norm running means and variances), in flat buckets of at most 4 M floats, one
/// all-reduce each. Returns the bytes all-reduced.
std::uint64_t averageGradients(UNet& net, ProcessGroup& group, bool withBatchNormStatistics);

/// Gradient averaging overlapped with the backward pass, as PyTorch's DistributedDataParallel
/// does it: a hook on every parameter copies its gradient into a flat bucket as autograd
/// produces it, and a bucket whose gradients are all in starts its all-reduce at once (on Gloo's
/// threads) while backward goes on with earlier layers. Buckets follow the parameters in reverse
/// order (about the order backward produces them) and start strictly in bucket order, so every
/// rank starts the same collectives in the same order. Lives across steps (the hooks stay on the
/// parameters until it is destroyed). Calling thread only.
class OverlappedGradients {
public:
    OverlappedGradients(UNet& net, ProcessGroup& group, bool withBatchNormStatistics,
                        std::int64_t bucketFloats = std::int64_t{1} << 18);
    ~OverlappedGradients();
    OverlappedGradients(const OverlappedGradients&) = delete;
    OverlappedGradients& operator=(const OverlappedGradients&) = delete;

    /// After loss.backward(): starts the buckets still waiting (a parameter without a gradient
    /// this step counts as zeros), waits for all, writes the averages into the parameters'
    /// gradients and averages the batch-norm statistics (when asked). The result equals
    /// averageGradients. Returns the bytes all-reduced.
    std::uint64_t finish();
    /// Buckets whose all-reduce started inside backward in the last step (for tests, benches).
    int startedDuringBackward() const { return lastEarly_; }
    int buckets() const { return static_cast<int>(buckets_.size()); }

private:
    struct Bucket {
        torch::Tensor flat;
        std::vector<std::size_t> params;
        int waiting = 0;
        bool started = false;
    };
    void onGradient(std::size_t param, const torch::Tensor& grad);
    void startReady();

    UNet& net_;
    ProcessGroup& group_;
    bool bnStats_;
    std::vector<torch::Tensor> params_;
    std::vector<std::size_t> bucketOf_, offset_;
    std::vector<bool> seen_;
    std::vector<unsigned> hooks_;
    std::vector<Bucket> buckets_;
    std::size_t nextToStart_ = 0;
    bool late_ = false;   ///< a gradient came after its bucket had started (a parameter used twice)
    int startedEarly_ = 0;
    int lastEarly_ = 0;
};

/// Copies rank 0's parameters and floating-point buffers into every rank's network.
void broadcastWeights(UNet& net, ProcessGroup& group);

}  // namespace mitoseg
