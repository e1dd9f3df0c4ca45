// The studio never loses or hides the user's work: accepting a stack keeps hand-labelled
// slices, the labelled-slice list stays true (and survives a session), opening a mask asks
// before dropping unsaved edits.
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QUndoStack>

#include "core/io/TiffWriter.h"
#include "tests/ui/UiTest.h"
#include "ui/EditTools.h"
#include "ui/FileController.h"
#include "ui/ImageSource.h"
#include "ui/LayerSettings.h"
#include "ui/LayersPanel.h"
#include "ui/MainWindow.h"
#include "ui/PredictionProvider.h"
#include "ui/SegmentationController.h"
#include "ui/StudioDocument.h"

namespace mitoseg::ui::test {

namespace {

/// A binary prediction: foreground (p = 0.9) in the left half of the slice, else p = 0.1.
SlicePrediction leftHalf(std::int64_t h, std::int64_t w)
{
    SlicePrediction p;
    p.height = h;
    p.width = w;
    p.classes = 2;
    p.labels.resize(static_cast<std::size_t>(h * w));
    p.probabilities.resize(static_cast<std::size_t>(2 * h * w));
    for (std::int64_t i = 0; i < h * w; ++i) {
        const float fg = i % w < w / 2 ? 0.9f : 0.1f;
        p.labels[static_cast<std::size_t>(i)] = fg > 0.5f ? 1 : 0;
        p.probabilities[static_cast<std::size_t>(i)] = 1.f - fg;
        p.probabilities[static_cast<std::size_t>(h * w + i)] = fg;
    }
    return p;
}

/// A binary prediction with P(foreground) = fg(i) for pixel i.
template <class Fg>
SlicePrediction binary(std::int64_t h, std::int64_t w, Fg fg)
{
    SlicePrediction p;
    p.height = h;
    p.width = w;
    p.classes = 2;
    p.labels.resize(static_cast<std::size_t>(h * w));
    p.probabilities.resize(static_cast<std::size_t>(2 * h * w));
    for (std::int64_t i = 0; i < h * w; ++i) {
        const float f = fg(i);
        p.labels[static_cast<std::size_t>(i)] = f > 0.5f ? 1 : 0;
        p.probabilities[static_cast<std::size_t>(i)] = 1.f - f;
        p.probabilities[static_cast<std::size_t>(h * w + i)] = f;
    }
    return p;
}

/// A binary model (left half foreground) with the given class names (empty: unnamed).
class HalfProvider final : public PredictionProvider {
public:
    explicit HalfProvider(std::vector<std::string> names = {}) : names_(std::move(names)) {}
    QString name() const override { return QStringLiteral("left half"); }
    std::vector<std::string> classNames() const override { return names_; }
    SlicePrediction predict(const float*, std::int64_t h, std::int64_t w, const CancelToken&) override
    {
        return leftHalf(h, w);
    }

private:
    std::vector<std::string> names_;
};

}  // namespace

class WorkSafetyTest : public QObject {
    Q_OBJECT

    std::unique_ptr<QTemporaryDir> scratch_;
    std::unique_ptr<MainWindow> window_;
    StudioDocument* doc() { return window_->document(); }

private Q_SLOTS:
    void init()
    {
        scratch_ = std::make_unique<QTemporaryDir>();
        window_ = std::make_unique<MainWindow>(nullptr, scratch_->filePath(QStringLiteral("auto")));
        window_->setInteractive(false);
    }
    void cleanup() { window_.reset(); }

