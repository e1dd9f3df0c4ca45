#pragma once
// Runs training on its own QThread (moved there by TrainingController): a whole training run
// through core's train(), or one retraining round through core's RetrainRound. Everything it
// reads is copied or shared read-only before it starts; it never touches widgets, the live mask
// or the document, and reports over queued signals. It reads only the slices training needs
// (labelled and validation slices with the model's context neighbours: core's SliceSubset),
// so memory follows the labelled slices, not the stack.
#include <QMetaType>
#include <QObject>
#include <QString>

#include <memory>
#include <string>
#include <vector>

#include "core/engine/ComputePrecision.h"
#include "core/base/Progress.h"
#include "core/base/Volume.h"

namespace mitoseg::ui {

class ImageSource;

/// Everything a training job needs, prepared on the GUI thread.
struct TrainingJob {
    enum class Kind { Train, Round };
    Kind kind = Kind::Train;
    int generation = 0;
    std::shared_ptr<const ImageSource> image;      ///< read-only; thread-safe reads
    /// Copies of the mask's labelled slices (the reference on validation slices taken from it),
    /// one per entry of labelSlices: only these, so a stack far bigger than memory can train.
    std::shared_ptr<const VolumeU8> labels;
    std::vector<std::int64_t> labelSlices;         ///< the stack's z of each slice of `labels`, ascending
    std::vector<std::int64_t> labelled;            ///< Train: labelled slices; Round: corrected since the last round
    std::vector<std::int64_t> replay;              ///< Round: slices of earlier rounds
    std::vector<std::int64_t> valSlices;           ///< validation slices (never trained on; empty = none)
    std::string initModel;                         ///< start from this model (empty = from scratch)
    std::string outModel;
    std::string preset = "fast";                   ///< from scratch: the architecture
    std::vector<std::string> classNames;           ///< from scratch: classes (names[0] = background)
    double seconds = 60;
    int threads = 0;                               ///< torch threads (0 = all cores)
    int patch = 256, batch = 4;
    bool bf16 = defaultBf16();
    bool int8 = false;                             ///< Round: predict in 8 bits, calibrated on the whole image
    std::int64_t validateEvery = 50;               ///< Train: steps between validations
    std::string description;                       ///< stored in the model file
    std::shared_ptr<CancelToken> cancel;
    std::shared_ptr<const PauseGate> pause;        ///< training waits between steps while it is paused
};

/// One point of the live chart: a training step (and its validation when `validated`).
struct TrainingPoint {
    std::int64_t step = 0, totalSteps = 0;
    double loss = 0, averageLoss = 0;
    double valIoU = -1;
    bool validated = false;
    double etaSeconds = 0;
    QString phase;              ///< "training", "scoring", "predicting"
};

/// How a job ended.
struct TrainingOutcome {
    bool ok = false;            ///< a model was written
    bool cancelled = false;
    QString error;
    std::string model;
    std::vector<std::int64_t> trainedOn;
    std::int64_t steps = 0;
    double seconds = 0;
    double iouBefore = -1, iouAfter = -1;   ///< Round: on the validation slices; Train: best validation IoU in iouAfter
};

class TrainingWorker : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;
    /// Runs `job` (worker thread): emits progress, then finished once.
    void run(const mitoseg::ui::TrainingJob& job);

Q_SIGNALS:
    void progress(int generation, const mitoseg::ui::TrainingPoint& point);
    void finished(int generation, const mitoseg::ui::TrainingOutcome& outcome);
};

}  // namespace mitoseg::ui

Q_DECLARE_METATYPE(mitoseg::ui::TrainingJob)
Q_DECLARE_METATYPE(mitoseg::ui::TrainingPoint)
Q_DECLARE_METATYPE(mitoseg::ui::TrainingOutcome)
