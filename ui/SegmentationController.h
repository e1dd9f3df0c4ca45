#pragma once
// GUI-side owner of the segmentation worker thread: loads the model, starts "segment slice" /
// "segment stack" jobs (inputs copied or shared read-only first), applies finished slices to
// the document on the GUI thread, and cancels. Never blocks the GUI thread.
// GUI thread only; owns the worker thread and the provider.
#include <QObject>
#include <QString>
#include <QThread>

#include <memory>
#include <vector>

#include "core/labels/LabelEditor.h"
#include "ui/SegmentWorker.h"

namespace mitoseg::ui {

class StudioDocument;

class SegmentationController : public QObject {
    Q_OBJECT
public:
    explicit SegmentationController(StudioDocument* doc, QObject* parent = nullptr);
    ~SegmentationController() override;

    /// Loads a model file; returns an empty string on success, else the reason (shown to the
    /// user: e.g. no engine in this build, bad file).
    QString loadModel(const QString& path);
    /// Uses `provider` (tests use an in-memory fake); the document's predictions follow its
    /// classes by name.
    void setProvider(std::shared_ptr<PredictionProvider> provider);
    bool hasProvider() const { return provider_ != nullptr; }
    /// Slices the model reads on each side of the one it segments (0 without a model).
    int modelContextSlices() const;
    QString providerName() const;
    /// What the model computes in ("int8", "float32", "bfloat16"); empty without a model or for fakes.
    QString modelPrecision() const;
    /// The classes the document should use: the model's (palette colours) when it has more
    /// than two, else the binary default.
    std::vector<labels::LabelClass> modelClasses() const;
    bool busy() const { return busy_; }
    /// Gate that "segment slice" jobs pause while they run (the training's, so training yields
    /// the cores to the shown slice); null = none.
    void setYieldGate(std::shared_ptr<PauseGate> gate) { yieldGate_ = std::move(gate); }

    /// Starts segmenting slice z / every slice (starting at `fromZ`). Returns false with a
    /// reason in `why` when no model is loaded, a job is running or (segmentSlice) slice z
    /// cannot be read. A stack job skips slices that cannot be read and names them when it
    /// finishes (not ok; the other slices keep their predictions).
    bool segmentSlice(std::int64_t z, QString* why = nullptr);
    bool segmentStack(std::int64_t fromZ, QString* why = nullptr);

public Q_SLOTS:
    void cancel();

Q_SIGNALS:
    void started(int total);
    void progress(int done, int total);
    /// The job ended; `message` says how (done, cancelled, or the error).
    void finished(bool ok, const QString& message);
    void runJob(const mitoseg::ui::SegmentJob& job);
    /// A model was loaded or replaced.
    void providerChanged();
    /// Something the user should know (e.g. model classes added to the mask's), for the status bar.
    void message(const QString& text);

private:
    bool start(SegmentJob job, QString* why);
    /// The finished message of a job that skipped unreadable slices (1-based numbers, the first reason).
    QString unreadableMessage() const;

    StudioDocument* doc_;
    QThread thread_;
    SegmentWorker* worker_;
    std::shared_ptr<PredictionProvider> provider_;
    std::shared_ptr<CancelToken> cancel_;
    std::shared_ptr<PauseGate> yieldGate_;
    int generation_ = 0;
    bool busy_ = false;
    bool awaitingPost_ = false;   ///< a finished stack job waits for the document's 3D clean-up
    std::vector<std::pair<qint64, QString>> unreadable_;   ///< slices the running job skipped, and why
    int total_ = 0;               ///< slices in the running job
};

}  // namespace mitoseg::ui

Q_DECLARE_METATYPE(mitoseg::ui::SegmentJob)
