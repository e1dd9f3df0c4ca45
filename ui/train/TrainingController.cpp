#include "ui/train/TrainingController.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>

#include <algorithm>

#include "core/loop/SlicePicker.h"
#include "ui/ImageSource.h"
#include "ui/SegmentationController.h"
#include "ui/StudioDocument.h"
#include "ui/train/LabelledSlices.h"

namespace mitoseg::ui {

TrainingController::TrainingController(StudioDocument* doc, SegmentationController* seg, QObject* parent)
    : QObject(parent), doc_(doc), seg_(seg), worker_(new TrainingWorker)
{
    qRegisterMetaType<mitoseg::ui::TrainingJob>();
    qRegisterMetaType<mitoseg::ui::TrainingPoint>();
    qRegisterMetaType<mitoseg::ui::TrainingOutcome>();
    worker_->moveToThread(&thread_);
    connect(&thread_, &QThread::finished, worker_, &QObject::deleteLater);
    connect(this, &TrainingController::runJob, worker_, &TrainingWorker::run, Qt::QueuedConnection);
    connect(worker_, &TrainingWorker::progress, this, [this](int gen, const TrainingPoint& p) {
        if (gen == generation_)
            Q_EMIT progress(p);
    }, Qt::QueuedConnection);
    connect(worker_, &TrainingWorker::finished, this, &TrainingController::onFinished, Qt::QueuedConnection);
    // A model waiting for a segmentation to stop goes in once it has.
    connect(seg_, &SegmentationController::finished, this, [this](bool ok) {
        if (seg_->busy())
            return;
        if (!pendingModel_.isEmpty()) {
            applyModel(std::exchange(pendingModel_, QString()));
            return;
        }
        // A round is scored on the re-predicted stack (with the model's post-processing).
        if (awaitingScore_ >= 0 && awaitingScore_ < static_cast<int>(rounds_.size()) && ok) {
            rounds_[static_cast<std::size_t>(awaitingScore_)].iouAfter = scoreSlices(scored_, scoredOnReference_);
            Q_EMIT roundsChanged();
        }
        awaitingScore_ = -1;
    });
    connect(doc_, &StudioDocument::predictionChanged, this, [this](qint64 z) {
        if (z >= 0 && z < static_cast<qint64>(uncertainty_.size()))
            uncertainty_[static_cast<std::size_t>(z)] = -2;
    });
    connect(doc_, &StudioDocument::imageChanged, this, [this] {
        uncertainty_.clear();
        stop();
        ++generation_;   // results for the old stack are dropped
        if (busy_) {
            busy_ = false;
            Q_EMIT finished(false, tr("Training stopped (new stack)"));
        }
        rounds_.clear();
        current_ = -1;
        userValidation_.clear();
        Q_EMIT roundsChanged();
        Q_EMIT validationChanged();
    });
    seg_->setYieldGate(pause_);   // the shown slice answers first: training yields while it is segmented
    thread_.setObjectName(QStringLiteral("training"));
    thread_.start();
}

TrainingController::~TrainingController()
{
    if (cancel_)
        cancel_->cancel();
    thread_.quit();
    thread_.wait();
}

QString TrainingController::modelsFolder() const
{
    if (!modelsFolder_.isEmpty())
        return modelsFolder_;
    const QString stack = doc_->hasImage() && !doc_->image()->path().isEmpty() ? QFileInfo(doc_->image()->path()).completeBaseName()
                                                                                : QStringLiteral("demo");
    return QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation) + QStringLiteral("/rounds/") + stack;
}

std::vector<std::int64_t> TrainingController::labelled() const { return labelledSlices(*doc_); }

void TrainingController::setValidationSlice(std::int64_t z, bool on)
{
    const auto it = std::lower_bound(userValidation_.begin(), userValidation_.end(), z);
    const bool there = it != userValidation_.end() && *it == z;
    if (on == there || z < 0 || z >= doc_->shape().depth)
        return;
    if (on)
        userValidation_.insert(it, z);
    else
        userValidation_.erase(it);
    Q_EMIT validationChanged();
}

bool TrainingController::isUserValidation(std::int64_t z) const
{
    return std::binary_search(userValidation_.begin(), userValidation_.end(), z) && doc_->isLabelled(z);
}

std::vector<std::int64_t> TrainingController::userValidationSlices() const
{
    std::vector<std::int64_t> out;
    for (auto z : userValidation_)
        if (z < doc_->shape().depth && doc_->isLabelled(z))
            out.push_back(z);
    return out;
}

