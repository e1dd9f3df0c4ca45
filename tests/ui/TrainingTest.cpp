// The Training dock end to end on a tiny stack: background training with a live chart while
// the user paints, Stop keeping a usable model, a retraining round swapping its model in, going
// back a round restoring the previous predictions, and the rounds in the session.
#include <QComboBox>
#include <QSpinBox>
#include <QLineSeries>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>

#include <filesystem>

#include "core/engine/Trainer.h"
#include "tests/ui/UiTest.h"
#include "ui/FileController.h"
#include "ui/ImageSource.h"
#include "ui/MainWindow.h"
#include "ui/SegmentationController.h"
#include "ui/Session.h"
#include "ui/StudioDocument.h"
#include "ui/train/TrainingController.h"
#include "ui/train/TrainingPanel.h"

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
    const std::uint8_t* p = doc.predictionLabels(z);
    if (!p)
        return -1;
    double inter = 0, uni = 0;
    for (std::int64_t i = 0; i < truth.shape().sliceVoxels(); ++i) {
        inter += p[i] && truth.slice(z)[i];
        uni += p[i] || truth.slice(z)[i];
    }
    return uni > 0 ? inter / uni : 1.0;
}

std::vector<std::uint8_t> allPredictions(const StudioDocument& doc)
{
    std::vector<std::uint8_t> out;
    for (std::int64_t z = 0; z < doc.shape().depth; ++z) {
        const std::uint8_t* p = doc.predictionLabels(z);
        const std::uint8_t* q = doc.predictionProbability(z);
        if (!p || !q)
            return {};
        out.insert(out.end(), p, p + doc.shape().sliceVoxels());
        out.insert(out.end(), q, q + doc.shape().sliceVoxels());
    }
    return out;
}

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
