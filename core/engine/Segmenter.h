#pragma once
// The engine's face to the rest of the program: load a model file and segment slices or
// stacks. No LibTorch types here, so ui/ and app/ can use it without torch headers.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/engine/ComputePrecision.h"
#include "core/base/Progress.h"
#include "core/base/Volume.h"

namespace mitoseg {

class ProcessGroup;

/// What a model file says about itself (architecture summary, classes, training metadata).
struct ModelInfo {
    std::string preset;                    ///< e.g. "fast", "seed"
    int classes = 2;                       ///< including background; 2 = binary
    std::vector<std::string> classNames;   ///< classNames[0] is background
    float threshold = 0.5f;                ///< foreground threshold (binary models)
    int zSmooth = 0;                       ///< recommended z-smoothing radius (see PredictOptions)
    std::int64_t minObjectVoxels = 0;      ///< recommended smallest 3D object kept (see PredictOptions)
    int contextSlices = 0;                 ///< 2.5D: neighbours read on each side (0 = plain 2D)
    int baseWidth = 0;                     ///< channels of the first level (16 for `fast`; 0 = unknown)
    std::int64_t parameters = 0;
    std::string trainedOn;                 ///< data the model was trained on
    std::string recipe;                    ///< how it was trained: the `mitoseg train` options (empty = not recorded)
    std::int64_t steps = 0;
    double validationIoU = 0.0;            ///< foreground IoU on the held-out z-range
    std::string date;
    std::string version;
};

/// Whole-stack / slice prediction settings.
struct PredictOptions {
    int tile = 1024;         ///< tile edge in pixels (a 768 x 1024 slice is one tile)
    int overlap = 128;       ///< overlap between tiles; the outer quarter is dropped, the rest blended
    int batch = 2;           ///< tiles per forward pass
    bool tta = false;        ///< average over the eight flips/rotations
    int threads = 0;         ///< 0 = all cores
    bool bf16 = defaultBf16();        ///< bfloat16 convolutions (oneDNN/AMX); false = float32 throughout
    bool channelsLast = true;///< NHWC activations (faster with oneDNN)
    /// The reference path: the network as trained (float32, ConvTranspose2d, batch norm), no
    /// folding or conversion. Slow; for checking the fast path.
    bool referencePath = false;
    /// 8-bit convolutions (oneDNN int8) where bf16 is off. The activation ranges come from
    /// Segmenter::setInt8Calibration (the studio and retraining rounds set the document's), else
    /// predictStack measures them on its stack (int8CalibrationOf) and single-slice calls on the
    /// first input predicted. Off by default in the library; `mitoseg predict` and the studio
    /// turn it on where the CPU has no bfloat16 (defaultInt8()).
    bool int8 = false;
    /// predictStack: slices predicted at once, each on its own thread with one torch thread
    /// (0 = `threads` + 1 when threads >= 2, else 1; 1 = one slice at a time on `threads` torch
    /// threads).
    int workers = 0;
    /// predictStack of binary models: average P(foreground) over +-zSmooth neighbouring slices
    /// before thresholding (after all slices are predicted; onSlice sees unsmoothed slices).
    /// -1 = the model's recommendation (ModelInfo::zSmooth), 0 = off.
    int zSmooth = -1;
    /// predictStack of binary models: foreground threshold applied after z-smoothing.
    /// <= 0 = the model's (ModelInfo::threshold).
    float threshold = -1.0f;
    /// predictStack of binary models: drop 3D objects (26-connected) of fewer voxels, after
    /// thresholding; the probabilities are kept. -1 = the model's (ModelInfo::minObjectVoxels), 0 = off.
    std::int64_t minObjectVoxels = -1;
};

/// Result of predicting a stack: `probability` holds P(foreground) for binary models and the
/// probability of the chosen class for multiclass ones; `labels` holds 0 = background, else the
/// class index (binary: 1 = foreground).
struct StackPrediction {
    VolumeF32 probability;
    VolumeU8 labels;
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

/// Receives what a streamed predictStack produces, in z order, on the thread running it.
/// Binary models: all probability() calls (pass one) come before the labels() calls (pass two),
/// because removing small 3D objects needs the whole stack seen; multiclass: interleaved.
class PredictionSink {
public:
    virtual ~PredictionSink() = default;
    /// Slice z of P(foreground) after z-smoothing (binary), or of the chosen class's
    /// probability (multiclass): height * width floats.
    virtual void probability(std::int64_t z, const float* values) { (void)z; (void)values; }
    /// False when probability() ignores what it gets: a distributed run then does not send the
    /// probabilities to rank 0 (only the labels, 8 voxels a byte for binary models).
    virtual bool wantsProbability() const { return true; }
    /// Slice z of the final labels (0 = background; binary: 1 = foreground).
    virtual void labels(std::int64_t z, const std::uint8_t* values) = 0;
};

/// What int8 prediction (PredictOptions::int8) measures its activation ranges on: raw values of
/// the middle (at most) 512 x 512 of three slices spread through a stack, each with its 2.5D
/// context. Taken from the whole stack, they are the same whichever slice, z-range, subset or
/// rank of it is predicted, so a slice segmented alone equals the same slice of `mitoseg predict`.
struct Int8Calibration {
    std::int64_t samples = 0, channels = 0, height = 0, width = 0;
    std::vector<float> raw;   ///< samples x channels x height x width
    bool empty() const { return raw.empty(); }
};

/// Called after each slice of predictStack, on the thread running it.
using SliceCallback = std::function<void(std::int64_t z, const SlicePrediction&)>;
/// Supplies raw voxel values of slice z (height*width floats) to predictStack.
using SliceReader = std::function<void(std::int64_t z, float* dst)>;

/// Reads the int8 calibration of a stack of `shape` through `read`: slices (2i + 1) * depth / 6
/// (i = 0, 1, 2; fewer on stacks under 3 slices) with contextSlices neighbours a side, clamped at
/// the stack's ends. Any thread; throws what `read` throws.
Int8Calibration int8CalibrationOf(const Shape& shape, int contextSlices, const SliceReader& read);

/// Replaces P(foreground) of each slice of a binary prediction by its mean over +-radius
/// slices (clamped at the ends; radius 0 keeps it) and re-thresholds the labels. Any thread.
void smoothAlongZ(StackPrediction& prediction, int radius, float threshold);

/// The mean of each slice of `probability` over +-radius slices (clamped at the ends). Any thread.
VolumeF32 averageAlongZ(const VolumeF32& probability, int radius);

/// The post-processing predictStack applies to a binary prediction: z-smoothing (radius),
/// thresholding, then removal of objects under minObjectVoxels. Any thread.
void postProcessBinary(StackPrediction& prediction, int radius, float threshold, std::int64_t minObjectVoxels);

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

