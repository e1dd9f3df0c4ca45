// The Training dock end to end on a tiny stack: background training with a live chart while
// the user paints, Stop keeping a usable model, a retraining round swapping its model in, going
// back a round restoring the previous predictions, and the rounds in the session.
#include <QApplication>
#include <QComboBox>
#include <QHeaderView>
#include <QProcess>
#include <QScrollArea>
#include <QScrollBar>
#include <QTabWidget>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QLabel>
#include <QListWidget>
#include <QSpinBox>
#include <QLineSeries>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>

#include <QThread>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <set>

#include "core/engine/Trainer.h"
#include "core/io/TiffWriter.h"
#include "tests/ui/UiTest.h"
#include "ui/FileController.h"
#include "ui/ImageSource.h"
#include "ui/MainWindow.h"
#include "ui/PredictionProvider.h"
#include "ui/SegmentationController.h"
#include "ui/Session.h"
#include "ui/StudioDocument.h"
#include "ui/train/TrainingController.h"
#include "core/engine/ModelSummary.h"
#include "core/engine/Segmenter.h"
#include "ui/StackFiles.h"
#include "ui/train/ModelManager.h"
#include "ui/train/RoundFiles.h"
#include "ui/train/TrainingPanel.h"
#include "ui/train/TrainingWorker.h"
#include "core/engine/ComputePrecision.h"

namespace mitoseg::ui::test {

namespace {

/// The stack's dark blobs: what the model should find.
VolumeU8 blobTruth(const VolumeU8& image)
{
    VolumeU8 t(image.shape());
    for (std::size_t i = 0; i < image.values().size(); ++i)
        t.values()[i] = image.values()[i] < 100 ? 1 : 0;
    return t;
}

/// Paints slice z's blob into the mask by hand (a user's correction: an edited slice).
void correctSlice(StudioDocument& doc, std::int64_t z)
{
    const Shape s = doc.shape();
    doc.mask().stamp(z, s.width / 3 + z, s.height / 2, static_cast<int>(s.height / 4) - 1, 1);
}

/// Foreground IoU of the document's prediction of slice z against `truth`.
double predictionIoU(const StudioDocument& doc, const VolumeU8& truth, std::int64_t z)
{
    const auto p = doc.predictionLabels(z);
    if (!p)
        return -1;
    double inter = 0, uni = 0;
    for (std::int64_t i = 0; i < truth.shape().sliceVoxels(); ++i) {
        inter += p[i] && truth.slice(z)[i];
        uni += p[i] || truth.slice(z)[i];
    }
    return uni > 0 ? inter / uni : 1.0;
}

/// A tiny binary model trained headless on slices 0-1 for `steps` steps, written to `path`.
void trainTinyModel(const VolumeU8& image, const VolumeU8& truth, const std::filesystem::path& path, std::int64_t steps)
{
    TrainConfig c;
    c.arch = UNetConfig::fromPreset("tiny");
    c.steps = steps;
    c.patch = 32;
    c.threads = 1;
    c.bf16 = c.channelsLast = false;
    c.outModel = path;
    TrainData d{&image, nullptr, &truth, {0, 1}, -1, -1};
    train(c, d, {}, CancelToken{});
}

/// Runs the command-line tool; its exit code (output in `out`).
int runCli(const QStringList& args, QString* out)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(QStringLiteral(MITOSEG_CLI_EXE), args);
    if (!p.waitForFinished(120000))
        return -1;
    *out = QString::fromLocal8Bit(p.readAll());
    return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
}

/// Share of voxels where the document's predicted labels equal `labels` (binary: non-zero).
double agreement(const StudioDocument& doc, const VolumeU8& labels)
{
    double same = 0, n = 0;
    for (std::int64_t z = 0; z < doc.shape().depth; ++z) {
        const auto p = doc.predictionLabels(z);
        if (!p)
            return -1;
        for (std::int64_t i = 0; i < doc.shape().sliceVoxels(); ++i, ++n)
            same += (p[i] != 0) == (labels.slice(z)[i] != 0);
    }
    return n > 0 ? same / n : -1;
}

std::vector<std::uint8_t> allPredictions(const StudioDocument& doc)
{
    std::vector<std::uint8_t> out;
    for (std::int64_t z = 0; z < doc.shape().depth; ++z) {
        const auto p = doc.predictionLabels(z);
        const auto q = doc.predictionProbability(z);
        if (!p || !q)
            return {};
        out.insert(out.end(), p.data(), p.data() + doc.shape().sliceVoxels());
        out.insert(out.end(), q.data(), q.data() + doc.shape().sliceVoxels());
    }
    return out;
}

/// An in-memory stack that records which slices were read (any thread).
class CountingSource final : public ImageSource {
public:
    explicit CountingSource(const VolumeU8& v) : inner_(ImageSource::fromVolume(v, QStringLiteral("counted"))) {}
    Shape shape() const override { return inner_->shape(); }
    Spacing spacing() const override { return inner_->spacing(); }
    QString path() const override { return {}; }
    QString name() const override { return QStringLiteral("counted"); }
    void readSliceF32(std::int64_t z, float* dst) const override
    {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            read_.insert(z);
        }
        inner_->readSliceF32(z, dst);
    }
    std::set<std::int64_t> read() const
    {
        std::lock_guard<std::mutex> lock(mutex_);
        return read_;
    }

private:
    std::shared_ptr<ImageSource> inner_;
    mutable std::mutex mutex_;
    mutable std::set<std::int64_t> read_;
};

