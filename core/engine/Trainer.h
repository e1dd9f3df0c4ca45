#pragma once
// Training a U-Net on a (partly) labelled stack, with validation on a held-out z-range,
// best-model selection, early stopping and resumable checkpoints. No Qt and no LibTorch types:
// the studio calls train() from a worker thread, the CLI from its main thread.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/engine/ComputePrecision.h"
#include "core/base/Progress.h"
#include "core/base/Volume.h"
#include "core/engine/UNetConfig.h"

namespace mitoseg {

class ProcessGroup;

enum class OptimizerKind { Adam, AdamW };

/// Everything that controls a training run. Plain value type.
struct TrainConfig {
    UNetConfig arch = UNetConfig::fromPreset("fast");
    std::int64_t steps = 2000;
    /// Wall-time budget in seconds (0 = none). The run stops before a step that would end past
    /// it (validating then, when it validates), and the cosine decay runs over the budget
    /// instead of over `steps`, which stays an upper bound.
    double maxSeconds = 0;
    int batch = 4;
    int patch = 256;                       ///< square patch edge (rounded down to a multiple of 2^depth)
    OptimizerKind optimizer = OptimizerKind::AdamW;
    double learningRate = 1e-3;
    double weightDecay = 1e-4;
    std::int64_t warmupSteps = 50;         ///< linear warm-up, then cosine decay to minLrFraction
    double minLrFraction = 0.02;
    double foregroundFraction = 0.5;       ///< share of patches centred on a foreground pixel
    bool augmentGeometry = true;           ///< the 8 flips/rotations
    bool augmentIntensity = true;          ///< brightness, contrast, gamma, Gaussian noise
    double diceWeight = 1.0;               ///< loss = BCE (CE) + diceWeight * soft Dice loss
    /// The BCE (CE) of pixels within kBoundaryBandRadius (3) pixels of a label change counts
    /// 1 + boundaryWeight times (0 = all pixels alike).
    double boundaryWeight = 0.0;
    std::int64_t validateEvery = 200;      ///< steps between validations (and always at the end)
    /// Validate in 8 bits (oneDNN int8, activation ranges from three of the validation slices),
    /// as `mitoseg predict` predicts on CPUs without bfloat16; ignored with bf16. Off: float32.
    /// Validation always runs the inference form (BN folded, prepacked, channels-last).
    bool validateInt8 = false;
    int earlyStopPatience = 0;             ///< stop after this many validations without improvement (0 = never)
    std::filesystem::path outModel;        ///< best model written here atomically (empty = don't write)
    std::filesystem::path checkpointDir;   ///< checkpoint.msc written here (empty = no checkpoints)
    double checkpointSeconds = 300;        ///< wall time between checkpoints (also at validations and the end)
    bool keepSnapshots = false;            ///< also write checkpointDir/model-step<N>.msm at every validation
                                           ///< (without validation: every validateEvery steps)
    std::filesystem::path resumeFrom;      ///< checkpoint to continue from (empty = fresh start)
    /// Model file whose weights and normalisation start the run (fine-tuning, e.g. on corrected
    /// slices). Its architecture replaces `arch`, except that `arch.inChannels` may be larger
    /// (0 keeps the model's input slices):
    /// a 2D model then seeds a 2.5D one (the first convolution sees the centre slice only).
    std::filesystem::path initFrom;
    std::uint64_t seed = 1;
    int threads = 0;                       ///< torch threads; 0 = all cores
    bool bf16 = defaultBf16();                      ///< CPU autocast to bfloat16 for the convolutions
    /// Keep batch-norm layers in inference mode (their statistics fixed): fine-tuning on a few
    /// slices then cannot drag the statistics the model learnt on much more data.
    bool freezeBatchNorm = false;
    bool channelsLast = defaultBf16();     ///< NHWC activations (faster with bfloat16; float32 trains faster NCHW)
    std::string dataDescription;           ///< stored in the model file ("training.tif + ...")
    std::string recipe;                    ///< stored in the model file: the options it was trained with
    std::vector<std::string> classNames;   ///< empty = "background", "mitochondria" / "class N"
    /// Checked before every step: while paused the run waits (cores free for other work) and
    /// the wait does not count against maxSeconds. Null = never pauses; must outlive train().
    const PauseGate* pause = nullptr;
    /// Data-parallel training (null = one process): every rank of `group` calls train() with the
    /// same config and data; `batch` is per rank. Rank 0's initial weights are broadcast, each
    /// rank draws patches rank * batch .. rank * batch + batch - 1 of every step's global batch
    /// (per-patch seeds, below), gradients and batch-norm running statistics are averaged over
    /// the ranks every step (the Dice term uses the global sums, so the gradient is the one of the
    /// global batch), validation slices are shared out and their counts summed, and only rank 0
    /// writes the model, snapshots and checkpoints. Stop decisions (time budget, cancel, early
    /// stop) are taken together. Must outlive train().
    ProcessGroup* group = nullptr;
    /// Patch i of step s's global batch comes from its own RNG seeded by (seed, s, i), so N
    /// ranks of batch b draw exactly the patches of one process of batch N*b with this on.
    /// Always on with a group; off (the default) keeps the single stream of earlier runs.
    bool perPatchSeeds = false;
    /// With a group: all-reduce each bucket of gradients as soon as backward has produced it,
    /// overlapping communication with the rest of backward (off: one pass after backward).
    bool overlapGradients = true;
};

/// The data: raw image (uint8 or float, exactly one set), labels (binary models: non-zero =
/// foreground; multiclass: class index per voxel), which slices are labelled, and the held-out
/// validation z-range. The volumes must outlive train(); they are only read.
struct TrainData {
    const VolumeU8* image = nullptr;
    const VolumeF32* imageF32 = nullptr;
    const VolumeU8* labels = nullptr;
    std::vector<std::int64_t> labelledSlices;   ///< empty = every slice is labelled
    std::int64_t valBegin = -1, valEnd = -1;    ///< inclusive; -1 = no validation
    /// Labelled slices that get `focusFraction` of the patches whatever their number (e.g. the
    /// newest corrections among many replayed slices); empty = all slices alike.
    std::vector<std::int64_t> focusSlices = {};
    double focusFraction = 0.5;
    /// Validation slices in any order (e.g. labelled slices the user set aside); when not
    /// empty they replace valBegin..valEnd. Never trained on.
    std::vector<std::int64_t> valSlices = {};
};

/// Reported after every step (and after each validation) on the training thread.
struct TrainProgress {
    std::int64_t step = 0, totalSteps = 0;
    double loss = 0;              ///< this step's loss
    double averageLoss = 0;       ///< running mean of recent steps
    double learningRate = 0;
    double valIoU = -1;           ///< last validation foreground IoU, -1 before the first
    double bestValIoU = -1;
    double etaSeconds = 0;
    double secondsPerStep = 0;
    bool validated = false;       ///< true on the report right after a validation
    /// Set on the report after a checkpoint or snapshot could not be written (e.g. disk full):
    /// the message naming the file. Training goes on and the previous checkpoint stays.
    std::string warning;
};

using TrainCallback = std::function<void(const TrainProgress&)>;

/// Outcome of train().
struct TrainResult {
    std::int64_t steps = 0;                 ///< steps done in total (including resumed ones)
    double bestValIoU = -1;
    std::int64_t bestStep = 0;
    bool stoppedEarly = false;
    bool cancelled = false;
    bool outOfTime = false;                 ///< stopped by TrainConfig::maxSeconds
    std::vector<std::pair<std::int64_t, double>> validationCurve;   ///< (step, IoU)
    std::vector<double> losses;            ///< loss of each step run in this call
    double seconds = 0;
    std::int64_t failedWrites = 0;          ///< checkpoints/snapshots that could not be written
    std::string lastWriteError;             ///< the last such failure (names the file)
    double communicationSeconds = 0;        ///< data-parallel: time in collectives (all-reduces, broadcast)
    std::uint64_t gradientBytesPerStep = 0; ///< data-parallel: bytes all-reduced per step (gradients + BN statistics)
};

/// Trains, writing the best model (by validation IoU; without validation: the last one) to
/// config.outModel and checkpoints to config.checkpointDir. Callable from any one thread (one
/// training per process at a time: it seeds torch's global RNG and sets its thread count);
/// uses config.threads torch threads. `onProgress` runs on the calling thread. On cancel it writes a checkpoint and returns with
/// cancelled = true (and, when no validation has written a model yet, writes the model so far). Throws mitoseg::Error on unusable data (shape mismatch, nothing labelled
/// outside the validation range), IoError on unreadable checkpoints or unwritable outputs
/// (checked before the first step). A checkpoint or snapshot that cannot be written later
/// (disk full) does not stop the run: it is reported (TrainProgress::warning,
/// TrainResult::failedWrites), the previous checkpoint stays intact and training goes on.
TrainResult train(const TrainConfig& config, const TrainData& data, const TrainCallback& onProgress,
                  const CancelToken& cancel);

/// Parses "0-10,20,30-32" into sorted unique indices; throws mitoseg::Error on bad syntax.
std::vector<std::int64_t> parseIndexList(const std::string& text);

}  // namespace mitoseg