    /// int8 (PredictOptions::int8) from now on measures its activation ranges on `calibration`
    /// (int8CalibrationOf the stack being segmented), in predictSlice, predictSliceWithContext
    /// and predictStack alike. Without it predictStack measures on its own stack and single
    /// slices on the first input they see. Throws Error when its channels are not the model's
    /// input slices or it is empty.
    virtual void setInt8Calibration(const Int8Calibration& calibration) = 0;

    /// Segments one slice of raw voxel values (the model file holds the input normalisation).
    /// 2.5D models (several input slices) see this slice repeated as its own neighbours;
    /// predictStack gives them the real neighbours.
    virtual SlicePrediction predictSlice(const float* raw, std::int64_t height, std::int64_t width,
                                         const PredictOptions& options, const CancelToken* cancel = nullptr) = 0;

    /// Segments one slice given its neighbours: `slices` holds 2 * info().contextSlices + 1
    /// pointers to raw slices z - context .. z + context (the caller clamps at the stack's ends).
    /// Throws mitoseg::Error when the count is wrong.
    virtual SlicePrediction predictSliceWithContext(const std::vector<const float*>& slices, std::int64_t height,
                                                    std::int64_t width, const PredictOptions& options,
                                                    const CancelToken* cancel = nullptr) = 0;

