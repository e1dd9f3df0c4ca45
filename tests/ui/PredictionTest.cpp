// Background segmentation through a fake provider, and accepting predictions (undoable).
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QThread>
#include <QUndoStack>

#include <algorithm>
#include <atomic>
#include <random>

#include "core/base/Error.h"
#include "core/base/Memory.h"
#include "core/engine/ComputePrecision.h"
#include "core/engine/Trainer.h"
#include "tests/ui/CorruptTiff.h"
#include "tests/ui/UiTest.h"
#include "ui/EditTools.h"
#include "ui/ImageSource.h"
#include "ui/MainWindow.h"
#include "ui/PredictionProvider.h"
#include "ui/SegmentationController.h"
#include "ui/StudioDocument.h"

namespace mitoseg::ui::test {

namespace {

/// A binary prediction with P(foreground) = fgAt(pixel index), labelled at 0.5.
template <class Fg>
SlicePrediction binaryPrediction(std::int64_t h, std::int64_t w, Fg fgAt)
{
    SlicePrediction p;
    p.height = h;
    p.width = w;
    p.classes = 2;
    p.labels.resize(static_cast<std::size_t>(h * w));
    p.probabilities.resize(static_cast<std::size_t>(2 * h * w));
    for (std::int64_t i = 0; i < h * w; ++i) {
        const float fg = fgAt(i);
        p.labels[static_cast<std::size_t>(i)] = fg > 0.5f ? 1 : 0;
        p.probabilities[static_cast<std::size_t>(i)] = 1.f - fg;
        p.probabilities[static_cast<std::size_t>(h * w + i)] = fg;
    }
    return p;
}

/// Foreground (p = 0.9) where `raw` is dark (< 100), else background (p = 0.1).
SlicePrediction darkIsForeground(const float* raw, std::int64_t h, std::int64_t w)
{
    return binaryPrediction(h, w, [raw](std::int64_t i) { return raw[i] < 100.f ? 0.9f : 0.1f; });
}

// Thresholds the image (dark = mitochondrion) and records the thread it ran on.
class FakeProvider final : public PredictionProvider {
public:
    std::atomic<QThread*> thread{nullptr};
    std::atomic<int> delayMs{0};
    QString name() const override { return QStringLiteral("fake threshold"); }
    SlicePrediction predict(const float* raw, std::int64_t h, std::int64_t w, const CancelToken& cancel) override
    {
        thread = QThread::currentThread();
        for (int i = 0; i < delayMs; i += 5) {
            cancel.check();
            QThread::msleep(5);
        }
        return darkIsForeground(raw, h, w);
    }
};

// A 2.5D stand-in: marks foreground where the *next* slice is dark, so a result shows which
// neighbours it was given.
class NextSliceProvider final : public PredictionProvider {
public:
    QString name() const override { return QStringLiteral("next slice"); }
    int contextSlices() const override { return 1; }
    SlicePrediction predict(const float*, std::int64_t, std::int64_t, const CancelToken&) override
    {
        throw Error("a 2.5D provider must get its neighbours");
    }
    SlicePrediction predictWithContext(const std::vector<const float*>& slices, std::int64_t h, std::int64_t w,
                                       const CancelToken&) override
    {
        if (slices.size() != 3)
            throw Error("expected 3 slices");
        return darkIsForeground(slices[2], h, w);   // the next slice
    }
};

/// P(foreground) * 255 of voxel (z, y, x) for the post-processing test: dark blobs certain,
/// scattered specks and a faint texture elsewhere. No window mean equals a threshold exactly.
int patternValue(const VolumeU8& image, std::int64_t z, std::int64_t y, std::int64_t x)
{
    if (image(z, y, x) < 100)
        return 230;
    if ((x * 7 + y * 13 + z * 5) % 11 == 0)
        return 150;
    return (x + y) % 3 == 0 ? 80 : 20;
}

// Returns patternValue / 255 as the foreground probability and recommends post-processing.
class PatternProvider final : public PredictionProvider {
public:
    explicit PatternProvider(VolumeU8 image) : image_(std::move(image)) {}
    QString name() const override { return QStringLiteral("pattern"); }
    PostProcessing postProcessing() const override { return {1, 0.4f, 30}; }
    SlicePrediction predict(const float* raw, std::int64_t h, std::int64_t w, const CancelToken&) override
    {
        // Find the slice by its pixels (the fake sees raw values only).
        std::int64_t z = 0;
        for (; z < image_.depth(); ++z)
            if (std::equal(raw, raw + h * w, image_.slice(z), [](float a, std::uint8_t b) { return a == static_cast<float>(b); }))
                break;
        return binaryPrediction(h, w, [&](std::int64_t i) {
            return static_cast<float>(patternValue(image_, z, i / w, i % w)) / 255.f;
        });
    }

private:
    VolumeU8 image_;
};

/// A tiny 2.5D U-Net (one neighbour a side) trained for a few seconds on `image` (dark =
/// mitochondrion), written to `path`.
void trainTinyContextModel(const std::filesystem::path& path, const VolumeU8& image)
{
    VolumeU8 labels(image.shape());
    for (std::size_t i = 0; i < labels.values().size(); ++i)
        labels.values()[i] = image.values()[i] < 100 ? 1 : 0;
    TrainConfig c;
    c.arch = UNetConfig::fromPreset("tiny");
    c.arch.inChannels = 3;
    c.steps = 40;
    c.batch = 4;
    c.patch = 32;
    c.learningRate = 1e-2;
    c.warmupSteps = 2;
    c.threads = 1;
    c.bf16 = c.channelsLast = false;
    c.validateEvery = 1000;
    c.outModel = path;
    train(c, TrainData{&image, nullptr, &labels, {}, -1, -1}, {}, CancelToken{});
}

}  // namespace

class PredictionTest : public QObject {
    Q_OBJECT

