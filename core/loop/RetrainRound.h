#pragma once
// One round of the retraining loop, the same for the studio's Retrain and `mitoseg bench loop`:
// fine-tune the current model on the slices corrected since the last round, mixed with the
// slices labelled before (replay, so it does not forget), for a wall-time budget; save the new
// model (keeping the current model's threshold and 3D post-processing); score the current and
// the new model on validation slices; optionally re-predict the whole stack with the new model.
// No Qt, no torch types: it drives the engine through Trainer.h and Segmenter.h.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <vector>

#include "core/engine/ComputePrecision.h"
#include "core/base/Progress.h"
#include "core/base/Volume.h"
#include "core/engine/Segmenter.h"
#include "core/engine/Trainer.h"

namespace mitoseg {

/// What a round reads. The volumes must outlive run() and must not change during it (the
/// studio passes copies); they are only read.
struct RoundData {
    const VolumeU8* image = nullptr;        ///< raw stack as uint8, or
    const VolumeF32* imageF32 = nullptr;    ///< raw stack as float (exactly one of the two)
    const VolumeU8* labels = nullptr;       ///< the user's mask, right on `corrected` and `replay`
    std::vector<std::int64_t> corrected;    ///< slices corrected since the last round (the new data)
    std::vector<std::int64_t> replay;       ///< slices labelled before (kept in the mix)
    /// Optional anchor against drift: unlabelled slices replayed with the current model's own
    /// labels (its post-processed prediction), so the model keeps what it did right where
    /// nobody corrected it. Both or neither.
    const VolumeU8* pseudoLabels = nullptr;
    std::vector<std::int64_t> pseudoSlices;
    const VolumeU8* truth = nullptr;        ///< scores compare with this (the reference); null = labels
    std::vector<std::int64_t> scoreSlices;  ///< validation slices, scored before and after; never trained on
    /// int8 (RoundSettings::int8): the activation ranges' samples of the whole stack, when the
    /// image above is only part of it (the studio's rounds read the slices they need); null =
    /// int8CalibrationOf the image. Either way every prediction of the round uses the same.
    const Int8Calibration* int8Calibration = nullptr;
};

/// How a round runs. Plain value type.
struct RoundSettings {
    std::filesystem::path model;       ///< the current model (read, left untouched)
    std::filesystem::path outModel;    ///< the round's model, written atomically
    double seconds = 60;               ///< wall-time budget of the fine-tuning
    double correctedShare = 0.5;       ///< share of patches from `corrected` when there is replay
    int threads = 0;                   ///< torch threads (0 = all cores)
    int batch = 4;
    int patch = 256;
    double learningRate = 1e-4;        ///< gentle: it starts from a good model and sees few slices
    std::int64_t warmupSteps = 10;
    std::int64_t maxSteps = 1000000000;///< upper bound besides the budget (tests use it for exact runs)
    std::uint64_t seed = 1;
    bool bf16 = defaultBf16();                  ///< bfloat16 autocast (training and prediction)
    bool channelsLast = true;
    bool int8 = false;                 ///< 8-bit prediction where bf16 is off (PredictOptions::int8); training stays float
    bool freezeBatchNorm = true;       ///< keep the model's batch-norm statistics (a few slices would drag them)
    bool scoreBefore = true;           ///< score the current model on scoreSlices (else iouBefore = -1)
    bool predictStack = false;         ///< re-predict every slice with the new model (with its post-processing)
    std::int64_t firstSlice = 0;       ///< with predictStack: predicted first (the slice on screen)
    std::string description;           ///< stored in the model file ("round 2 on training.tif")
    const PauseGate* pause = nullptr;  ///< training waits while it is paused (see TrainConfig::pause)
};

/// Where a round is, for progress bars (reported on the thread running the round).
struct RoundProgress {
    enum class Phase { ScoringBefore, Training, ScoringAfter, Predicting };
    Phase phase = Phase::Training;
    double done = 0, total = 0;    ///< slices or training steps
    TrainProgress train;           ///< the trainer's last report (Training phase)
};

using RoundCallback = std::function<void(const RoundProgress&)>;

/// What a round did.
struct RoundReport {
    std::vector<std::int64_t> trainedOn;   ///< corrected + replay slices, sorted
    std::int64_t steps = 0;
    double trainSeconds = 0;               ///< fine-tuning wall time
    double predictSeconds = 0;             ///< scoring after + stack re-prediction wall time
    double firstSliceSeconds = -1;         ///< with predictStack: until the first slice was predicted
    double iouBefore = -1, iouAfter = -1;  ///< foreground IoU (multiclass: mean class IoU) on scoreSlices
    bool cancelled = false;                ///< stopped by the token; the model so far is still written
    std::vector<double> losses;
    StackPrediction prediction;            ///< with predictStack: the new model's prediction
};

/// Runs one round (see the file comment). Call from one worker thread; it uses settings.threads
/// torch threads and must not overlap another training in the process (see train()). Throws
/// mitoseg::Error on unusable data (nothing corrected nor replayed, shape mismatch, a score slice
/// among the training slices), IoError on unreadable models or unwritable outputs. On cancel
/// during training it writes the model trained so far and returns cancelled = true (no
/// scoring after); cancel during scoring or prediction throws mitoseg::Cancelled.
class RetrainRound {
public:
    RetrainRound(RoundSettings settings, const RoundData& data);
    RoundReport run(const RoundCallback& onProgress, const CancelToken& cancel);

    /// Foreground IoU of `model` on `slices` against `truth` (binary; multiclass: mean IoU of the
    /// non-background classes), predicting each slice with its real neighbours; any thread.
    static double scoreSlices(Segmenter& model, const RoundData& data, const std::vector<std::int64_t>& slices,
                              const PredictOptions& options, const CancelToken* cancel);

private:
    void checkData() const;
    void keepPostProcessing() const;

    RoundSettings settings_;
    const RoundData& data_;
    VolumeU8 mixed_;   ///< labels with the pseudo-labelled slices filled in (when there are any)
};

}  // namespace mitoseg