void TrainingController::setUserValidationSlices(std::vector<std::int64_t> slices)
{
    std::sort(slices.begin(), slices.end());
    slices.erase(std::unique(slices.begin(), slices.end()), slices.end());
    std::erase_if(slices, [this](std::int64_t z) { return z < 0 || z >= doc_->shape().depth; });
    userValidation_ = std::move(slices);
    Q_EMIT validationChanged();
}

std::vector<std::int64_t> TrainingController::trainingSlices() const
{
    auto out = labelled();
    std::erase_if(out, [this](std::int64_t z) { return std::binary_search(userValidation_.begin(), userValidation_.end(), z); });
    return out;
}

std::vector<std::int64_t> TrainingController::validationSlices() const
{
    auto user = userValidationSlices();
    if (!user.empty())
        return user;
    std::vector<std::int64_t> out;
    const auto [v0, v1] = validationRange();
    for (std::int64_t z = v0; v0 >= 0 && z <= v1; ++z)
        out.push_back(z);
    return out;
}

std::pair<std::int64_t, std::int64_t> TrainingController::validationRange() const
{
    if (!doc_->hasImage() || !doc_->reference())
        return {-1, -1};
    // The last run of up to 8 slices (a quarter of the stack) that holds no labelled slice.
    const std::int64_t depth = doc_->shape().depth, n = std::clamp<std::int64_t>(depth / 4, 1, 8);
    const auto lab = labelled();
    for (std::int64_t end = depth - 1; end - n + 1 >= 0; --end) {
        const auto first = std::lower_bound(lab.begin(), lab.end(), end - n + 1);
        if (first == lab.end() || *first > end)
            return {end - n + 1, end};
    }
    return {-1, -1};
}

double TrainingController::validationIoU() const { return scoreSlices(validationSlices(), validationFromReference()); }

double TrainingController::scoreSlices(const std::vector<std::int64_t>& slices, bool againstReference) const
{
    if (slices.empty() || !doc_->hasImage() || (againstReference && !doc_->reference()))
        return -1;
    const std::int64_t n = doc_->shape().sliceVoxels();
    const std::size_t classes = std::max<std::size_t>(2, doc_->classes().size());
    std::vector<double> inter(classes, 0), uni(classes, 0);
    for (const std::int64_t z : slices) {
        if (z < 0 || z >= doc_->shape().depth)
            return -1;
        const labels::SliceRef pred = doc_->predictionLabels(z);
        if (!pred)
            return -1;
        const labels::SliceRef truth = againstReference ? doc_->reference()->slice(z) : doc_->mask().labels().slice(z);
        const std::uint8_t* p = pred.data();
        const std::uint8_t* t = truth.data();
        if (classes == 2) {
            for (std::int64_t i = 0; i < n; ++i) {
                inter[1] += p[i] && t[i];
                uni[1] += p[i] || t[i];
            }
            continue;
        }
        for (std::int64_t i = 0; i < n; ++i) {
            const std::size_t a = std::min<std::size_t>(p[i], classes - 1), b = std::min<std::size_t>(t[i], classes - 1);
            if (a == b) {
                inter[a] += 1;
                uni[a] += 1;
            } else {
                uni[a] += 1;
                uni[b] += 1;
            }
        }
    }
    // Mean over the non-background classes present in the prediction or the truth.
    double sum = 0;
    int counted = 0;
    for (std::size_t k = 1; k < classes; ++k)
        if (uni[k] > 0) {
            sum += inter[k] / uni[k];
            ++counted;
        }
    return counted > 0 ? sum / counted : 1.0;
}

QString TrainingController::newModelPath(int number) const
{
    return QDir(modelsFolder()).filePath(
        QStringLiteral("round-%1-%2.msm").arg(number).arg(QDateTime::currentDateTimeUtc().toString(QStringLiteral("yyyyMMdd-hhmmss-zzz"))));
}