    void acceptStackKeepsSlicesLabelledByHand()
    {
        const Shape shape{4, 20, 30};
        doc()->setImage(ImageSource::fromVolume(blobVolume(shape), QStringLiteral("blobs")));
        for (std::int64_t z = 0; z < shape.depth; ++z)
            doc()->setPrediction(z, leftHalf(shape.height, shape.width));
        QSignalSpy changed(doc(), &StudioDocument::labelledSlicesChanged);
        // Slice 1 corrected by hand (a stroke on the right half), slice 3 marked as right as it is.
        doc()->mask().stamp(1, 25, 10, 3, 1);
        const VolumeU8 corrected = doc()->mask().labels().toVolume();
        doc()->setSliceMarkedLabelled(3, true);
        QVERIFY(changed.count() >= 2);
        QCOMPARE(doc()->labelledSlices(), (std::vector<std::int64_t>{1, 3}));

        int skipped = -1;
        QVERIFY(window_->tools()->acceptPredictionStack(&skipped));
        QCOMPARE(skipped, 2);
        const auto& m = doc()->mask().labels();
        for (std::int64_t y = 0; y < shape.height; ++y)
            for (std::int64_t x = 0; x < shape.width; ++x) {
                QCOMPARE(int(m(1, y, x)), int(corrected(1, y, x)));   // the correction stays
                QCOMPARE(int(m(3, y, x)), 0);                         // the marked slice too
                QCOMPARE(int(m(0, y, x)), x < shape.width / 2 ? 1 : 0);
                QCOMPARE(int(m(2, y, x)), x < shape.width / 2 ? 1 : 0);
            }
        QCOMPARE(doc()->labelledSlices(), (std::vector<std::int64_t>{0, 1, 2, 3}));
        QCOMPARE(doc()->sliceLabelSource(0), LabelSource::Accepted);
        QCOMPARE(doc()->sliceLabelSource(1), LabelSource::Edited);
        QCOMPARE(doc()->sliceLabelSource(3), LabelSource::Marked);
        QCOMPARE(doc()->mask().editedSlices(), (std::vector<std::int64_t>{1}));

        // The labelled slices survive a session.
        const QString session = scratch_->filePath(QStringLiteral("s.json"));
        const QString maskPath = scratch_->filePath(QStringLiteral("m.tif"));
        const QString stackPath = scratch_->filePath(QStringLiteral("stack.tif"));
        writeStack(stackPath.toStdString(), blobVolume(shape));
        {
            MainWindow w(nullptr, scratch_->filePath(QStringLiteral("auto2")));
            w.setInteractive(false);
            QVERIFY(w.files()->openStack(stackPath));
            for (std::int64_t z = 0; z < shape.depth; ++z)
                w.document()->setPrediction(z, leftHalf(shape.height, shape.width));
            w.document()->mask().stamp(1, 25, 10, 3, 1);
            w.document()->setSliceMarkedLabelled(3, true);
            QVERIFY(w.tools()->acceptPredictionStack());
            QVERIFY(w.files()->saveMask(maskPath));
            QVERIFY(w.files()->saveSession(session));
        }
        MainWindow w(nullptr, scratch_->filePath(QStringLiteral("auto3")));
        w.setInteractive(false);
        QVERIFY(w.files()->openSession(session));
        QCOMPARE(w.document()->labelledSlices(), (std::vector<std::int64_t>{0, 1, 2, 3}));
        QCOMPARE(w.document()->sliceLabelSource(2), LabelSource::Accepted);
        QCOMPARE(w.document()->sliceLabelSource(1), LabelSource::Edited);
        QCOMPARE(w.document()->sliceLabelSource(3), LabelSource::Marked);

        // Undoing the accept takes its slices out of the list again.
        window_->undoStack()->undo();
        QCOMPARE(doc()->labelledSlices(), (std::vector<std::int64_t>{1, 3}));
        // Asked to, the accept overwrites hand-labelled slices too.
        skipped = -1;
        QVERIFY(doc()->acceptPredictionStack(true, &skipped));
        QCOMPARE(skipped, 0);
        QCOMPARE(int(doc()->mask().labels()(1, 10, 25)), 0);
    }

    void binaryModelOnTheDemoPredictsMitochondriaNotMembrane()
    {
        QVERIFY(window_->files()->openDemo(3, 48, 64));
        QCOMPARE(doc()->classes()[2].name, std::string("mitochondrion"));
        auto* seg = window_->segmentation();
        for (const auto& names : {std::vector<std::string>{}, std::vector<std::string>{"", ""},
                                  std::vector<std::string>{"background", "Mitochondria"}}) {
            seg->setProvider(std::make_shared<HalfProvider>(names));
            QCOMPARE(doc()->classes().size(), std::size_t{3});   // nothing added: the names match
            QCOMPARE(int(doc()->predictionLabelFor(1)), 2);
            QSignalSpy done(seg, &SegmentationController::finished);
            QVERIFY(seg->segmentSlice(1));
            QVERIFY(done.wait(5000));
            QCOMPARE(int(doc()->predictionLabels(1)[10 * 64 + 5]), 2);    // left half: mitochondrion
            QCOMPARE(int(doc()->predictionLabels(1)[10 * 64 + 60]), 0);
            // Threshold changes keep the class.
            doc()->setPredictionThreshold(0.3);
            QCOMPARE(int(doc()->predictionLabels(1)[10 * 64 + 5]), 2);
            doc()->setPredictionThreshold(0.5);
            QVERIFY(doc()->acceptPredictionSlice(1));
            QCOMPARE(int(doc()->mask().labels()(1, 10, 5)), 2);
            window_->undoStack()->clear();
            doc()->mask().undo();
        }
        // A class the mask does not have is added (and said), never written as another class.
        QSignalSpy said(seg, &SegmentationController::message);
        seg->setProvider(std::make_shared<HalfProvider>(std::vector<std::string>{"background", "vesicle"}));
        QCOMPARE(doc()->classes().size(), std::size_t{4});
        QCOMPARE(doc()->classes()[3].name, std::string("vesicle"));
        QCOMPARE(int(doc()->predictionLabelFor(1)), 3);
        QCOMPARE(int(doc()->predictionLabels(1)[10 * 64 + 5]), 3);   // relabelled at once
        QCOMPARE(said.count(), 1);
        QVERIFY(said.front().at(0).toString().contains(QStringLiteral("vesicle")));
    }

