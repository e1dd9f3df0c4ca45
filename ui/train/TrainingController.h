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
        int patch = 256, batch = 4;
        bool bf16 = true;
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
    /// Validation slices [first, last] scored by rounds and training (reference on slices not
    /// labelled, binary only); {-1, -1} when there is none.
    std::pair<std::int64_t, std::int64_t> validationRange() const;
    bool busy() const { return busy_; }

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

    /// Foreground IoU of the document's predictions against the reference on the validation
    /// slices; -1 when there are none or not all of them are predicted.
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
    void runJob(const mitoseg::ui::TrainingJob& job);

private:
    bool prepare(TrainingJob& job, std::int64_t shownSlice, QString* why);
    void onFinished(int generation, const TrainingOutcome& outcome);
    void applyModel(const QString& path);
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
    TrainingJob running_;
    std::int64_t shownSlice_ = 0;
    QString pendingModel_;                    ///< waits for a running segmentation to stop
    double iouBefore_ = -1;                   ///< validationIoU() when the running job started
    int awaitingScore_ = -1;                  ///< round whose IoU after comes with the re-prediction
    mutable std::vector<double> uncertainty_; ///< per slice; -2 = to compute, -1 = not predicted
};

}  // namespace mitoseg::ui
