#pragma once
// The pieces of data-parallel training that touch tensors: the step's loss (global over the
// ranks' batches), gradient averaging in flat buckets, and the start-up broadcast of rank 0's
// weights. INTERNAL to core/engine (includes LibTorch); the process group is core/dist's.
#include <cstdint>

#include "core/engine/UNet.h"

namespace mitoseg {

class ProcessGroup;

/// The training loss of one step: BCE (multiclass: CE) + diceWeight * soft Dice (over the
/// foreground classes). Without a group: the loss of this batch, and `reported` its value.
/// With a group of N ranks with equal batches: the tensor to back-propagate on this rank, made
/// so that the average over the ranks of its gradients is the gradient of the loss of the union
/// of the ranks' batches (the Dice term uses the all-reduced sums, the other ranks' parts held
/// constant; one small all-reduce), and `reported` that global loss. Calling thread only.
torch::Tensor trainingLoss(const torch::Tensor& logits, const torch::Tensor& target, int classes, double diceWeight,
                           ProcessGroup* group, double& reported);

/// Averages the parameters' gradients over the ranks (and, when `withBatchNormStatistics`, the
/// batch-norm running means and variances), in flat buckets of at most 4 M floats, one
/// all-reduce each. Returns the bytes all-reduced.
std::uint64_t averageGradients(UNet& net, ProcessGroup& group, bool withBatchNormStatistics);

/// Copies rank 0's parameters and floating-point buffers into every rank's network.
void broadcastWeights(UNet& net, ProcessGroup& group);

}  // namespace mitoseg