    void sessionKeepsPredictionsAndLayerSettings()
    {
        const Shape shape{4, 60, 80};
        const QString stackPath = scratch_->filePath(QStringLiteral("stack.tif"));
        const QString sessionPath = scratch_->filePath(QStringLiteral("work.json"));
        writeStack(stackPath.toStdString(), blobVolume(shape));
        QVERIFY(window_->files()->openStack(stackPath));
        // Smooth probabilities: a bright square per slice on a gradient.
        for (std::int64_t z = 0; z < shape.depth; ++z)
            doc()->setPrediction(z, binary(shape.height, shape.width, [&](std::int64_t i) {
                const std::int64_t y = i / shape.width, x = i % shape.width;
                const bool square = y >= 10 && y < 30 && x >= 10 + z && x < 30 + z;
                return square ? 0.9f : static_cast<float>(x) / 400.f;
            }));
        QSignalSpy post(doc(), &StudioDocument::stackPostProcessingFinished);
        doc()->setPostProcessing({1, 0.6f, 20});
        QVERIFY(post.wait(5000));
        QVERIFY(doc()->stackPostProcessed());
        OverlayStyle style = window_->layers()->style(Layer::Prediction);
        style.color = QColor(200, 30, 90);
        style.opacity = 70;
        window_->layers()->setStyle(Layer::Prediction, style);
        window_->layers()->setPredictionHeatmap(true);
        VolumeU8 labels(shape, 0), prob(shape, 0);
        for (std::int64_t z = 0; z < shape.depth; ++z) {
            std::copy_n(doc()->predictionLabels(z).data(), shape.sliceVoxels(), labels.slice(z));
            std::copy_n(doc()->predictionProbability(z).data(), shape.sliceVoxels(), prob.slice(z));
        }
        QVERIFY(window_->files()->saveSession(sessionPath));
        const QString predPath = FileController::predictionsPathFor(sessionPath);
        QVERIFY(QFileInfo::exists(predPath));
        QVERIFY(QFileInfo(predPath).size() < shape.voxels() / 2);   // compressed

        MainWindow w(nullptr, scratch_->filePath(QStringLiteral("auto2")));
        w.setInteractive(false);
        auto* d = w.document();
        QSignalSpy post2(d, &StudioDocument::stackPostProcessingFinished);
        QVERIFY(w.files()->openSession(sessionPath));
        QCOMPARE(d->predictedSlices(), 4);
        QCOMPARE(d->predictionThreshold(), 0.6);
        QCOMPARE(d->postProcessing().zSmooth, 1);
        QCOMPARE(d->postProcessing().minObjectVoxels, std::int64_t{20});
        QVERIFY(w.layers()->predictionHeatmap());
        QCOMPARE(w.layers()->style(Layer::Prediction).color, QColor(200, 30, 90));
        QCOMPARE(w.layers()->style(Layer::Prediction).opacity, 70);
        QTRY_VERIFY_WITH_TIMEOUT(d->stackPostProcessed(), 5000);
        for (std::int64_t z = 0; z < shape.depth; ++z)
            for (std::int64_t i = 0; i < shape.sliceVoxels(); ++i) {
                QCOMPARE(int(d->predictionProbability(z)[i]), int(prob.slice(z)[i]));
                QCOMPARE(int(d->predictionLabels(z)[i]), int(labels.slice(z)[i]));
            }

        // A damaged predictions file is reported; the session still opens, without predictions.
        QFile f(predPath);
        QVERIFY(f.open(QIODevice::ReadWrite));
        QVERIFY(f.resize(f.size() / 2));
        f.close();
        MainWindow w3(nullptr, scratch_->filePath(QStringLiteral("auto3")));
        w3.setInteractive(false);
        QVERIFY(w3.files()->openSession(sessionPath));
        QCOMPARE(w3.document()->predictedSlices(), 0);
        QVERIFY(w3.files()->lastError().contains(QStringLiteral(".predictions")));
    }