    /// Runs the network on slices z0 .. z1-1 of a stack of `shape` (2.5D models read the context
    /// around them, clamped at the stack's ends) the way predictStack does (slice workers, int8
    /// calibration) and calls `onSlice` with each slice's prediction, thresholded at the model's
    /// threshold but not post-processed, in z order on this thread. A slice equals
    /// predictSliceWithContext's on the same neighbours (within 1e-5: the thread count differs). Throws what `read` throws, and Cancelled.
    virtual void predictSlices(const Shape& shape, const SliceReader& read, const PredictOptions& options, std::int64_t z0,
                               std::int64_t z1, const SliceCallback& onSlice, const CancelToken* cancel = nullptr) = 0;

    /// Segments every slice of a stack of `shape` whose raw slices come from `read` (2.5D models
    /// read the neighbours too) and streams the result into `sink`: memory holds the 2.5D
    /// window, the z-smoothing window and the object union-find, never the volume. Binary
    /// models get the model's post-processing (or the options'), adapted to the stack's depth
    /// (planPostProcessing). Reports one progress unit per slice, calls `onSlice` (unsmoothed
    /// prediction) after each slice, and throws Cancelled when `cancel` fires.
    virtual void predictStack(const Shape& shape, const SliceReader& read, const PredictOptions& options,
                              PredictionSink& sink, ProgressSink* progress = nullptr, const CancelToken* cancel = nullptr,
                              const SliceCallback& onSlice = {}) = 0;

    /// predictStack shared out over the ranks of `group` (every rank calls it with the same
    /// stack, shape and options): each rank predicts a contiguous z-chunk, reading the 2.5D
    /// context around it through `read`, and post-processes what it can alone: binary models'
    /// z-smoothing and threshold (the rank also predicts the zSmooth slices beyond each end of its
    /// chunk, the halo the smoothing needs), multiclass models' arg-max. Rank 0 takes the other
    /// ranks' slices in z order (thresholded labels packed 8 voxels a byte, or class labels a
    /// byte a voxel; plus 4 bytes of probability per voxel only when `sink` wants them) and runs
    /// the 3D small-object removal and `sink` over the whole stream, so its output equals
    /// predictStack's byte for byte. The other ranks never call `sink`; they keep their chunk's
    /// slices in an anonymous temporary file until rank 0 asks for them. Progress: rank 0 per
    /// slice of the stack, the others per slice of their chunk. Throws mitoseg::Error when a rank
    /// fails or does not answer within the group's timeout.
    virtual void predictStackDistributed(const Shape& shape, const SliceReader& read, const PredictOptions& options,
                                         PredictionSink& sink, ProcessGroup& group, ProgressSink* progress = nullptr,
                                         const CancelToken* cancel = nullptr) = 0;

    /// The same, collected into volumes (memory: 5 bytes per voxel).
    StackPrediction predictStack(const Shape& shape, const SliceReader& read, const PredictOptions& options,
                                 ProgressSink* progress = nullptr, const CancelToken* cancel = nullptr,
                                 const SliceCallback& onSlice = {});

    /// Convenience overloads for in-memory stacks.
    template <class T>
    StackPrediction predictStack(const Volume<T>& stack, const PredictOptions& options, ProgressSink* progress = nullptr,
                                 const CancelToken* cancel = nullptr, const SliceCallback& onSlice = {})
    {
        auto read = [&stack](std::int64_t z, float* dst) {
            const T* src = stack.slice(z);
            for (std::int64_t i = 0; i < stack.shape().sliceVoxels(); ++i)
                dst[i] = static_cast<float>(src[i]);
        };
        return predictStack(stack.shape(), read, options, progress, cancel, onSlice);
    }
};

}  // namespace mitoseg