    std::unique_ptr<QTemporaryDir> scratch_;
    std::unique_ptr<MainWindow> window_;
    std::shared_ptr<FakeProvider> fake_;
    VolumeU8 image_;

private Q_SLOTS:
    void init()
    {
        scratch_ = std::make_unique<QTemporaryDir>();
        window_ = std::make_unique<MainWindow>(nullptr, scratch_->path());
        window_->setInteractive(false);
        image_ = blobVolume(Shape{4, 40, 60});
        window_->document()->setImage(ImageSource::fromVolume(image_, QStringLiteral("blobs")));
        fake_ = std::make_shared<FakeProvider>();
    }
    void cleanup() { window_.reset(); }

    void withoutModelSegmentingExplainsWhy()
    {
        QString why;
        QVERIFY(!window_->segmentation()->segmentSlice(0, &why));
        QVERIFY(why.contains(QStringLiteral("model")));
        // The engine stub (or a missing file) gives a message, not a crash.
        QVERIFY(!window_->segmentation()->loadModel(scratch_->filePath(QStringLiteral("absent.msm"))).isEmpty());
        QVERIFY(!window_->segmentation()->hasProvider());
    }

    void segmentSliceRunsOffTheGuiThreadAndAcceptIsUndoable()
    {
        auto* seg = window_->segmentation();
        seg->setProvider(fake_);
        QSignalSpy done(seg, &SegmentationController::finished);
        QVERIFY(seg->segmentSlice(2));
        QVERIFY(seg->busy());
        QVERIFY(done.wait(5000));
        QCOMPARE(done.front().at(0).toBool(), true);
        QVERIFY(fake_->thread != QThread::currentThread());
        auto* doc = window_->document();
        QVERIFY(doc->hasPrediction(2));
        QVERIFY(!doc->hasPrediction(1));

        const VolumeU8 before = doc->mask().labels().toVolume();
        QVERIFY(window_->tools()->acceptPredictionSlice(2));
        for (std::int64_t y = 0; y < 40; ++y)
            for (std::int64_t x = 0; x < 60; ++x)
                QCOMPARE(int(doc->mask().labels()(2, y, x)), image_(2, y, x) < 100 ? 1 : 0);
        QCOMPARE(window_->undoStack()->count(), 1);
        window_->undoStack()->undo();
        QVERIFY(doc->mask().labels().toVolume().values() == before.values());
        window_->undoStack()->redo();
        QCOMPARE(int(doc->mask().labels()(2, 20, 60 / 3 + 2)), 1);
    }