    void singleImageKeepsItsObjectsThroughTheStackCleanUp()
    {
        // One 120 x 160 image: a 30 x 30 mitochondrion (900 px) and a 6 x 6 speck (36 px). The
        // model's clean-up (z +-2, objects under 10000 voxels) is made for full stacks.
        const Shape shape{1, 120, 160};
        doc()->setImage(ImageSource::fromVolume(blobVolume(shape), QStringLiteral("one image")));
        doc()->setPostProcessing({2, 0.5f, 10000});
        doc()->setPrediction(0, binary(shape.height, shape.width, [&](std::int64_t i) {
            const std::int64_t y = i / shape.width, x = i % shape.width;
            const bool big = y >= 20 && y < 50 && x >= 20 && x < 50, speck = y >= 80 && y < 86 && x >= 100 && x < 106;
            return big || speck ? 0.9f : 0.1f;
        }));
        const PostProcessPlan plan = doc()->postProcessingPlan();
        QCOMPARE(plan.effective.zSmooth, 0);
        QCOMPARE(plan.effective.minObjectVoxels, std::int64_t{464});
        QSignalSpy post(doc(), &StudioDocument::stackPostProcessingFinished);
        QVERIFY(doc()->startStackPostProcessing());
        QVERIFY(post.wait(5000));
        QVERIFY(post.front().at(0).toBool());
        const auto labels = doc()->predictionLabels(0);
        QCOMPARE(int(labels[35 * 160 + 35]), 1);    // the mitochondrion stays
        QCOMPARE(int(labels[83 * 160 + 103]), 0);   // the speck goes

        // The Layers panel shows the settings and the adaptation, and edits them.
        auto* panel = window_->findChild<LayersPanel*>();
        QVERIFY(panel);
        QSpinBox* zSpin = nullptr;
        QSpinBox* minSpin = nullptr;
        for (auto* spin : panel->findChildren<QSpinBox*>()) {
            if (spin->prefix().startsWith(QStringLiteral("±")))
                zSpin = spin;
            else if (spin->suffix().contains(QStringLiteral("voxels")))
                minSpin = spin;
        }
        QVERIFY(zSpin && minSpin);
        QCOMPARE(zSpin->value(), 2);
        QCOMPARE(minSpin->value(), 10000);
        QVERIFY(panel->findChild<QLabel*>(QString(), Qt::FindChildrenRecursively) != nullptr);
        minSpin->setValue(20);
        Q_EMIT minSpin->editingFinished();
        QCOMPARE(doc()->postProcessing().minObjectVoxels, std::int64_t{20});
        QVERIFY(post.wait(5000));
        QCOMPARE(int(doc()->predictionLabels(0)[83 * 160 + 103]), 1);   // now the speck is big enough
        zSpin->setValue(0);
        QCOMPARE(doc()->postProcessing().zSmooth, 0);
        QCOMPARE(doc()->predictionThreshold(), 0.5);
    }

    void openMaskAsksBeforeDroppingUnsavedEdits()
    {
        const Shape shape{3, 16, 24};
        const QString stackPath = scratch_->filePath(QStringLiteral("stack.tif"));
        const QString maskPath = scratch_->filePath(QStringLiteral("mask.tif"));
        writeStack(stackPath.toStdString(), blobVolume(shape));
        VolumeU8 onDisk(shape, 0);
        onDisk(2, 8, 8) = 1;
        writeStack(maskPath.toStdString(), onDisk);
        auto* files = window_->files();
        QVERIFY(files->openStack(stackPath));
        doc()->mask().stamp(0, 5, 5, 2, 1);
        const VolumeU8 painted = doc()->mask().labels().toVolume();

        files->setNonInteractiveAnswer(FileController::Answer::Cancel);
        QVERIFY(!files->openMask(maskPath));
        QVERIFY(doc()->mask().labels().toVolume().values() == painted.values());
        QVERIFY(doc()->isDirty());
        QCOMPARE(doc()->mask().editedSlices(), (std::vector<std::int64_t>{0}));
        // "Save" without a mask file of its own cannot save, so nothing is replaced.
        files->setNonInteractiveAnswer(FileController::Answer::Save);
        QVERIFY(!files->openMask(maskPath));
        QVERIFY(doc()->mask().labels().toVolume().values() == painted.values());

        files->setNonInteractiveAnswer(FileController::Answer::Discard);
        QVERIFY(files->openMask(maskPath));
        QVERIFY(doc()->mask().labels().toVolume().values() == onDisk.values());
        QVERIFY(!doc()->isDirty());
    }
};

}  // namespace mitoseg::ui::test

using mitoseg::ui::test::WorkSafetyTest;
MITOSEG_UI_TEST(WorkSafetyTest)
#include "WorkSafetyTest.moc"
