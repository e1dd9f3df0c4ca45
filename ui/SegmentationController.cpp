#include "ui/SegmentationController.h"

#include <QStringList>

#include <algorithm>

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
    connect(worker_, &SegmentWorker::sliceUnreadable, this, [this](int gen, qint64 z, const QString& error) {
        if (gen == generation_)
            unreadable_.emplace_back(z, error);
    }, Qt::QueuedConnection);
    connect(worker_, &SegmentWorker::finished, this, [this](int gen, bool cancelled, const QString& error) {
        if (gen != generation_)
            return;
        busy_ = false;
        if (cancelled)
            Q_EMIT finished(false, tr("Segmentation cancelled"));
        else if (!error.isEmpty())
            Q_EMIT finished(false, tr("Segmentation failed: %1").arg(error));
        else if (!unreadable_.empty())
            Q_EMIT finished(false, unreadableMessage());
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

int SegmentationController::modelContextSlices() const { return provider_ ? provider_->contextSlices() : 0; }

QString SegmentationController::providerName() const
{
    return provider_ ? provider_->name() : QString();
}

QString SegmentationController::modelPrecision() const
{
    return provider_ ? provider_->precision() : QString();
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
    unreadable_.clear();
    total_ = static_cast<int>(job.slices.size());
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
    if (doc_->hasImage() && provider_ && !busy_) {
        QString error;
        const float* slice = doc_->image()->trySlice(z, &error);
        if (!slice) {
            if (why)
                *why = tr("Slice %1 cannot be read, so it cannot be segmented: %2").arg(z + 1).arg(error);
            return false;
        }
        job.firstSlice.assign(slice, slice + doc_->shape().sliceVoxels());
        if (yieldGate_)
            job.yieldHold = PauseGate::hold(yieldGate_);
    }
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

QString SegmentationController::unreadableMessage() const
{
    std::vector<qint64> slices;
    for (const auto& [z, error] : unreadable_)
        slices.push_back(z);
    std::sort(slices.begin(), slices.end());
    QStringList numbers;
    for (std::size_t i = 0; i < slices.size() && i < 12; ++i)
        numbers << QString::number(slices[i] + 1);
    if (slices.size() > 12)
        numbers << QStringLiteral("…");
    const int skipped = static_cast<int>(unreadable_.size());
    const QString which = skipped == 1 ? tr("slice %1").arg(numbers.front()) : tr("slices %1").arg(numbers.join(QStringLiteral(", ")));
    return tr("Segmentation incomplete: %1 could not be read and %2 skipped (%3). The other %n slice(s) are segmented.",
              nullptr, total_ - skipped)
        .arg(which, skipped == 1 ? tr("was") : tr("were"), unreadable_.front().second);
}

void SegmentationController::cancel()
{
    if (cancel_)
        cancel_->cancel();
}

}  // namespace mitoseg::ui
