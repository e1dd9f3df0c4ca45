#pragma once
// Choosing a binary model's post-processing (z-smoothing radius, threshold, smallest object)
// on labelled slices, and storing the choice in the model file. Torch-free: works on the
// probabilities predictStack returns.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/base/Progress.h"
#include "core/base/Volume.h"

namespace mitoseg {

/// The post-processing Segmenter::predictStack applies to binary models.
struct PostProcessing {
    int zSmooth = 0;                  ///< average P(foreground) over +-zSmooth slices
    float threshold = 0.5f;           ///< then threshold
    std::int64_t minObjectVoxels = 0; ///< then drop 3D objects (26-connected) of fewer voxels
};

/// The settings tried (every combination).
struct CalibrationGrid {
    std::vector<int> zSmooth{0, 1, 2, 3};
    std::vector<float> thresholds{0.3f, 0.35f, 0.4f, 0.45f, 0.5f, 0.55f, 0.6f, 0.65f, 0.7f, 0.75f, 0.8f};
    std::vector<std::int64_t> minObjectVoxels{0, 500, 1000, 2000, 5000, 10000, 20000};
};

struct CalibrationEntry {
    PostProcessing settings;
    double iou = 0;                ///< foreground IoU over the scored slices (folds: the mean of foldIoU)
    std::vector<double> foldIoU;   ///< foreground IoU on each fold (one entry for a single range)
    std::size_t gridIndex = 0;     ///< position in the grid's order (ties go to the earlier)
};

/// Slices [first, last] of a stack, scored together.
struct SliceRange {
    std::int64_t first = 0, last = 0;
};

/// Scores every setting of `grid` on slices [z0, z1] of `probability` (P(foreground) without
/// post-processing) against `truth` (non-zero = foreground), both of the same shape. Smoothing
/// uses the neighbouring slices present in `probability`; objects are counted over the whole
/// volume. Returns all entries, best first (ties: the earlier, simpler setting in grid order).
/// Throws mitoseg::Error on mismatched shapes, an empty grid or a bad range; Cancelled.
std::vector<CalibrationEntry> calibratePostProcessing(const VolumeF32& probability, const VolumeU8& truth, std::int64_t z0,
                                                      std::int64_t z1, const CalibrationGrid& grid = {},
                                                      const CancelToken* cancel = nullptr);

/// The same over several folds (disjoint or not): each setting is scored on every fold
/// (foldIoU), and ranked by the mean (iou), so a choice is not an accident of one fold. Objects
/// are counted over the whole volume for every fold alike.
std::vector<CalibrationEntry> calibratePostProcessing(const VolumeF32& probability, const VolumeU8& truth,
                                                      const std::vector<SliceRange>& folds, const CalibrationGrid& grid = {},
                                                      const CancelToken* cancel = nullptr);

/// Joins calibrations that each scored one fold with a model of its own (for example the
/// models of a recipe's z-folds, each trained without its fold's slices): entry k of the result
/// has every fold's IoU of grid setting k, and is ranked by their mean, as one calibration over
/// several folds ranks. Every list must come from the same grid. Throws mitoseg::Error on an
/// empty input, a list with several folds or lists of different grids.
std::vector<CalibrationEntry> joinFoldCalibrations(const std::vector<std::vector<CalibrationEntry>>& perFold);

/// What choosing on the other folds gives on each fold: for fold f, the foldIoU[f] of the entry
/// whose mean over every fold but f is best (ties: grid order). An honest estimate of the
/// choice's IoU on unseen slices. Needs at least two folds (else empty).
std::vector<double> heldOutFoldIoU(const std::vector<CalibrationEntry>& entries);

/// Copies the model file `in` to `out` (which may be the same path; written atomically) with its
/// post-processing set to `settings` and a note of where they were chosen. Throws IoError
/// (BadModel for a file that is not a binary model, WriteFailed).
void writeModelPostProcessing(const std::filesystem::path& in, const std::filesystem::path& out, const PostProcessing& settings,
                              const std::string& chosenOn);

}  // namespace mitoseg
