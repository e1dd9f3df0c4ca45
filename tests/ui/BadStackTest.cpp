// Stacks the studio cannot fully read or hold: a page that fails to decode (shown as unreadable,
// everything else keeps working) and a stack whose mask does not fit in memory (refused with
// the bytes it needs; the open document and its unsaved edits stay).
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QUndoStack>

#include <limits>

#include "core/base/Memory.h"
#include "tests/ui/CorruptTiff.h"
#include "tests/ui/UiTest.h"
#include "ui/EditTools.h"
#include "ui/FileController.h"
#include "ui/ImageSource.h"
#include "ui/LayerSettings.h"
#include "ui/MainWindow.h"
#include "ui/OrthoView.h"
#include "ui/PredictionProvider.h"
#include "ui/SegmentationController.h"
#include "ui/SliceComposer.h"
#include "ui/SliceView.h"
#include "ui/StudioDocument.h"

namespace mitoseg::ui::test {

namespace {

/// Foreground where the raw value is below 100.
class DarkProvider final : public PredictionProvider {
public:
    QString name() const override { return QStringLiteral("dark"); }
    SlicePrediction predict(const float* raw, std::int64_t h, std::int64_t w, const CancelToken&) override
    {
        SlicePrediction p;
        p.height = h;
        p.width = w;
        p.classes = 2;
        p.labels.resize(static_cast<std::size_t>(h * w));
        for (std::int64_t i = 0; i < h * w; ++i)
            p.labels[static_cast<std::size_t>(i)] = raw[i] < 100.f ? 1 : 0;
        return p;
    }
};

/// A stack that claims to be `shape` (far too big to hold); reading it is never reached.
class HugeSource final : public ImageSource {
public:
    explicit HugeSource(Shape shape) : shape_(shape) {}
    Shape shape() const override { return shape_; }
    Spacing spacing() const override { return {}; }
    QString path() const override { return QStringLiteral("/data/huge.tif"); }
    QString name() const override { return QStringLiteral("huge.tif"); }
    void readSliceF32(std::int64_t, float* dst) const override { std::fill(dst, dst + shape_.sliceVoxels(), 0.f); }

private:
    Shape shape_;
};

/// Sets MITOSEG_MEMORY_LIMIT for the scope.
struct MemoryLimit {
    explicit MemoryLimit(const QByteArray& value) { qputenv("MITOSEG_MEMORY_LIMIT", value); }
    ~MemoryLimit() { qunsetenv("MITOSEG_MEMORY_LIMIT"); }
};

}  // namespace

class BadStackTest : public QObject {
    Q_OBJECT

    std::unique_ptr<QTemporaryDir> scratch_;
    std::unique_ptr<MainWindow> window_;
    QString damaged_;

    StudioDocument* doc() { return window_->document(); }
    SliceView* view() { return window_->sliceView(); }
    QPoint at(double x, double y) { return view()->toWidget(QPointF(x + 0.5, y + 0.5)).toPoint(); }

    /// Paints one brush stroke on slice z through the mouse (one undo step).
    void stroke(std::int64_t z, int x0, int x1, int y)
    {
        view()->setSlice(z);
        window_->tools()->setTool(EditTools::Tool::Brush);
        window_->tools()->setRadius(2);
        QTest::mousePress(view(), Qt::LeftButton, {}, at(x0, y));
        QTest::mouseMove(view(), at(x1, y));
        QTest::mouseRelease(view(), Qt::LeftButton, {}, at(x1, y));
    }

private Q_SLOTS:
    void init()
    {
        scratch_ = std::make_unique<QTemporaryDir>();
        damaged_ = scratch_->filePath(QStringLiteral("damaged.tif"));
        mitoseg::test::writeStackWithCorruptPage(damaged_.toStdString(), Shape{5, 30, 40}, 2);
        window_ = std::make_unique<MainWindow>(nullptr, scratch_->filePath(QStringLiteral("autosave")));
        window_->setInteractive(false);
        window_->resize(1000, 700);
        window_->setOrthoViewsVisible(true);
        window_->show();
        QVERIFY(QTest::qWaitForWindowExposed(window_.get()));
    }
    void cleanup()
    {
        window_.reset();
        scratch_.reset();
    }