bool TrainingController::prepare(TrainingJob& job, std::int64_t shownSlice, QString* why)
{
    auto fail = [&](const QString& text) {
        if (why)
            *why = text;
        return false;
    };
    if (busy_)
        return fail(tr("Training is already running."));
    if (!doc_->hasImage())
        return fail(tr("No stack is open."));
    if (labelled().empty())
        return fail(tr("No slice is labelled yet: correct a slice with the brush first."));
    job.labelled = trainingSlices();
    if (job.labelled.empty())
        return fail(tr("Every labelled slice is set aside for validation: leave at least one for training."));
    if (!QDir().mkpath(modelsFolder()))
        return fail(tr("Cannot create the models folder %1").arg(modelsFolder()));
    job.valSlices = validationSlices();
    scored_ = job.valSlices;
    scoredOnReference_ = validationFromReference();
    // The mask as it is now (the user keeps painting), with the reference on its validation slices.
    // Only the slices training reads are copied (the labelled ones, which hold the corrected and
    // replayed slices, and the validation slices), so the copy follows the labelled slices, not
    // the stack.
    std::vector<std::int64_t> slices = labelled();
    slices.insert(slices.end(), job.valSlices.begin(), job.valSlices.end());
    std::sort(slices.begin(), slices.end());
    slices.erase(std::unique(slices.begin(), slices.end()), slices.end());
    const Shape shape = doc_->shape();
    auto labels = std::make_shared<VolumeU8>(Shape{static_cast<std::int64_t>(slices.size()), shape.height, shape.width}, 0);
    for (std::size_t i = 0; i < slices.size(); ++i) {
        const std::int64_t z = slices[i];
        const bool fromReference =
            scoredOnReference_ && std::find(job.valSlices.begin(), job.valSlices.end(), z) != job.valSlices.end();
        (fromReference ? *doc_->reference() : doc_->mask().labels()).readSlice(z, labels->slice(static_cast<std::int64_t>(i)));
    }
    job.labels = std::move(labels);
    job.labelSlices = std::move(slices);
    job.image = doc_->image();
    job.pause = pause_;
    job.seconds = options_.seconds;
    job.threads = options_.threads;
    job.patch = options_.patch;
    job.batch = options_.batch;
    job.bf16 = options_.bf16;
    job.int8 = options_.int8;
    job.validateEvery = options_.validateEvery;
    job.preset = options_.preset.toStdString();
    for (const auto& c : doc_->classes())
        job.classNames.push_back(c.name);
    job.description = doc_->image()->name().toStdString();
    shownSlice_ = shownSlice;
    iouBefore_ = scoreSlices(scored_, scoredOnReference_);
    return true;
}

void TrainingController::describeJob(TrainingJob& job) const
{
    // What the model file records as "trained on": the stack, the slices, the round.
    std::vector<std::int64_t> slices = job.labelled;
    slices.insert(slices.end(), job.replay.begin(), job.replay.end());
    std::sort(slices.begin(), slices.end());
    std::string list;
    for (std::size_t i = 0; i < slices.size() && i < 24; ++i) {
        if (i)
            list += ',';
        list += std::to_string(slices[i] + 1);
    }
    if (slices.size() > 24)
        list += ",…";
    const int number = static_cast<int>(std::max<std::size_t>(1, rounds_.size()));
    job.description += ", slices " + list + " (" + std::to_string(slices.size()) + "), round " + std::to_string(number) +
                       (job.kind == TrainingJob::Kind::Round ? " (retrain)" : job.initModel.empty() ? " (from scratch)" : " (fine-tune)") +
                       ", validation " + (scored_.empty() ? std::string("none") : std::to_string(scored_.size()) + " slice(s)") +
                       ", in Mitoseg Studio";
}

bool TrainingController::startTraining(std::int64_t shownSlice, QString* why)
{
    TrainingJob job;
    if (!prepare(job, shownSlice, why))
        return false;
    job.kind = TrainingJob::Kind::Train;
    if (!options_.fromScratch) {
        if (doc_->modelPath().isEmpty()) {
            if (why)
                *why = tr("No model to fine-tune: open one, or train from scratch.");
            return false;
        }
        job.initModel = doc_->modelPath().toStdString();
    }
    job.outModel = newModelPath(static_cast<int>(std::max<std::size_t>(1, rounds_.size()))).toStdString();
    describeJob(job);
    busy_ = true;
    cancel_ = std::make_shared<CancelToken>();
    job.cancel = cancel_;
    job.generation = ++generation_;
    running_ = job;
    Q_EMIT started(false);
    Q_EMIT runJob(job);
    return true;
}

bool TrainingController::retrain(std::int64_t shownSlice, QString* why)
{
    TrainingJob job;
    if (!prepare(job, shownSlice, why))
        return false;
    if (doc_->modelPath().isEmpty()) {
        if (why)
            *why = tr("No model to retrain: open one (File ▸ Open model) or train one first.");
        return false;
    }
    job.kind = TrainingJob::Kind::Round;
    job.initModel = doc_->modelPath().toStdString();
    // Rounds are scored on the re-predicted stack, not inside the job: the new model goes in sooner.
    job.valSlices.clear();
    // Corrected since the rounds up to the current one: new data; the rest is replayed.
    std::vector<std::int64_t> seen;
    for (int i = 0; i <= current_ && i < static_cast<int>(rounds_.size()); ++i)
        seen.insert(seen.end(), rounds_[static_cast<std::size_t>(i)].slices.begin(), rounds_[static_cast<std::size_t>(i)].slices.end());
    std::vector<std::int64_t> corrected, replay;
    for (auto z : job.labelled)
        (std::find(seen.begin(), seen.end(), z) == seen.end() ? corrected : replay).push_back(z);
    if (corrected.empty())
        std::swap(corrected, replay);   // nothing new: fine-tune on everything again
    job.labelled = corrected;
    job.replay = replay;
    job.outModel = newModelPath(static_cast<int>(std::max<std::size_t>(1, rounds_.size()))).toStdString();
    describeJob(job);
    busy_ = true;
    cancel_ = std::make_shared<CancelToken>();
    job.cancel = cancel_;
    job.generation = ++generation_;
    running_ = job;
    Q_EMIT started(true);
    Q_EMIT runJob(job);
    return true;
}