/// Segments "dark is foreground", but first waits until training sits in its pause gate: a
/// slice segmented while training runs must find the training parked.
class GateWatchingProvider final : public PredictionProvider {
public:
    explicit GateWatchingProvider(const PauseGate* gate) : gate_(gate) {}
    std::atomic<bool> sawTrainingParked{false};
    QString name() const override { return QStringLiteral("gate watcher"); }
    SlicePrediction predict(const float* raw, std::int64_t h, std::int64_t w, const CancelToken&) override
    {
        for (int i = 0; i < 2000 && !gate_->waiting(); ++i)
            QThread::msleep(5);
        sawTrainingParked = gate_->waiting();
        SlicePrediction p;
        p.height = h;
        p.width = w;
        p.labels.resize(static_cast<std::size_t>(h * w));
        p.probabilities.resize(static_cast<std::size_t>(2 * h * w));
        for (std::int64_t i = 0; i < h * w; ++i) {
            const float fg = raw[i] < 100 ? 1.f : 0.f;
            p.labels[static_cast<std::size_t>(i)] = fg > 0.5f ? 1 : 0;
            p.probabilities[static_cast<std::size_t>(i)] = 1.f - fg;
            p.probabilities[static_cast<std::size_t>(h * w + i)] = fg;
        }
        return p;
    }

private:
    const PauseGate* gate_;
};

}  // namespace

class TrainingTest : public QObject {
    Q_OBJECT

    std::unique_ptr<QTemporaryDir> scratch_;
    std::unique_ptr<MainWindow> window_;
    VolumeU8 image_, truth_;

    StudioDocument* doc() { return window_->document(); }
    TrainingController* training() { return window_->training(); }
    TrainingPanel* panel() { return window_->trainingPanel(); }

    /// Small, exact and quick: tiny U-Net, 32-pixel patches, one thread, float32.
    void tinySettings(double seconds)
    {
        auto& o = training()->options();
        o.preset = QStringLiteral("tiny");
        o.patch = 32;
        o.batch = 4;
        o.threads = 1;
        o.bf16 = false;
        o.validateEvery = 10;
        panel()->secondsBox()->setValue(static_cast<int>(seconds));
    }

private Q_SLOTS:
    void init()
    {
        scratch_ = std::make_unique<QTemporaryDir>();
        window_ = std::make_unique<MainWindow>(nullptr, scratch_->filePath(QStringLiteral("autosave")));
        window_->setInteractive(false);
        image_ = blobVolume(Shape{8, 64, 64});
        truth_ = blobTruth(image_);
        doc()->setImage(ImageSource::fromVolume(image_, QStringLiteral("blobs")));
        doc()->setReference(std::make_shared<VolumeU8>(truth_), QStringLiteral("truth"));
        training()->setModelsFolder(scratch_->filePath(QStringLiteral("models")));
    }
    void cleanup() { window_.reset(); }