    void anUnreadableSliceIsShownAsSuchAndTheRestKeepsWorking()
    {
        QVERIFY(window_->files()->openStack(damaged_));
        view()->fitToWindow();

        // The bad slice: painted (no exception out of paintEvent), with a notice naming it.
        view()->setSlice(2);
        QVERIFY(!view()->grab().isNull());
        QVERIFY(view()->notice().contains(QStringLiteral("Slice 3")));
        QVERIFY(view()->notice().contains(QStringLiteral("damaged.tif")));
        QVERIFY(view()->notice().contains(QStringLiteral("page 2")));
        QTest::mouseMove(view(), at(5, 5));   // the cursor read-out reads the slice too
        QString error;
        QVERIFY(!doc()->image()->trySlice(2, &error));
        QVERIFY(error.contains(QStringLiteral("damaged.tif")));
        // Its composed image is the unreadable pattern, not garbage grey values.
        const QImage bad = view()->composed();
        for (const QPoint p : {QPoint(0, 0), QPoint(5, 2), QPoint(39, 29)})
            QCOMPARE(bad.pixel(p), SliceComposer::unreadablePixel(p.x(), p.y()));

        // The other slices show their grey values, and no notice.
        view()->setSlice(3);
        QVERIFY(!view()->grab().isNull());
        QVERIFY(view()->notice().isEmpty());
        const float lo = window_->layers()->levelLow(), hi = window_->layers()->levelHigh();
        for (int x : {0, 17, 39}) {
            const float v = mitoseg::test::corruptStackValue(3, 11, x);
            const int want = static_cast<int>(std::clamp((v - lo) * (255.f / (hi - lo)), 0.f, 255.f));
            QCOMPARE(qGray(view()->composed().pixel(x, 11)), want);
        }

        // The orthogonal views draw every readable slice and mark the bad one.
        const auto orthos = window_->findChildren<OrthoView*>();
        QCOMPARE(orthos.size(), 2);
        for (OrthoView* o : orthos) {
            QVERIFY(!o->grab().isNull());
            const QImage& plane = o->planeImage();
            QCOMPARE(plane.height(), 5);
            for (int i : {0, 3, 9})
                QCOMPARE(plane.pixel(i, 2), SliceComposer::unreadablePixel(i, 2 * 4));
            QVERIFY(qGray(plane.pixel(0, 1)) == qRed(plane.pixel(0, 1)));   // a readable slice: grey
        }

        // Painting elsewhere, with undo.
        const VolumeU8 before = doc()->mask().labels().toVolume();
        stroke(3, 5, 15, 10);
        QVERIFY(doc()->mask().labels()(3, 10, 10) != 0);
        QVERIFY(window_->undoStack()->canUndo());
        window_->undoStack()->undo();
        QVERIFY(doc()->mask().labels().toVolume().values() == before.values());

        // Segmenting: the bad slice alone is refused with the reason; a whole-stack job
        // segments the rest and names the slice it could not read.
        auto* seg = window_->segmentation();
        seg->setProvider(std::make_shared<DarkProvider>());
        QString why;
        QVERIFY(!seg->segmentSlice(2, &why));
        QVERIFY2(why.contains(QStringLiteral("damaged.tif")), qPrintable(why));
        QSignalSpy finished(seg, &SegmentationController::finished);
        QVERIFY(seg->segmentStack(0, &why));
        QVERIFY(finished.wait(20000));
        const QString message = finished.front().at(1).toString();
        QCOMPARE(finished.front().at(0).toBool(), false);
        QVERIFY2(message.contains(QStringLiteral("slice 3")), qPrintable(message));
        QVERIFY2(message.contains(QStringLiteral("damaged.tif")), qPrintable(message));
        for (std::int64_t z : {0, 1, 3, 4})
            QVERIFY(doc()->hasPrediction(z));
        QVERIFY(!doc()->hasPrediction(2));
        QVERIFY(seg->segmentSlice(4, &why));   // not stuck: the next job runs
        QVERIFY(finished.wait(20000));
    }

    void anUnreadableFirstSliceStillOpens()
    {
        const QString first = scratch_->filePath(QStringLiteral("first.tif"));
        mitoseg::test::writeStackWithCorruptPage(first.toStdString(), Shape{3, 20, 24}, 0);
        QVERIFY(window_->files()->openStack(first));
        QVERIFY(!view()->grab().isNull());
        QVERIFY(view()->notice().contains(QStringLiteral("first.tif")));
        window_->files()->autoLevels();   // nothing to measure on this slice: levels stay
        view()->setSlice(1);
        QVERIFY(view()->notice().isEmpty());
    }