void TrainingController::stop()
{
    if (cancel_)
        cancel_->cancel();
}

void TrainingController::onFinished(int generation, const TrainingOutcome& out)
{
    if (generation != generation_)
        return;
    busy_ = false;
    if (!out.ok) {
        Q_EMIT finished(false, out.error.isEmpty() ? tr("Training stopped before its first step") : tr("Training failed: %1").arg(out.error));
        return;
    }
    if (rounds_.empty() && !running_.initModel.empty()) {
        TrainingRound start;
        start.kind = TrainingRound::Kind::Start;
        start.number = 0;
        start.model = QString::fromStdString(running_.initModel);
        start.iouAfter = iouBefore_;
        rounds_.push_back(start);
        current_ = 0;
    }
    TrainingRound r;
    r.kind = running_.kind == TrainingJob::Kind::Round ? TrainingRound::Kind::Retrain : TrainingRound::Kind::Train;
    r.number = static_cast<int>(std::max<std::size_t>(1, rounds_.size()));
    r.model = QString::fromStdString(out.model);
    r.slices = out.trainedOn;
    r.steps = out.steps;
    r.seconds = out.seconds;
    r.iouBefore = iouBefore_;
    rounds_.push_back(r);
    current_ = static_cast<int>(rounds_.size()) - 1;
    awaitingScore_ = current_;
    Q_EMIT roundsChanged();
    applyModel(r.model);
    Q_EMIT finished(true, out.cancelled ? tr("Training stopped after %1 steps; its model is in use").arg(out.steps)
                                        : tr("Round %1 done: %2 steps in %3 s").arg(r.number).arg(out.steps).arg(out.seconds, 0, 'f', 1));
}

void TrainingController::applyModel(const QString& path)
{
    if (seg_->busy()) {   // swap once the running segmentation has stopped
        pendingModel_ = path;
        seg_->cancel();
        return;
    }
    const QString error = seg_->loadModel(path);
    if (!error.isEmpty()) {
        Q_EMIT finished(false, tr("Cannot use the new model: %1").arg(error));
        return;
    }
    seg_->segmentStack(std::clamp<std::int64_t>(shownSlice_, 0, std::max<std::int64_t>(0, doc_->shape().depth - 1)));
}

bool TrainingController::useRound(int index, std::int64_t shownSlice, QString* why)
{
    if (index < 0 || index >= static_cast<int>(rounds_.size())) {
        if (why)
            *why = tr("No such round.");
        return false;
    }
    if (busy_) {
        if (why)
            *why = tr("Training is running; stop it first.");
        return false;
    }
    current_ = index;
    shownSlice_ = shownSlice;
    applyModel(rounds_[static_cast<std::size_t>(index)].model);
    Q_EMIT roundsChanged();
    return true;
}

void TrainingController::setRounds(std::vector<TrainingRound> rounds, int current)
{
    rounds_ = std::move(rounds);
    current_ = rounds_.empty() ? -1 : std::clamp(current, 0, static_cast<int>(rounds_.size()) - 1);
    Q_EMIT roundsChanged();
}

std::int64_t TrainingController::nextSliceToCorrect() const
{
    if (!doc_->hasImage())
        return -1;
    const Shape s = doc_->shape();
    uncertainty_.resize(static_cast<std::size_t>(s.depth), -2);
    for (std::int64_t z = 0; z < s.depth; ++z) {
        double& u = uncertainty_[static_cast<std::size_t>(z)];
        if (u == -2) {
            const labels::SliceRef p = doc_->predictionProbability(z);
            u = p ? expectedIoUShortfall(p.data(), s.sliceVoxels(), static_cast<float>(doc_->predictionThreshold())) : -1;
        }
    }
    // The same rule as `mitoseg bench loop --pick spread` (core/loop/SlicePicker.h): the IoU the
    // model expects to miss, discounted near labelled slices.
    const auto picked =
        pickSlicesToCorrect(uncertainty_, labelled(), validationSlices(), 1, seg_->modelContextSlices(), PickMode::Spread);
    return picked.empty() ? -1 : picked.front();
}

}  // namespace mitoseg::ui