    void segmentStackThenAcceptAllIsOneStep()
    {
        auto* seg = window_->segmentation();
        seg->setProvider(fake_);
        QSignalSpy slices(window_->document(), &StudioDocument::predictionChanged);
        QSignalSpy done(seg, &SegmentationController::finished);
        QVERIFY(seg->segmentStack(1));
        QVERIFY(done.wait(5000));
        QCOMPARE(slices.count(), 4);
        QCOMPARE(slices.front().at(0).toLongLong(), 1);   // starts at the shown slice
        auto* doc = window_->document();
        QCOMPARE(doc->predictedSlices(), 4);
        QVERIFY(window_->tools()->acceptPredictionStack());
        QCOMPARE(window_->undoStack()->count(), 1);
        for (std::int64_t z = 0; z < 4; ++z)
            QCOMPARE(int(doc->mask().labels()(z, 20, 60 / 3 + z)), 1);
        window_->undoStack()->undo();
        const VolumeU8 undone = doc->mask().labels().toVolume();
        for (auto v : undone.values())
            QCOMPARE(int(v), 0);
        QVERIFY(doc->mask().editedSlices().empty());   // accepting is not a user correction
    }

    void contextModelsGetTheirRealNeighbours()
    {
        auto* seg = window_->segmentation();
        seg->setProvider(std::make_shared<NextSliceProvider>());
        QSignalSpy done(seg, &SegmentationController::finished);
        QVERIFY(seg->segmentStack(2));
        QVERIFY(done.wait(5000));
        QCOMPARE(done.front().at(0).toBool(), true);
        QVERIFY(window_->tools()->acceptPredictionStack());
        const auto& labels = window_->document()->mask().labels();
        for (std::int64_t z = 0; z < 4; ++z) {
            const std::int64_t next = std::min<std::int64_t>(z + 1, 3);   // clamped at the last slice
            for (std::int64_t y = 0; y < 40; ++y)
                for (std::int64_t x = 0; x < 60; ++x)
                    QCOMPARE(int(labels(z, y, x)), image_(next, y, x) < 100 ? 1 : 0);
        }
    }

