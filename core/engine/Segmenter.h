#pragma once
// The engine's face to the rest of the program: load a model file and segment slices or
// stacks. No LibTorch types here, so ui/ and app/ can use it without torch headers.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/base/Progress.h"
#include "core/base/Volume.h"

namespace mitoseg {

/// What a model file says about itself (architecture summary, classes, training metadata).
struct ModelInfo {
    std::string preset;                    ///< e.g. "fast", "seed"
    int classes = 2;                       ///< including background; 2 = binary
    std::vector<std::string> classNames;   ///< classNames[0] is background
    float threshold = 0.5f;                ///< foreground threshold (binary models)
    std::int64_t parameters = 0;
    std::string trainedOn;                 ///< data the model was trained on
    std::int64_t steps = 0;
    double validationIoU = 0.0;            ///< foreground IoU on the held-out z-range
    std::string date;
    std::string version;
};

/// Whole-stack / slice prediction settings.
struct PredictOptions {
    int tile = 512;          ///< tile edge in pixels
    int overlap = 64;        ///< overlap between tiles, blended smoothly
    int batch = 2;           ///< tiles per forward pass
    bool tta = false;        ///< average over the eight flips/rotations
    int threads = 0;         ///< 0 = all cores
};

/// Prediction of one slice: probabilities per class (class-major, classes x height x width)
/// and the arg-max / thresholded label per pixel (0 = background).
struct SlicePrediction {
    std::int64_t height = 0, width = 0;
    int classes = 2;
    std::vector<float> probabilities;
    std::vector<std::uint8_t> labels;
    /// Probability of `cls` at pixel i.
    float probability(int cls, std::int64_t i) const { return probabilities[static_cast<std::size_t>(cls * height * width + i)]; }
};

/// A loaded model. One Segmenter may be used by one thread at a time; load another for
/// concurrent use.
class Segmenter {
public:
    /// Loads a model file; throws IoError(BadModel) naming the file on a wrong, truncated or
    /// hostile file.
    static std::unique_ptr<Segmenter> load(const std::filesystem::path& path);
    /// The model shipped under resources/models/ (searched beside the executable and in the
    /// source tree); empty path when none is found.
    static std::filesystem::path defaultModelPath();
    virtual ~Segmenter() = default;

    virtual const ModelInfo& info() const = 0;

    /// Segments one slice of raw voxel values (the model file holds the input normalisation).
    virtual SlicePrediction predictSlice(const float* raw, std::int64_t height, std::int64_t width,
                                         const PredictOptions& options, const CancelToken* cancel = nullptr) = 0;
};

}  // namespace mitoseg
