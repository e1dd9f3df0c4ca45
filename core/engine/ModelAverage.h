#pragma once
// Weight averaging of models from one training run ("stochastic weight averaging" over the
// snapshots of its last steps). Torch-free interface.
#include <filesystem>
#include <vector>

namespace mitoseg {

/// Writes to `out` (atomically) a model whose parameters and batch-norm statistics are the mean
/// of those of `models`. All must share the architecture, input slices and normalisation; the
/// header (threshold, post-processing, class names) is the last model's, with its metadata noting
/// the average and its validation IoU unknown (-1) until it is measured again. Throws
/// mitoseg::Error for fewer than two models, IoError(BadModel) naming the file that does not
/// match the first, IoError(WriteFailed).
void averageModels(const std::vector<std::filesystem::path>& models, const std::filesystem::path& out);

/// The largest absolute difference between the parameters and floating-point batch-norm
/// statistics of two models of the same architecture (e.g. a data-parallel run against one
/// process). Throws IoError(BadModel) naming `b` when the architectures differ.
double maxWeightDifference(const std::filesystem::path& a, const std::filesystem::path& b);

}  // namespace mitoseg