    void stackJobAppliesTheModelsPostProcessingLikeMitosegPredict()
    {
        auto* seg = window_->segmentation();
        auto* doc = window_->document();
        seg->setProvider(std::make_shared<PatternProvider>(image_));
        QCOMPARE(doc->predictionThreshold(), 0.4);   // the model's threshold replaces 0.5
        QCOMPARE(doc->postProcessing().zSmooth, 1);
        QSignalSpy done(seg, &SegmentationController::finished);
        QVERIFY(seg->segmentStack(0));
        QVERIFY(done.wait(5000));
        QVERIFY(done.front().at(1).toString().contains(QStringLiteral("3D clean-up")));
        QVERIFY(doc->stackPostProcessed());

        // What core's predictStack post-processing gives on the same probabilities.
        auto coreLabels = [&](float threshold) {
            StackPrediction p;
            p.probability = VolumeF32(image_.shape());
            p.labels = VolumeU8(image_.shape());
            for (std::int64_t z = 0; z < 4; ++z)
                for (std::int64_t y = 0; y < 40; ++y)
                    for (std::int64_t x = 0; x < 60; ++x)
                        p.probability(z, y, x) = static_cast<float>(patternValue(image_, z, y, x)) / 255.f;
            postProcessBinary(p, 1, threshold, 30);
            return p.labels;
        };
        auto expectSame = [&](float threshold) {
            const VolumeU8 expected = coreLabels(threshold);
            int perSliceDiffers = 0;
            for (std::int64_t z = 0; z < 4; ++z)
                for (std::int64_t y = 0; y < 40; ++y)
                    for (std::int64_t x = 0; x < 60; ++x) {
                        QCOMPARE(int(doc->predictionLabels(z)[y * 60 + x]), int(expected(z, y, x)));
                        const bool plain = patternValue(image_, z, y, x) >= std::lround(threshold * 255);
                        perSliceDiffers += plain != (expected(z, y, x) != 0);
                    }
            QVERIFY(perSliceDiffers > 20);   // smoothing and object removal changed the plain threshold's result
        };
        expectSame(0.4f);

        // Threshold changes re-apply it to the whole stack on a worker thread; a newer change
        // supersedes a running job, and the labels change only when the latest job is in.
        QSignalSpy post(doc, &StudioDocument::stackPostProcessingFinished);
        doc->setPredictionThreshold(0.5);
        doc->setPredictionThreshold(0.6);
        expectSame(0.4f);
        QTRY_COMPARE_WITH_TIMEOUT(post.count(), 2, 5000);
        QCOMPARE(int(post.at(0).at(0).toBool()) + int(post.at(1).at(0).toBool()), 1);
        QVERIFY(doc->stackPostProcessed());
        expectSame(0.6f);

        // A new single-slice result ends the stack post-processing until the next stack job.
        QSignalSpy again(seg, &SegmentationController::finished);
        QVERIFY(seg->segmentSlice(1));
        QVERIFY(again.wait(5000));
        QVERIFY(doc->stackPostProcessed());   // every slice still predicted: re-applied
        expectSame(0.6f);
        doc->clearPredictions();
        QVERIFY(!doc->stackPostProcessed());
        QVERIFY(!doc->startStackPostProcessing());   // nothing predicted: nothing to do
    }

    void int8SegmentsASliceAsMitosegPredictDoes()
    {
        // A real (tiny, 2.5D) U-Net in 8 bits: the studio calibrates on the document's stack, so
        // the slice segmented alone equals that slice of the whole-stack prediction.
        qputenv("MITOSEG_PRECISION", "int8");
        const std::filesystem::path model = scratch_->filePath(QStringLiteral("tiny.msm")).toStdString();
        trainTinyContextModel(model, image_);
        auto* seg = window_->segmentation();
        QVERIFY2(seg->loadModel(QString::fromStdString(model.string())).isEmpty(), "model loads");
        if (!mitoseg::int8Unavailable().empty()) {
            // Refused on this CPU (AMX-INT8): the studio segments in its default format instead.
            QVERIFY(seg->modelPrecision() != QStringLiteral("int8"));
            qunsetenv("MITOSEG_PRECISION");
            QSKIP("int8 is refused on this CPU");
        }
        QCOMPARE(seg->modelPrecision(), QStringLiteral("int8"));
        QSignalSpy done(seg, &SegmentationController::finished);
        QVERIFY(seg->segmentSlice(3));
        QVERIFY(done.wait(20000));
        qunsetenv("MITOSEG_PRECISION");

        PredictOptions o;
        o.bf16 = false;
        o.int8 = true;
        o.zSmooth = 0;
        o.minObjectVoxels = 0;
        const StackPrediction whole = Segmenter::load(model)->predictStack(image_, o);
        const auto studio = window_->document()->predictionLabels(3);
        int foreground = 0;
        for (std::int64_t i = 0; i < 40 * 60; ++i) {
            QCOMPARE(int(studio[i]), int(whole.labels.slice(3)[i]));
            foreground += studio[i] != 0;
        }
        QVERIFY(foreground > 0 && foreground < 40 * 60);   // a real segmentation, not all one class

        // A stack job (from slice 3, wrapping round) runs the slices through the engine several at
        // a time: every slice as the whole-stack prediction has it.
        qputenv("MITOSEG_PRECISION", "int8");
        QVERIFY2(seg->loadModel(QString::fromStdString(model.string())).isEmpty(), "model loads");
        qunsetenv("MITOSEG_PRECISION");
        QSignalSpy stackDone(seg, &SegmentationController::finished);
        QVERIFY(seg->segmentStack(3));
        QVERIFY(stackDone.wait(20000));
        QCOMPARE(stackDone.front().at(0).toBool(), true);
        for (std::int64_t z = 0; z < 4; ++z) {
            const auto labels = window_->document()->predictionLabels(z);
            for (std::int64_t i = 0; i < 40 * 60; ++i)
                QCOMPARE(int(labels[i]), int(whole.labels.slice(z)[i]));
        }
    }

