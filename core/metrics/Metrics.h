#pragma once
// Overlap metrics between a predicted and a true label volume: foreground IoU and Dice, per-class
// and mean IoU, the two-class mean IoU the seed notebook reported, per-slice IoU, and
// object-level precision/recall/F1 from 3D connected components matched at IoU >= 0.5.
// Pure functions, no torch: safe to call from any thread.
#include <cstdint>
#include <vector>

#include "core/base/Volume.h"
#include "core/metrics/Components.h"

namespace mitoseg {

/// Voxel-level scores. For binary masks every non-zero voxel is foreground. IoU of a class
/// that is absent from both volumes counts as 1.
struct OverlapScores {
    double foregroundIoU = 0;          ///< IoU of "non-zero" vs "non-zero"
    double dice = 0;                   ///< Dice of the same
    double meanIoU2Class = 0;          ///< (foreground IoU + background IoU) / 2, as the seed reported
    std::vector<double> classIoU;      ///< IoU of class 0..classes-1 (0 = background)
    double meanIoU = 0;                ///< mean of classIoU over the non-background classes
    std::int64_t truePositives = 0, falsePositives = 0, falseNegatives = 0, trueNegatives = 0;
};

/// Scores `pred` against `truth` (same shape, else mitoseg::Error) over z in [zBegin, zEnd]
/// (inclusive; zEnd < 0 = to the last slice). `classes` = 2 treats any non-zero as foreground;
/// more classes compare label values 0..classes-1.
OverlapScores overlapScores(const VolumeU8& pred, const VolumeU8& truth, int classes = 2, std::int64_t zBegin = 0,
                            std::int64_t zEnd = -1);

/// Foreground IoU of each slice in [zBegin, zEnd] (1 when both are empty).
std::vector<double> perSliceIoU(const VolumeU8& pred, const VolumeU8& truth, std::int64_t zBegin = 0, std::int64_t zEnd = -1);

/// Object-level detection scores: objects are 3D connected components of the foreground;
/// a predicted object matches a true one when their IoU >= `minIoU` (one-to-one; with
/// minIoU >= 0.5 a match is unique by construction).
struct ObjectScores {
    std::int64_t predicted = 0, truth = 0, matched = 0;
    double precision = 0, recall = 0, f1 = 0;
};

ObjectScores objectScores(const VolumeU8& pred, const VolumeU8& truth, Connectivity connectivity = Connectivity::TwentySix,
                          double minIoU = 0.5, std::int64_t zBegin = 0, std::int64_t zEnd = -1);

}  // namespace mitoseg
