#pragma once
// Runs segmentation jobs on its own QThread (it is moved there by SegmentationController).
// It reads slices from the shared, read-only image source (or from a copied slice), calls the
// provider and sends each finished slice back over a queued signal. It never touches widgets
// or the live mask.
#include <QObject>
#include <QString>

#include <memory>
#include <vector>

#include "core/base/Progress.h"
#include "core/engine/Segmenter.h"

namespace mitoseg::ui {

class ImageSource;
class PredictionProvider;

/// Everything a job needs, copied or shared read-only before it starts.
struct SegmentJob {
    int generation = 0;                           ///< lets the GUI drop results of old jobs
    std::vector<std::int64_t> slices;             ///< in the order to segment
    std::shared_ptr<const ImageSource> image;     ///< read-only; thread-safe reads
    std::vector<float> firstSlice;                ///< optional copy of slices[0] (single-slice jobs)
    std::shared_ptr<PredictionProvider> provider;
    std::shared_ptr<CancelToken> cancel;
    /// Held while the job exists (single-slice jobs: a pause of training, so the shown slice
    /// answers first); released when the worker is done with the job.
    std::shared_ptr<void> yieldHold;
};

class SegmentWorker : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;
    /// Runs `job` (worker thread). Emits sliceReady per slice (sliceUnreadable for a slice whose
    /// image cannot be read: it is skipped and the job goes on), then finished.
    void run(const SegmentJob& job);

Q_SIGNALS:
    void sliceReady(int generation, qint64 z, std::shared_ptr<const mitoseg::SlicePrediction> prediction);
    /// Slice z was skipped: its image cannot be read (`error` names the file and page). A 2.5D
    /// model given an unreadable neighbour uses the slice itself in its place instead.
    void sliceUnreadable(int generation, qint64 z, const QString& error);
    void progress(int generation, int done, int total);
    /// `error` is empty on success; `cancelled` when stopped through the token.
    void finished(int generation, bool cancelled, const QString& error);
};

}  // namespace mitoseg::ui

Q_DECLARE_METATYPE(std::shared_ptr<const mitoseg::SlicePrediction>)