    void aStackJobSegmentsAroundAnUnreadableSliceWithTheRealModel()
    {
        // 9 slices, page 2 damaged: the engine's runs stop at it, the slices around it are
        // segmented one by one (the bad neighbour replaced by the slice itself), then runs again.
        const QString damaged = scratch_->filePath(QStringLiteral("damaged.tif"));
        mitoseg::test::writeStackWithCorruptPage(damaged.toStdString(), Shape{9, 30, 40}, 2);
        VolumeU8 good(Shape{9, 30, 40});
        for (std::int64_t z = 0; z < 9; ++z)
            for (std::int64_t y = 0; y < 30; ++y)
                for (std::int64_t x = 0; x < 40; ++x)
                    good(z, y, x) = mitoseg::test::corruptStackValue(z, y, x);
        const std::filesystem::path model = scratch_->filePath(QStringLiteral("tiny.msm")).toStdString();
        trainTinyContextModel(model, good);
        auto source = ImageSource::openTiff(damaged.toStdString());
        window_->document()->setImage(source);
        auto* seg = window_->segmentation();
        QVERIFY2(seg->loadModel(QString::fromStdString(model.string())).isEmpty(), "model loads");
        QSignalSpy done(seg, &SegmentationController::finished);
        QSignalSpy progress(seg, &SegmentationController::progress);
        QVERIFY(seg->segmentStack(0));
        QVERIFY(done.wait(20000));
        QCOMPARE(done.front().at(0).toBool(), false);
        QVERIFY2(done.front().at(1).toString().contains(QStringLiteral("slice 3")), qPrintable(done.front().at(1).toString()));
        QVERIFY(!window_->document()->hasPrediction(2));
        QCOMPARE(progress.back().at(0).toInt(), 9);
        // Each predicted slice as the engine predicts it alone on what the job gave it.
        auto engine = Segmenter::load(model);
        PredictOptions o;
        o.int8 = window_->segmentation()->modelPrecision() == QStringLiteral("int8");
        if (o.int8) {
            // the studio's calibration slices (1, 4, 7 and their neighbours) are all readable
            engine->setInt8Calibration(int8CalibrationOf(good.shape(), 1, [&](std::int64_t z, float* dst) {
                std::copy_n(good.slice(z), good.shape().sliceVoxels(), dst);
            }));
        }
        std::vector<float> raw(static_cast<std::size_t>(3 * 30 * 40));
        for (std::int64_t z : {0, 1, 3, 4, 5, 8}) {
            QVERIFY(window_->document()->hasPrediction(z));
            std::vector<const float*> ptrs;
            for (int k = -1; k <= 1; ++k) {
                std::int64_t n = std::clamp<std::int64_t>(z + k, 0, 8);
                if (n == 2)
                    n = z;   // the unreadable neighbour: the slice itself
                float* dst = raw.data() + (k + 1) * 30 * 40;
                std::copy_n(good.slice(n), 30 * 40, dst);
                ptrs.push_back(dst);
            }
            const SlicePrediction alone = engine->predictSliceWithContext(ptrs, 30, 40, o);
            const auto labels = window_->document()->predictionLabels(z);
            for (std::int64_t i = 0; i < 30 * 40; ++i)
                QCOMPARE(int(labels[i]), int(alone.labels[static_cast<std::size_t>(i)]));
        }
    }

