#pragma once
// GUI-side owner of training in the studio: prepares jobs (the mask copied, the stack shared
// read-only), runs them on a worker QThread, keeps the rounds (each a model file) and swaps the
// new model in: it is loaded into the segmentation controller and the stack is re-predicted from
// the shown slice. Also ranks predicted slices by uncertainty for "Next slice to correct".
// GUI thread only; owns the worker thread. Never blocks the GUI thread.
#include <QObject>
#include <QString>
#include <QThread>

#include <memory>
#include <vector>

#include "core/engine/ComputePrecision.h"
#include "ui/train/TrainingRound.h"
#include "ui/train/TrainingWorker.h"

namespace mitoseg::ui {

class StudioDocument;
class SegmentationController;

class TrainingController : public QObject {
    Q_OBJECT
public:
    /// Settings of the next job.
    struct Options {
        double seconds = 60;           ///< wall-time budget of a training run or a round
        bool fromScratch = false;      ///< Train: a new network (preset) instead of fine-tuning the current model
        QString preset = QStringLiteral("fast");
        int threads = 0;               ///< torch threads (0 = all cores)
        /// 4x256² patches; without bfloat16 (a step costs ~3x more) 4x128², so a 60 s budget still takes hundreds of steps
        int patch = defaultBf16() ? 256 : 128, batch = 4;
        bool bf16 = defaultBf16();
        bool int8 = !defaultBf16() && defaultInt8();   ///< rounds score in 8 bits, as the studio segments
        std::int64_t validateEvery = 50;
    };

    TrainingController(StudioDocument* doc, SegmentationController* seg, QObject* parent = nullptr);
    ~TrainingController() override;

    Options& options() { return options_; }
    /// Folder for the models of rounds (created on demand). Default: per user, per stack.
    void setModelsFolder(const QString& folder) { modelsFolder_ = folder; }
    QString modelsFolder() const;

    /// Slices that count as labelled (see LabelledSlices.h).
    std::vector<std::int64_t> labelled() const;
    /// Sets labelled slice z aside for validation (or back to training). A set-aside slice is
    /// never trained on; while any is set aside, validation is those slices scored against the
    /// mask. Marks on slices that stop being labelled are ignored until they are labelled again.
    /// Cleared by a new stack; kept in the session. Emits validationChanged.
    void setValidationSlice(std::int64_t z, bool on);
    /// Labelled slices the user set aside (sorted).
    std::vector<std::int64_t> userValidationSlices() const;
    bool isUserValidation(std::int64_t z) const;
    /// Restores the set-aside slices (a session); emits validationChanged.
    void setUserValidationSlices(std::vector<std::int64_t> slices);
    /// Labelled slices used for training: labelled() without the set-aside ones.
    std::vector<std::int64_t> trainingSlices() const;
    /// The validation slices scored by training and rounds: the set-aside slices (against the
    /// mask) when there are any, else the reference on validationRange() (binary only).
    std::vector<std::int64_t> validationSlices() const;
    /// True when validationSlices() are scored against the reference (else against the mask).
    bool validationFromReference() const { return userValidationSlices().empty(); }
    /// With a reference: the last run of up to 8 slices (a quarter of the stack) with no
    /// labelled slice, scored against the reference; {-1, -1} when there is none.
    std::pair<std::int64_t, std::int64_t> validationRange() const;
    bool busy() const { return busy_; }
    /// Paused by "segment slice" jobs while they run: training waits between steps meanwhile.
    const PauseGate& pauseGate() const { return *pause_; }

    /// Starts a training run (fine-tuning the current model, or from scratch per options()).
    /// False with the reason in `why` when it cannot start. When it ends, its model becomes the
    /// current one and the stack is re-predicted starting at `shownSlice`.
    bool startTraining(std::int64_t shownSlice, QString* why = nullptr);
    /// Starts one retraining round on the slices corrected since the last round, with the
    /// earlier ones replayed; then swaps the model in like startTraining.
    bool retrain(std::int64_t shownSlice, QString* why = nullptr);
    /// Stops the running job; a training run keeps the model it has so far.
    void stop();

    const std::vector<TrainingRound>& rounds() const { return rounds_; }
    /// Index in rounds() of the model in use (-1 before the first round).
    int currentRound() const { return current_; }
    /// Goes back (or forward) to round `index`'s model and re-predicts; the mask is untouched.
    bool useRound(int index, std::int64_t shownSlice, QString* why = nullptr);
    /// Restores rounds from a session (their models are not loaded: the session's model is).
    void setRounds(std::vector<TrainingRound> rounds, int current);

    /// IoU of the document's predictions on validationSlices() (against the reference or the
    /// mask, see there): foreground IoU, or for multiclass the mean IoU of the non-background
    /// classes; -1 when there are none or not all of them are predicted.
    double validationIoU() const;

    /// The predicted slice the model is least sure of (mean binary entropy) that is not
    /// labelled; -1 when none.
    std::int64_t nextSliceToCorrect() const;

Q_SIGNALS:
    void started(bool round);
    void progress(const mitoseg::ui::TrainingPoint& point);
    /// The job ended; `message` says how.
    void finished(bool ok, const QString& message);
    /// Rounds were added, restored or the current one changed.
    void roundsChanged();
    /// The set-aside validation slices changed.
    void validationChanged();
    void runJob(const mitoseg::ui::TrainingJob& job);

private:
    bool prepare(TrainingJob& job, std::int64_t shownSlice, QString* why);
    void describeJob(TrainingJob& job) const;
    void onFinished(int generation, const TrainingOutcome& outcome);
    void applyModel(const QString& path);
    double scoreSlices(const std::vector<std::int64_t>& slices, bool againstReference) const;
    QString newModelPath(int number) const;

    StudioDocument* doc_;
    SegmentationController* seg_;
    QThread thread_;
    TrainingWorker* worker_;
    Options options_;
    QString modelsFolder_;
    std::vector<TrainingRound> rounds_;
    int current_ = -1;
    bool busy_ = false;
    int generation_ = 0;
    std::shared_ptr<CancelToken> cancel_;
    std::shared_ptr<PauseGate> pause_ = std::make_shared<PauseGate>();
    TrainingJob running_;
    std::int64_t shownSlice_ = 0;
    QString pendingModel_;                    ///< waits for a running segmentation to stop
    std::vector<std::int64_t> userValidation_;   ///< slices set aside (sorted; may include unlabelled ones)
    std::vector<std::int64_t> scored_;        ///< validation slices of the running job (before and after use the same)
    bool scoredOnReference_ = true;
    double iouBefore_ = -1;                   ///< validationIoU() when the running job started
    int awaitingScore_ = -1;                  ///< round whose IoU after comes with the re-prediction
    mutable std::vector<double> uncertainty_; ///< per slice; -2 = to compute, -1 = not predicted
};

}  // namespace mitoseg::ui