    void theDockShowsTheWholePanelAndEveryRoundsColumnAt1400x900()
    {
        window_->resize(1400, 900);
        window_->show();
        QVERIFY(QTest::qWaitForWindowExposed(window_.get()));
        std::vector<TrainingRound> rounds(3);
        for (int i = 0; i < 3; ++i) {
            rounds[static_cast<std::size_t>(i)].number = i;
            rounds[static_cast<std::size_t>(i)].model = QStringLiteral("/nowhere/round-%1.msm").arg(i);
            for (std::int64_t z = 0; z < 7; z += 1 + i)
                rounds[static_cast<std::size_t>(i)].slices.push_back(z);
            rounds[static_cast<std::size_t>(i)].steps = 12345;
            rounds[static_cast<std::size_t>(i)].seconds = 59.87;
            rounds[static_cast<std::size_t>(i)].iouBefore = 0.8123;
            rounds[static_cast<std::size_t>(i)].iouAfter = 0.8456;
        }
        training()->setRounds(rounds, 2);
        panel()->tabs()->setCurrentIndex(1);
        QApplication::processEvents();
        auto* scroller = qobject_cast<QScrollArea*>(panel()->parentWidget()->parentWidget());
        QVERIFY(scroller);
        // Nothing cut at the right (the dock is as wide as the panel's minimum) ...
        QVERIFY2(panel()->width() <= scroller->viewport()->width(),
                 qPrintable(QStringLiteral("panel %1 > viewport %2").arg(panel()->width()).arg(scroller->viewport()->width())));
        // ... every column of the rounds table fits, the IoU ones included ...
        QTableWidget* table = panel()->roundsTable();
        QVERIFY2(table->horizontalHeader()->length() <= table->viewport()->width(),
                 qPrintable(QStringLiteral("columns %1 > table %2").arg(table->horizontalHeader()->length()).arg(table->viewport()->width())));
        QVERIFY(table->columnWidth(6) >= table->fontMetrics().horizontalAdvance(QStringLiteral("0.8456")));
        QCOMPARE(table->item(0, 2)->text(), QStringLiteral("1–7"));
        QCOMPARE(table->item(1, 2)->text(), QStringLiteral("1,3,5,7"));
        // ... it says which number format trains (the CPU decides; see ComputePrecision) ...
        auto* compute = panel()->findChild<QLabel*>(QStringLiteral("computePrecision"));
        QVERIFY(compute);
        QVERIFY(compute->text().startsWith(QString::fromStdString(mitoseg::describeDefaultPrecision())));
        QCOMPARE(compute->text().endsWith(QStringLiteral("; segments in int8")), !mitoseg::defaultBf16() && mitoseg::defaultInt8());
        // (where int8 is refused, the tooltip says why)
        QCOMPARE(compute->toolTip().contains(QString::fromStdString(mitoseg::int8Unavailable())) &&
                     compute->toolTip().contains(QStringLiteral("On this CPU")),
                 !mitoseg::int8Unavailable().empty());
        // ... and the panel needs no vertical scrolling under the Tools dock.
        QVERIFY2(!scroller->verticalScrollBar()->isVisible(),
                 qPrintable(QStringLiteral("panel %1 high in %2").arg(panel()->height()).arg(scroller->viewport()->height())));
    }

    void explainsWhatIsMissing()
    {
        QString why;
        QVERIFY(!training()->retrain(0, &why));
        QVERIFY(why.contains(QStringLiteral("labelled")));
        correctSlice(*doc(), 1);
        QVERIFY(!training()->retrain(0, &why));
        QVERIFY(why.contains(QStringLiteral("model")));
        // Validation: the last quarter of the reference (nothing labelled there).
        QCOMPARE(training()->validationRange(), (std::pair<std::int64_t, std::int64_t>{6, 7}));
        correctSlice(*doc(), 7);
        QCOMPARE(training()->validationRange(), (std::pair<std::int64_t, std::int64_t>{5, 6}));
    }