    void cancelStopsAStackJob()
    {
        auto* seg = window_->segmentation();
        fake_->delayMs = 200;
        seg->setProvider(fake_);
        QSignalSpy done(seg, &SegmentationController::finished);
        QVERIFY(seg->segmentStack(0));
        seg->cancel();
        QVERIFY(done.wait(5000));
        QCOMPARE(done.front().at(0).toBool(), false);
        QVERIFY(window_->document()->predictedSlices() < 4);
        QVERIFY(!seg->busy());
    }

    void stackPostProcessingStreamsAboveTheBudgetWithTheSameResult()
    {
        // Noise plus one big object: z-smoothing, threshold and 3D small-object removal all act.
        const Shape s{200, 20, 25};
        StudioDocument doc;
        doc.setImage(ImageSource::fromVolume(VolumeU8(s, 100), QStringLiteral("noise")));
        std::mt19937 rng(5);
        std::vector<std::uint8_t> p(static_cast<std::size_t>(s.sliceVoxels()));
        for (std::int64_t z = 0; z < s.depth; ++z) {
            for (std::int64_t i = 0; i < s.sliceVoxels(); ++i) {
                const std::int64_t y = i / s.width, x = i % s.width;
                const bool big = z >= 50 && z < 90 && y >= 4 && y < 14 && x >= 4 && x < 14;
                p[static_cast<std::size_t>(i)] = big ? 230 : static_cast<std::uint8_t>(rng() % 256);
            }
            doc.restorePrediction(z, p.data(), nullptr);
        }
        auto run = [&] {
            QSignalSpy done(&doc, &StudioDocument::stackPostProcessingFinished);
            if (!doc.startStackPostProcessing() || !done.wait(20000) || !done.front().at(0).toBool())
                return VolumeU8();
            VolumeU8 out(s, 0);
            for (std::int64_t z = 0; z < s.depth; ++z)
                std::copy_n(doc.predictionLabels(z).data(), s.sliceVoxels(), out.slice(z));
            return out;
        };
        PostProcessing post;
        post.zSmooth = 2;
        post.threshold = 0.5f;
        post.minObjectVoxels = 40;
        doc.setPostProcessing(post);   // starts one run at once; wait for it
        QTRY_VERIFY(doc.stackPostProcessed());
        const VolumeU8 inMemory = run();
        QCOMPARE(inMemory.shape(), s);
        const auto fg = std::count(inMemory.values().begin(), inMemory.values().end(), std::uint8_t{1});
        QVERIFY(fg >= 40 * 100);   // the big object stays
        // Under a budget the whole-stack labels do not fit (100,000 bytes) but the window does.
        setMemoryBudget(50000);
        const VolumeU8 streamed = run();
        setMemoryBudget(0);
        QVERIFY(doc.stackPostProcessingRefusal().isEmpty());
        QCOMPARE(streamed.shape(), s);
        QVERIFY(streamed.values() == inMemory.values());
        // Without even room for the window it is refused, naming the figure.
        setMemoryBudget(1000);
        QVERIFY(!doc.startStackPostProcessing());
        setMemoryBudget(0);
        QVERIFY(doc.stackPostProcessingRefusal().contains(QStringLiteral("memory budget")));
    }
};

}  // namespace mitoseg::ui::test

using mitoseg::ui::test::PredictionTest;
MITOSEG_UI_TEST(PredictionTest)
#include "PredictionTest.moc"
