#include "ui/SegmentationController.h"

#include <QStringList>

#include "ui/ImageSource.h"
#include "ui/PredictionProvider.h"
#include "ui/StudioDocument.h"

namespace mitoseg::ui {

SegmentationController::SegmentationController(StudioDocument* doc, QObject* parent)
    : QObject(parent), doc_(doc), worker_(new SegmentWorker)
{
    qRegisterMetaType<std::shared_ptr<const mitoseg::SlicePrediction>>();
    qRegisterMetaType<mitoseg::ui::SegmentJob>();
    worker_->moveToThread(&thread_);
    connect(&thread_, &QThread::finished, worker_, &QObject::deleteLater);
    connect(this, &SegmentationController::runJob, worker_, &SegmentWorker::run, Qt::QueuedConnection);
    connect(worker_, &SegmentWorker::sliceReady, this,
            [this](int gen, qint64 z, std::shared_ptr<const SlicePrediction> p) {
                if (gen == generation_ && p)
                    doc_->setPrediction(z, *p);
            }, Qt::QueuedConnection);
    connect(worker_, &SegmentWorker::progress, this, [this](int gen, int done, int total) {
        if (gen == generation_)
            Q_EMIT progress(done, total);
    }, Qt::QueuedConnection);
    connect(worker_, &SegmentWorker::finished, this, [this](int gen, bool cancelled, const QString& error) {
        if (gen != generation_)
            return;
        busy_ = false;
        if (cancelled)
            Q_EMIT finished(false, tr("Segmentation cancelled"));
        else if (!error.isEmpty())
            Q_EMIT finished(false, tr("Segmentation failed: %1").arg(error));
        else if (doc_->startStackPostProcessing()) {
            busy_ = true;   // `finished` comes once the model's 3D clean-up is in
            awaitingPost_ = true;
        } else
            Q_EMIT finished(true, tr("Segmentation done"));
    }, Qt::QueuedConnection);
    connect(doc_, &StudioDocument::stackPostProcessingFinished, this, [this](bool applied) {
        if (!awaitingPost_)
            return;   // a threshold change re-applied it
        awaitingPost_ = false;
        busy_ = false;
        const PostProcessPlan plan = doc_->postProcessingPlan();
        const QString note = QString::fromStdString(plan.note());
        const QString cleanUp = note.isEmpty() ? tr("the 3D clean-up applied (z-smoothing ±%1, objects under %2 voxels removed)")
                                                      .arg(plan.effective.zSmooth)
                                                      .arg(plan.effective.minObjectVoxels)
                                                : tr("the 3D clean-up applied, adapted to this stack: %1").arg(note);
        Q_EMIT finished(true, applied ? tr("Segmentation done; %1").arg(cleanUp) : tr("Segmentation done"));
    });
    // A new stack makes running jobs meaningless.
    connect(doc_, &StudioDocument::imageChanged, this, [this] {
        awaitingPost_ = false;
        if (busy_) {
            cancel();
            ++generation_;
            busy_ = false;
            Q_EMIT finished(false, tr("Segmentation cancelled (new stack)"));
        }
    });
    thread_.setObjectName(QStringLiteral("segmentation"));
    thread_.start();
}

SegmentationController::~SegmentationController()
{
    if (cancel_)
        cancel_->cancel();
    thread_.quit();
    thread_.wait();
}

QString SegmentationController::loadModel(const QString& path)
{
    if (busy_)
        return tr("A segmentation is running; cancel it first.");
    if (path.isEmpty())
        return tr("No model file found. Train one with `mitoseg train` or open one with File ▸ Open model.");
    try {
        auto provider = PredictionProvider::loadModel(path.toStdString());
        doc_->setModelPath(path);
        setProvider(std::move(provider));
        return {};
    } catch (const std::exception& e) {
        return QString::fromStdString(e.what());
    }
}

void SegmentationController::setProvider(std::shared_ptr<PredictionProvider> provider)
{
    provider_ = std::move(provider);
    if (provider_ && provider_->classNames().size() > 2)
        doc_->setClasses(modelClasses());
    if (provider_) {
        doc_->setPostProcessing(provider_->postProcessing());
        // Predictions land on the document's class of the same name, whatever its label value.
        const auto added = doc_->setModelClassNames(provider_->classNames());
        QStringList names;
        for (const auto& n : added)
            names << QString::fromStdString(n);
        if (!names.isEmpty())
            Q_EMIT message(tr("The model's class(es) %1 are not in this mask's classes: added").arg(names.join(QStringLiteral(", "))));
    }
    Q_EMIT providerChanged();
}

std::vector<labels::LabelClass> SegmentationController::modelClasses() const
{
    if (provider_ && provider_->classNames().size() > 2)
        return classesFromNames(provider_->classNames());
    return defaultClasses();
}

QString SegmentationController::providerName() const
{
    return provider_ ? provider_->name() : QString();
}

bool SegmentationController::start(SegmentJob job, QString* why)
{
    if (!doc_->hasImage()) {
        if (why)
            *why = tr("No stack is open.");
        return false;
    }
    if (!provider_) {
        if (why)
            *why = tr("No model is loaded (File ▸ Open model).");
        return false;
    }
    if (busy_) {
        if (why)
            *why = tr("A segmentation is already running.");
        return false;
    }
    busy_ = true;
    cancel_ = std::make_shared<CancelToken>();
    job.generation = ++generation_;
    job.image = doc_->image();
    job.provider = provider_;
    job.cancel = cancel_;
    Q_EMIT started(static_cast<int>(job.slices.size()));
    Q_EMIT runJob(job);
    return true;
}

bool SegmentationController::segmentSlice(std::int64_t z, QString* why)
{
    SegmentJob job;
    job.slices = {z};
    if (doc_->hasImage())
        job.firstSlice = doc_->image()->cachedSlice(z);
    if (yieldGate_ && doc_->hasImage() && provider_ && !busy_)
        job.yieldHold = PauseGate::hold(yieldGate_);
    return start(std::move(job), why);
}

bool SegmentationController::segmentStack(std::int64_t fromZ, QString* why)
{
    SegmentJob job;
    const std::int64_t d = doc_->shape().depth;
    for (std::int64_t i = 0; i < d; ++i)
        job.slices.push_back((fromZ + i) % std::max<std::int64_t>(1, d));
    return start(std::move(job), why);
}

void SegmentationController::cancel()
{
    if (cancel_)
        cancel_->cancel();
}

}  // namespace mitoseg::ui