    void trainsInTheBackgroundWhileTheUserPaintsAndStopKeepsAUsableModel()
    {
        for (std::int64_t z : {0, 1, 2, 3})
            correctSlice(*doc(), z);
        tinySettings(60);
        panel()->startFromBox()->setCurrentIndex(1);   // from scratch
        QSignalSpy done(training(), &TrainingController::finished);
        QSignalSpy segmented(window_->segmentation(), &SegmentationController::finished);
        panel()->trainButton()->click();
        QVERIFY(training()->busy());
        QVERIFY(!panel()->trainButton()->isEnabled());
        QVERIFY(panel()->stopButton()->isEnabled());
        // Progress and chart points arrive while the GUI thread keeps serving the user.
        QTRY_VERIFY_WITH_TIMEOUT(panel()->lossSeries()->count() > 0, 20000);
        QCOMPARE(static_cast<int>(doc()->mask().labels()(5, 10, 10)), 0);
        doc()->mask().stamp(5, 10, 10, 3, 1);
        QCOMPARE(static_cast<int>(doc()->mask().labels()(5, 10, 10)), 1);
        QVERIFY(training()->busy());
        QTRY_VERIFY_WITH_TIMEOUT(panel()->iouSeries()->count() >= 2, 20000);
        QTRY_VERIFY_WITH_TIMEOUT(panel()->progressBar()->value() >= 150, 30000);
        QVERIFY(panel()->progressBar()->text().contains(QStringLiteral("ETA")));
        panel()->stopButton()->click();
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 20000);
        QVERIFY(done.at(0).at(0).toBool());
        QVERIFY(!training()->busy());
        QCOMPARE(training()->rounds().size(), std::size_t{1});
        QVERIFY(std::filesystem::exists(training()->rounds()[0].model.toStdString()));
        QVERIFY(training()->rounds()[0].steps >= 150);
        // The model is in use and segments the stack, well.
        QCOMPARE(doc()->modelPath(), training()->rounds()[0].model);
        QTRY_VERIFY_WITH_TIMEOUT(segmented.count() >= 1 && !window_->segmentation()->busy(), 20000);
        QCOMPARE(doc()->predictedSlices(), 8);
        const double iou = predictionIoU(*doc(), truth_, 7);   // a validation slice, never trained on
        QVERIFY2(iou > 0.6, qPrintable(QStringLiteral("IoU %1").arg(iou)));
    }

    void labelledSlicesSetAsideForValidationAreNeverTrainedOnAndScoreTheRounds()
    {
        for (std::int64_t z : {0, 1, 2, 3})
            correctSlice(*doc(), z);
        // Without set-aside slices: the reference on the last unlabelled run.
        QVERIFY(training()->validationFromReference());
        QCOMPARE(training()->validationSlices(), (std::vector<std::int64_t>{6, 7}));
        QListWidget* list = panel()->slicesList();
        QCOMPARE(list->count(), 4);
        QCOMPARE(list->item(3)->data(Qt::UserRole).toLongLong(), 3);
        list->item(3)->setCheckState(Qt::Checked);   // the user ticks slice 4 (1-based)
        QCOMPARE(training()->userValidationSlices(), (std::vector<std::int64_t>{3}));
        QCOMPARE(training()->trainingSlices(), (std::vector<std::int64_t>{0, 1, 2}));
        QCOMPARE(training()->validationSlices(), (std::vector<std::int64_t>{3}));
        QVERIFY(!training()->validationFromReference());
        QVERIFY(panel()->countsLabel()->text().contains(QStringLiteral("Labelled 4")));
        QVERIFY(panel()->countsLabel()->text().contains(QStringLiteral("training 3")));
        QVERIFY(panel()->countsLabel()->text().contains(QStringLiteral("validation 1")));
        QCOMPARE(panel()->slicesList()->item(3)->checkState(), Qt::Checked);   // survives the rebuild
        // Activating a slice in the list jumps there.
        QSignalSpy jumps(panel(), &TrainingPanel::jumpToSlice);
        Q_EMIT list->itemActivated(list->item(2));
        QCOMPARE(jumps.count(), 1);
        QCOMPARE(jumps.at(0).at(0).toLongLong(), 2);

        // Training validates on the set-aside slice, and never trains on it.
        tinySettings(3);
        panel()->startFromBox()->setCurrentIndex(1);
        QSignalSpy done(training(), &TrainingController::finished);
        QSignalSpy segmented(window_->segmentation(), &SegmentationController::finished);
        panel()->trainButton()->click();
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 30000);
        QVERIFY2(done.at(0).at(0).toBool(), qPrintable(done.at(0).at(1).toString()));
        QVERIFY(panel()->iouSeries()->count() >= 1);
        QCOMPARE(training()->rounds().back().slices, (std::vector<std::int64_t>{0, 1, 2}));
        QTRY_VERIFY_WITH_TIMEOUT(segmented.count() >= 1 && !window_->segmentation()->busy(), 20000);
        // The round's IoU after is the prediction against the user's labels on slice 3.
        const TrainingRound& r = training()->rounds().back();
        QVERIFY(r.iouAfter >= 0);
        QCOMPARE(r.iouAfter, training()->validationIoU());
        // A retraining round leaves it out too.
        correctSlice(*doc(), 4);
        tinySettings(2);
        panel()->retrainButton()->click();
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 2, 30000);
        QVERIFY2(done.at(1).at(0).toBool(), qPrintable(done.at(1).at(1).toString()));
        const auto& slices = training()->rounds().back().slices;
        QVERIFY(std::find(slices.begin(), slices.end(), 3) == slices.end());
        QVERIFY(std::find(slices.begin(), slices.end(), 4) != slices.end());
        QTRY_VERIFY_WITH_TIMEOUT(!window_->segmentation()->busy(), 20000);

        // The session keeps the set-aside slices.
        const Session s = window_->files()->currentSession();
        QCOMPARE(s.validationSlices, (std::vector<std::int64_t>{3}));
        QCOMPARE(Session::fromJson(s.toJson())->validationSlices, s.validationSlices);
        // Every labelled slice set aside: training explains why it cannot start.
        for (int i = 0; i < list->count(); ++i)
            list->item(i)->setCheckState(Qt::Checked);
        QString why;
        QVERIFY(!training()->startTraining(0, &why));
        QVERIFY(why.contains(QStringLiteral("validation")));
        // Back to training: the reference's range again.
        training()->setUserValidationSlices({});
        QVERIFY(training()->validationFromReference());
    }

    void theSessionKeepsTheRoundsAndTheirModelsBesideIt()
    {
        // A stack on disk (a session names its files), two models trained headless.
        const QString stackPath = scratch_->filePath(QStringLiteral("blobs.tif"));
        writeStack(stackPath.toStdString(), image_);
        QVERIFY(window_->files()->openStack(stackPath));
        doc()->setReference(std::make_shared<VolumeU8>(truth_), QString());
        const QString models = scratch_->filePath(QStringLiteral("models"));
        QVERIFY(QDir().mkpath(models));
        const QString a = QDir(models).filePath(QStringLiteral("round-0.msm")), b = QDir(models).filePath(QStringLiteral("round-1.msm"));
        trainTinyModel(image_, truth_, a.toStdString(), 8);
        trainTinyModel(image_, truth_, b.toStdString(), 30);
        TrainingRound r0, r1;
        r0.kind = TrainingRound::Kind::Start;
        r0.model = a;
        r1.number = 1;
        r1.model = b;
        r1.slices = {1};
        r1.steps = 30;
        r1.iouBefore = 0.5;
        r1.iouAfter = 0.75;
        training()->setRounds({r0, r1}, 1);
        correctSlice(*doc(), 1);   // the user's correction, in a saved mask
        QVERIFY(window_->files()->saveMask(scratch_->filePath(QStringLiteral("mask.tif"))));
        QSignalSpy segmented(window_->segmentation(), &SegmentationController::finished);
        QVERIFY(training()->useRound(0, 0));
        QTRY_VERIFY_WITH_TIMEOUT(segmented.count() == 1 && !window_->segmentation()->busy(), 20000);
        const auto predictionsA = allPredictions(*doc());
        QVERIFY(training()->useRound(1, 0));
        QTRY_VERIFY_WITH_TIMEOUT(segmented.count() == 2 && !window_->segmentation()->busy(), 20000);
        const auto predictionsB = allPredictions(*doc());
        QVERIFY(!predictionsA.empty() && predictionsA != predictionsB);

        // Saving the session copies the rounds' models beside it, referred to relatively.
        QVERIFY(QDir().mkpath(scratch_->filePath(QStringLiteral("project"))));
        const QString sessionPath = scratch_->filePath(QStringLiteral("project/work.json"));
        QVERIFY2(window_->files()->saveSession(sessionPath), qPrintable(window_->files()->lastError()));
        const QString folder = scratch_->filePath(QStringLiteral("project/work.models"));
        QCOMPARE(roundModelsFolderFor(sessionPath), folder);
        QVERIFY(QFileInfo::exists(QDir(folder).filePath(QStringLiteral("round-0.msm"))));
        QVERIFY(QFileInfo::exists(QDir(folder).filePath(QStringLiteral("round-1.msm"))));
        QFile f(sessionPath);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject json = QJsonDocument::fromJson(f.readAll()).object();
        QCOMPARE(json.value(QStringLiteral("model")).toString(), QStringLiteral("work.models/round-1.msm"));
        QCOMPARE(json.value(QStringLiteral("trainingRounds")).toArray().at(0).toObject().value(QStringLiteral("model")).toString(),
                 QStringLiteral("work.models/round-0.msm"));
        // Later rounds are written there too.
        QCOMPARE(training()->modelsFolder(), folder);
        // The originals can go: the session has its own copies.
        QVERIFY(QDir(models).removeRecursively());

        MainWindow other(nullptr, scratch_->filePath(QStringLiteral("autosave2")));
        other.setInteractive(false);
        QVERIFY2(other.files()->openSession(sessionPath), qPrintable(other.files()->lastError()));
        TrainingController* t = other.training();
        QCOMPARE(t->rounds().size(), std::size_t{2});
        QCOMPARE(t->currentRound(), 1);
        QCOMPARE(t->rounds()[1].iouAfter, 0.75);
        QCOMPARE(t->rounds()[0].model, QDir(folder).filePath(QStringLiteral("round-0.msm")));
        QCOMPARE(other.document()->modelPath(), QDir(folder).filePath(QStringLiteral("round-1.msm")));
        QTRY_VERIFY_WITH_TIMEOUT(!other.segmentation()->busy(), 20000);
        QVERIFY(allPredictions(*other.document()) == predictionsB);   // the stored predictions
        // Going back a round restores that round's predictions; the correction stays.
        QSignalSpy otherSegmented(other.segmentation(), &SegmentationController::finished);
        QVERIFY(t->useRound(0, 0));
        QTRY_VERIFY_WITH_TIMEOUT(otherSegmented.count() == 1 && !other.segmentation()->busy(), 20000);
        QVERIFY(allPredictions(*other.document()) == predictionsA);
        QVERIFY(other.document()->mask().isEdited(1));
        QVERIFY(other.document()->mask().labels().toVolume().values() == doc()->mask().labels().toVolume().values());
        QVERIFY(!other.document()->isDirty());
    }

    void theModelManagerShowsWhatTheModelSaysAndModelsGoBothWaysWithTheCli()
    {
        const QString stackPath = scratch_->filePath(QStringLiteral("blobs.tif")), truthPath = scratch_->filePath(QStringLiteral("truth.tif"));
        writeStack(stackPath.toStdString(), image_);
        writeStack(truthPath.toStdString(), truth_);
        QVERIFY(window_->files()->openStack(stackPath));
        doc()->setReference(std::make_shared<VolumeU8>(truth_), QString());

        // A model trained in the studio ...
        for (std::int64_t z : {0, 1, 2, 3})
            correctSlice(*doc(), z);
        tinySettings(2);
        panel()->startFromBox()->setCurrentIndex(1);
        QSignalSpy done(training(), &TrainingController::finished);
        QSignalSpy segmented(window_->segmentation(), &SegmentationController::finished);
        panel()->trainButton()->click();
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 30000);
        QVERIFY2(done.at(0).at(0).toBool(), qPrintable(done.at(0).at(1).toString()));
        QTRY_VERIFY_WITH_TIMEOUT(segmented.count() == 1 && !window_->segmentation()->busy(), 20000);
        const QString studioModel = training()->rounds().back().model;

        // ... is described by the model manager from its own file ...
        ModelManager* manager = window_->modelManager();
        manager->show();
        QVERIFY(manager->field(QStringLiteral("architecture")).contains(QStringLiteral("preset tiny")));
        QCOMPARE(manager->field(QStringLiteral("classes")), QStringLiteral("background, mitochondria"));
        const QString trainedOn = manager->field(QStringLiteral("trained on"));
        QVERIFY2(trainedOn.contains(QStringLiteral("blobs")) && trainedOn.contains(QStringLiteral("slices 1,2,3,4")) &&
                     trainedOn.contains(QStringLiteral("round 1 (from scratch)")),
                 qPrintable(trainedOn));
        QVERIFY(manager->field(QStringLiteral("rounds")).contains(QStringLiteral("this model")));
        QVERIFY(!manager->field(QStringLiteral("validation IoU")).isEmpty());
        // ... saved as a copy, and predicts the same in `mitoseg predict`.
        const QString copy = scratch_->filePath(QStringLiteral("mine.msm"));
        QVERIFY(manager->saveAsButton()->isEnabled());
        QVERIFY(window_->files()->saveModelAs(copy));
        QCOMPARE(doc()->modelPath(), studioModel);   // still the round's file in use
        QString out;
        const QString cliPred = scratch_->filePath(QStringLiteral("cli.tif"));
        QCOMPARE(runCli({QStringLiteral("predict"), stackPath, QStringLiteral("--out"), cliPred, QStringLiteral("--model"), copy}, &out), 0);
        double a = agreement(*doc(), readLabelStack(cliPred.toStdString(), true));
        QVERIFY2(a > 0.995, qPrintable(QStringLiteral("studio vs CLI agreement %1\n%2").arg(a).arg(out)));

        // A model trained by `mitoseg train` opens in the studio and predicts the same there.
        const QString cliModel = scratch_->filePath(QStringLiteral("cli.msm"));
        QCOMPARE(runCli({QStringLiteral("train"), stackPath, truthPath, QStringLiteral("--out"), cliModel, QStringLiteral("--preset"),
                         QStringLiteral("tiny"), QStringLiteral("--steps"), QStringLiteral("30"), QStringLiteral("--patch"),
                         QStringLiteral("32"), QStringLiteral("--threads"), QStringLiteral("1"), QStringLiteral("--val-z"),
                         QStringLiteral("7-7")},
                        &out),
                 0);
        QVERIFY(window_->files()->openModel(cliModel));
        QCOMPARE(doc()->modelPath(), cliModel);
        QVERIFY(manager->field(QStringLiteral("trained on")).contains(QStringLiteral("blobs.tif")));
        QCOMPARE(manager->field(QStringLiteral("rounds")).contains(QStringLiteral("this model")), false);
        QVERIFY(window_->segmentation()->segmentStack(0));
        QTRY_VERIFY_WITH_TIMEOUT(segmented.count() == 2 && !window_->segmentation()->busy(), 20000);
        QCOMPARE(runCli({QStringLiteral("predict"), stackPath, QStringLiteral("--out"), cliPred, QStringLiteral("--model"), cliModel}, &out), 0);
        a = agreement(*doc(), readLabelStack(cliPred.toStdString(), true));
        QVERIFY2(a > 0.995, qPrintable(QStringLiteral("CLI model, studio vs CLI agreement %1\n%2").arg(a).arg(out)));

        // The shipped model is one click away (and is what the manager calls the default).
        if (!Segmenter::defaultModelPath().empty()) {
            QVERIFY(manager->shippedButton()->isEnabled());
            manager->shippedButton()->click();
            QCOMPARE(QFileInfo(doc()->modelPath()).fileName(), QStringLiteral("mito-fast.msm"));
            QVERIFY(!manager->shippedButton()->isEnabled());
        }
    }

    void aSliceSegmentedDuringTrainingAnswersWhileTrainingWaitsThenTrainingResumes()
    {
        for (std::int64_t z : {0, 1, 2, 3})
            correctSlice(*doc(), z);
        tinySettings(60);
        panel()->startFromBox()->setCurrentIndex(1);
        QSignalSpy done(training(), &TrainingController::finished);
        std::int64_t lastStep = 0;
        connect(training(), &TrainingController::progress, this, [&](const TrainingPoint& p) { lastStep = p.step; });
        panel()->trainButton()->click();
        QTRY_VERIFY_WITH_TIMEOUT(lastStep > 5, 20000);

        auto provider = std::make_shared<GateWatchingProvider>(&training()->pauseGate());
        window_->segmentation()->setProvider(provider);
        QSignalSpy segmented(window_->segmentation(), &SegmentationController::finished);
        QVERIFY(window_->segmentation()->segmentSlice(5));
        QVERIFY(training()->pauseGate().paused());
        QTRY_COMPARE_WITH_TIMEOUT(segmented.count(), 1, 20000);
        QVERIFY(segmented.at(0).at(0).toBool());
        QVERIFY(provider->sawTrainingParked);   // the slice ran while training waited
        QVERIFY(doc()->hasPrediction(5));
        QVERIFY(training()->busy());            // training was paused, not stopped
        // ... and goes on once the slice is in.
        QTRY_VERIFY_WITH_TIMEOUT(!training()->pauseGate().paused(), 5000);
        const std::int64_t stepAtAnswer = lastStep;
        QTRY_VERIFY_WITH_TIMEOUT(lastStep > stepAtAnswer + 5, 20000);
        panel()->stopButton()->click();
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 20000);
        QVERIFY(done.at(0).at(0).toBool());
    }

    void theWorkerReadsOnlyTheSlicesTrainingNeeds()
    {
        // A 40-slice stack; slices 5 and 6 labelled, 30 for validation. A from-scratch 2D job reads
        // those three; a round from a model with one neighbour a side reads them and their
        // neighbours, never the rest of the stack, and reports the stack's slices back.
        const VolumeU8 image = blobVolume(Shape{40, 64, 64}), truth = blobTruth(image);
        const std::vector<std::int64_t> labelSlices{5, 6, 30};
        auto labels = std::make_shared<VolumeU8>(Shape{3, 64, 64});
        for (std::size_t i = 0; i < labelSlices.size(); ++i)
            std::copy(truth.slice(labelSlices[i]), truth.slice(labelSlices[i]) + 64 * 64, labels->slice(static_cast<std::int64_t>(i)));
        auto job = [&](TrainingJob::Kind kind, const std::string& init, const char* out) {
            TrainingJob j;
            j.kind = kind;
            j.labels = labels;
            j.labelSlices = labelSlices;
            j.labelled = kind == TrainingJob::Kind::Train ? std::vector<std::int64_t>{5, 6} : std::vector<std::int64_t>{6};
            if (kind == TrainingJob::Kind::Round)
                j.replay = {5};
            j.valSlices = {30};
            j.initModel = init;
            j.outModel = scratch_->filePath(QString::fromLatin1(out)).toStdString();
            j.preset = "tiny";
            j.seconds = 1.5;
            j.threads = 1;
            j.patch = 32;
            j.bf16 = false;
            j.validateEvery = 5;
            j.cancel = std::make_shared<CancelToken>();
            return j;
        };
        auto runJob = [](const TrainingJob& j) {
            TrainingWorker worker;
            QSignalSpy finished(&worker, &TrainingWorker::finished);
            worker.run(j);   // on this thread: finished has been emitted when it returns
            return finished.count() == 1 ? finished.at(0).at(1).value<TrainingOutcome>() : TrainingOutcome{};
        };

        auto scratch = std::make_shared<CountingSource>(image);
        TrainingJob fromScratch = job(TrainingJob::Kind::Train, {}, "scratch.msm");
        fromScratch.image = scratch;
        const TrainingOutcome t = runJob(fromScratch);
        QVERIFY2(t.ok, qPrintable(t.error));
        QCOMPARE(scratch->read(), (std::set<std::int64_t>{5, 6, 30}));
        QVERIFY(t.iouAfter >= 0);   // validated on slice 30

        // A model with context 1 (2.5D), trained headless.
        const std::filesystem::path ctxModel = scratch_->filePath(QStringLiteral("ctx.msm")).toStdString();
        {
            TrainConfig c;
            c.arch = UNetConfig::fromPreset("tiny");
            c.arch.inChannels = 3;
            c.steps = 4;
            c.patch = 32;
            c.threads = 1;
            c.bf16 = c.channelsLast = false;
            c.outModel = ctxModel;
            TrainData d{&image, nullptr, &truth, {0, 1}, -1, -1};
            train(c, d, {}, CancelToken{});
        }
        auto counted = std::make_shared<CountingSource>(image);
        TrainingJob round = job(TrainingJob::Kind::Round, ctxModel.string(), "round.msm");
        round.image = counted;
        const TrainingOutcome r = runJob(round);
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(counted->read(), (std::set<std::int64_t>{4, 5, 6, 7, 29, 30, 31}));
        QCOMPARE(r.trainedOn, (std::vector<std::int64_t>{5, 6}));
        QVERIFY(r.iouBefore >= 0 && r.iouAfter >= 0);   // scored on slice 30 with its real neighbours

        // A job whose label copies do not match their list is refused with the reason, not run.
        TrainingJob bad = job(TrainingJob::Kind::Train, {}, "bad.msm");
        bad.image = counted;
        bad.labelSlices = {5, 6};
        const TrainingOutcome b = runJob(bad);
        QVERIFY(!b.ok);
        QVERIFY(b.error.contains(QStringLiteral("label copies")));
    }

    void undoingARoundRestoresThePreviousPredictions()
    {
        // A starting model, trained headless on two slices for a few steps.
        const std::filesystem::path start = scratch_->filePath(QStringLiteral("start.msm")).toStdString();
        {
            TrainConfig c;
            c.arch = UNetConfig::fromPreset("tiny");
            c.steps = 15;
            c.patch = 32;
            c.threads = 1;
            c.bf16 = c.channelsLast = false;
            c.outModel = start;
            TrainData d{&image_, nullptr, &truth_, {0, 1}, -1, -1};
            train(c, d, {}, CancelToken{});
        }
        QSignalSpy segmented(window_->segmentation(), &SegmentationController::finished);
        QVERIFY(window_->segmentation()->loadModel(QString::fromStdString(start.string())).isEmpty());
        QVERIFY(window_->segmentation()->segmentStack(0));
        QTRY_VERIFY_WITH_TIMEOUT(segmented.count() == 1 && !window_->segmentation()->busy(), 20000);
        const auto startPredictions = allPredictions(*doc());
        QVERIFY(!startPredictions.empty());

        // "Next slice to correct" goes to an unlabelled, predicted, non-validation slice.
        QSignalSpy jumps(panel(), &TrainingPanel::jumpToSlice);
        panel()->nextSliceToCorrect();
        QCOMPARE(jumps.count(), 1);
        const std::int64_t next = jumps.at(0).at(0).toLongLong();
        QVERIFY(next >= 0 && next < 6);
        correctSlice(*doc(), next);
        correctSlice(*doc(), next == 2 ? 3 : 2);
        QVERIFY(training()->nextSliceToCorrect() != next);

        tinySettings(2);
        QSignalSpy done(training(), &TrainingController::finished);
        panel()->retrainButton()->click();
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 30000);
        QVERIFY2(done.at(0).at(0).toBool(), qPrintable(done.at(0).at(1).toString()));
        QTRY_VERIFY_WITH_TIMEOUT(segmented.count() == 2 && !window_->segmentation()->busy(), 20000);
        QCOMPARE(training()->rounds().size(), std::size_t{2});   // the start and round 1
        QCOMPARE(training()->currentRound(), 1);
        const TrainingRound& r1 = training()->rounds()[1];
        QVERIFY(r1.steps > 0);
        // Scored on the reference's validation slices, from the predictions before and after.
        QVERIFY(r1.iouBefore >= 0 && r1.iouAfter >= 0);
        QCOMPARE(training()->rounds()[0].iouAfter, r1.iouBefore);
        QCOMPARE(r1.iouAfter, training()->validationIoU());
        QCOMPARE(panel()->roundsTable()->rowCount(), 2);
        QVERIFY(panel()->roundSeries()->count() >= 1);
        const auto roundPredictions = allPredictions(*doc());
        QVERIFY(roundPredictions != startPredictions);

        // Back to the start: exactly the start model's predictions again; the corrections stay.
        QVERIFY(training()->useRound(0, 0));
        QTRY_VERIFY_WITH_TIMEOUT(segmented.count() == 3 && !window_->segmentation()->busy(), 20000);
        QCOMPARE(doc()->modelPath(), QString::fromStdString(start.string()));
        QVERIFY(allPredictions(*doc()) == startPredictions);
        QVERIFY(doc()->mask().isEdited(next));
        // Forward again.
        QVERIFY(training()->useRound(1, 0));
        QTRY_VERIFY_WITH_TIMEOUT(segmented.count() == 4 && !window_->segmentation()->busy(), 20000);
        QVERIFY(allPredictions(*doc()) == roundPredictions);

        // The rounds go into the session file and come back.
        const Session s = window_->files()->currentSession();
        QCOMPARE(s.currentRound, 1);
        const auto back = Session::fromJson(s.toJson());
        QVERIFY(back.has_value());
        QVERIFY(*back == s);
        QVERIFY(roundsFromJson(back->trainingRounds) == training()->rounds());
    }
};

MITOSEG_UI_TEST(TrainingTest)

}  // namespace mitoseg::ui::test

#include "TrainingTest.moc"