    void aStackTooLargeForMemoryIsRefusedAndTheOpenWorkStays()
    {
        // Work in progress: a readable stack with an unsaved stroke.
        const QString good = scratch_->filePath(QStringLiteral("good.tif"));
        mitoseg::test::writeStackWithCorruptPage(good.toStdString(), Shape{4, 30, 40}, 3);
        QVERIFY(window_->files()->openStack(good));
        view()->fitToWindow();
        stroke(1, 5, 15, 10);
        const VolumeU8 painted = doc()->mask().labels().toVolume();
        QVERIFY(doc()->isDirty());
        const auto image = doc()->image();

        // A file whose working set (a few slices of mask, reference, predictions and image:
        // StudioDocument::memoryNeeded) is over the memory limit.
        const std::uint64_t needed = StudioDocument::memoryNeeded(Shape{5, 30, 40});
        QVERIFY(needed > 5000);
        {
            MemoryLimit limit("5000");
            QCOMPARE(availableMemoryBytes(), std::uint64_t{5000});
            QVERIFY(!window_->files()->openStack(damaged_));
        }
        const QString error = window_->files()->lastError();
        QVERIFY2(error.contains(QStringLiteral("damaged.tif")), qPrintable(error));
        QVERIFY2(error.contains(QString::fromStdString(formatBytes(needed))), qPrintable(error));
        QVERIFY2(error.contains(QString::fromStdString(formatBytes(5000))), qPrintable(error));
        QCOMPARE(doc()->image(), image);
        QVERIFY(doc()->mask().labels().toVolume().values() == painted.values());
        QVERIFY(doc()->isDirty());
        QVERIFY(!view()->grab().isNull());

        // A stack that cannot be allocated at all: nothing changes either.
        const Shape huge{1 << 20, 1 << 20, 1 << 20};
        QString what;
        try {
            doc()->setImage(std::make_shared<HugeSource>(huge));
        } catch (const std::exception& e) {
            what = QString::fromUtf8(e.what());
        }
        QVERIFY2(what.contains(QStringLiteral("huge.tif")), qPrintable(what));
        QVERIFY2(what.contains(QString::fromStdString(formatBytes(StudioDocument::memoryNeeded(huge)))), qPrintable(what));
        QCOMPARE(doc()->image(), image);
        QCOMPARE(doc()->shape(), (Shape{4, 30, 40}));
        QCOMPARE(doc()->mask().shape(), (Shape{4, 30, 40}));
        QVERIFY(doc()->mask().labels().toVolume().values() == painted.values());
        QVERIFY(doc()->isDirty());
        QVERIFY(!view()->grab().isNull());   // repaints the old document

        // The same when there is memory enough but the stack's working set is over the memory
        // budget: refused naming the budget and how to raise it.
        what.clear();
        {
            MemoryLimit limit("1e30");
            try {
                doc()->setImage(std::make_shared<HugeSource>(huge));
            } catch (const std::exception& e) {
                what = QString::fromUtf8(e.what());
            }
        }
        QVERIFY2(what.contains(QStringLiteral("huge.tif")) && what.contains(QStringLiteral("memory budget is"))
                     && what.contains(QString::fromStdString(formatBytes(memoryBudget())))
                     && what.contains(QStringLiteral("--memory-budget")),
                 qPrintable(what));
        QCOMPARE(doc()->image(), image);
        QCOMPARE(doc()->mask().shape(), (Shape{4, 30, 40}));
        QVERIFY(doc()->mask().labels().toVolume().values() == painted.values());
        QVERIFY(doc()->isDirty());
        QVERIFY(!view()->grab().isNull());

        // The edit is still one undo step away, and the stack still edits.
        QVERIFY(window_->undoStack()->canUndo());
        window_->undoStack()->undo();
        QCOMPARE(doc()->mask().labels()(1, 10, 10), std::uint8_t{0});
        window_->undoStack()->redo();
        QVERIFY(doc()->mask().labels().toVolume().values() == painted.values());
    }

    void bytesAreFormattedForPeople()
    {
        QCOMPARE(QString::fromStdString(formatBytes(512)), QStringLiteral("512 bytes"));
        QCOMPARE(QString::fromStdString(formatBytes(6000)), QStringLiteral("5.9 KiB"));
        QCOMPARE(QString::fromStdString(formatBytes(std::uint64_t{3} << 30)), QStringLiteral("3.0 GiB"));
        {
            MemoryLimit limit("2G");
            QCOMPARE(availableMemoryBytes(), std::uint64_t{2} << 30);
        }
        QVERIFY(availableMemoryBytes() > 0);   // this machine's free memory
    }
};

}  // namespace mitoseg::ui::test

using mitoseg::ui::test::BadStackTest;
MITOSEG_UI_TEST(BadStackTest)
#include "BadStackTest.moc"
