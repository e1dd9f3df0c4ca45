// Opening stacks, painting with simulated mouse events, undo/redo through the Edit menu's stack.
#include <QSignalSpy>
#include <QSlider>
#include <QTemporaryDir>
#include <QUndoStack>

#include "tests/ui/UiTest.h"
#include "ui/EditTools.h"
#include "ui/FileController.h"
#include "ui/ImageSource.h"
#include "ui/MainWindow.h"
#include "ui/SliceView.h"
#include "ui/StudioDocument.h"

namespace mitoseg::ui::test {

class EditingTest : public QObject {
    Q_OBJECT

    std::unique_ptr<QTemporaryDir> scratch_;
    std::unique_ptr<MainWindow> window_;

    StudioDocument* doc() { return window_->document(); }
    SliceView* view() { return window_->sliceView(); }
    QPoint at(double x, double y) { return view()->toWidget(QPointF(x + 0.5, y + 0.5)).toPoint(); }

private Q_SLOTS:
    void init()
    {
        scratch_ = std::make_unique<QTemporaryDir>();
        window_ = std::make_unique<MainWindow>(nullptr, scratch_->path());
        window_->setInteractive(false);
        window_->resize(1000, 700);
        window_->show();
        QVERIFY(QTest::qWaitForWindowExposed(window_.get()));
        doc()->setImage(ImageSource::fromVolume(blobVolume(Shape{5, 60, 80}), QStringLiteral("blobs")));
        view()->fitToWindow();
    }
    void cleanup() { window_.reset(); }

    void opensStackAndShowsSlices()
    {
        QCOMPARE(doc()->shape(), (Shape{5, 60, 80}));
        auto* slider = window_->findChild<QSlider*>();
        QVERIFY(slider);
        QCOMPARE(slider->maximum(), 5);
        QSignalSpy spy(view(), &SliceView::sliceChanged);
        QTest::keyClick(view(), Qt::Key_PageUp);
        QCOMPARE(view()->slice(), 4);   // clamped to the last slice
        QTest::keyClick(view(), Qt::Key_Down);
        QCOMPARE(view()->slice(), 3);
        QCOMPARE(slider->value(), 4);   // 1-based
        QVERIFY(spy.count() >= 2);
        const QImage& img = view()->composed();
        QCOMPARE(img.size(), QSize(80, 60));
        // Background voxel 180 and blob voxel 60 map through the window to different greys.
        QVERIFY(qGray(img.pixel(79, 0)) > qGray(img.pixel(80 / 3 + 3, 30)));
    }

    void openErrorsAreReportedNotThrown()
    {
        auto* files = window_->files();
        QVERIFY(!files->openStack(scratch_->filePath(QStringLiteral("missing.tif"))));
        QVERIFY(files->lastError().contains(QStringLiteral("missing.tif")));
        QVERIFY(doc()->hasImage());   // the open stack stays
        QVERIFY(!files->openModel(scratch_->filePath(QStringLiteral("none.msm"))));
        QVERIFY(!files->lastError().isEmpty());
    }

    void paintingWithTheMouseIsOneUndoStep()
    {
        auto* tools = window_->tools();
        tools->setTool(EditTools::Tool::Brush);
        tools->setRadius(2);
        const VolumeU8 before = doc()->mask().labels().toVolume();
        QTest::mousePress(view(), Qt::LeftButton, {}, at(10, 10));
        QTest::mouseMove(view(), at(20, 10));
        QTest::mouseMove(view(), at(30, 12));
        QTest::mouseRelease(view(), Qt::LeftButton, {}, at(30, 12));
        const auto& m = doc()->mask().labels();
        QCOMPARE(int(m(0, 10, 10)), 1);
        QCOMPARE(int(m(0, 10, 15)), 1);   // interpolated between move events
        QCOMPARE(int(m(0, 12, 30)), 1);
        QCOMPARE(int(m(0, 30, 60)), 0);
        QCOMPARE(int(m(1, 10, 10)), 0);
        QCOMPARE(window_->undoStack()->count(), 1);
        QVERIFY(doc()->isDirty());
        const VolumeU8 painted = m.toVolume();

        window_->undoStack()->undo();
        QVERIFY(doc()->mask().labels().toVolume().values() == before.values());
        window_->undoStack()->redo();
        QVERIFY(doc()->mask().labels().toVolume().values() == painted.values());
        QCOMPARE(doc()->mask().editedSlices(), (std::vector<std::int64_t>{0}));

        // The eraser removes part of it, as a second step; undo restores exactly.
        tools->setTool(EditTools::Tool::Eraser);
        QTest::mousePress(view(), Qt::LeftButton, {}, at(10, 10));
        QTest::mouseRelease(view(), Qt::LeftButton, {}, at(10, 10));
        QCOMPARE(int(doc()->mask().labels()(0, 10, 10)), 0);
        QCOMPARE(window_->undoStack()->count(), 2);
        window_->undoStack()->undo();
        QVERIFY(doc()->mask().labels().toVolume().values() == painted.values());
        window_->undoStack()->undo();
        QVERIFY(doc()->mask().labels().toVolume().values() == before.values());
        QVERIFY(doc()->mask().editedSlices().empty());
    }

    void undoInTheMiddleOfADragDropsTheDrag()
    {
        auto* tools = window_->tools();
        tools->setRadius(1);
        const VolumeU8 empty = doc()->mask().labels().toVolume();
        QTest::mousePress(view(), Qt::LeftButton, {}, at(5, 5));
        QTest::mouseRelease(view(), Qt::LeftButton, {}, at(5, 5));
        const VolumeU8 first = doc()->mask().labels().toVolume();
        QTest::mousePress(view(), Qt::LeftButton, {}, at(40, 40));
        QTest::mouseMove(view(), at(50, 40));
        window_->undoStack()->undo();   // Ctrl+Z while the button is still down
        QTest::mouseMove(view(), at(60, 40));
        QTest::mouseRelease(view(), Qt::LeftButton, {}, at(60, 40));
        QVERIFY(doc()->mask().labels().toVolume().values() == empty.values());
        QCOMPARE(window_->undoStack()->index(), 0);
        QVERIFY(!doc()->mask().canUndo());
        window_->undoStack()->redo();
        QVERIFY(doc()->mask().labels().toVolume().values() == first.values());
    }

    void fillToolAndPanDoNotMixUp()
    {
        auto* tools = window_->tools();
        tools->setTool(EditTools::Tool::Fill);
        // The mask is empty, so the 4-connected region under the click is the whole of slice 0:
        // without a yes (non-interactive here) that fill is refused, with a message.
        QSignalSpy said(tools, &EditTools::message);
        QTest::mouseClick(view(), Qt::LeftButton, {}, at(2, 2));
        QCOMPARE(int(doc()->mask().labels()(0, 59, 79)), 0);
        QCOMPARE(window_->undoStack()->count(), 0);
        QCOMPARE(said.count(), 1);
        std::int64_t asked = 0;
        tools->setConfirmLargeFill([&asked](std::int64_t voxels, double) {
            asked = voxels;
            return true;
        });
        QTest::mouseClick(view(), Qt::LeftButton, {}, at(2, 2));
        QCOMPARE(asked, 60 * 80);
        QCOMPARE(int(doc()->mask().labels()(0, 59, 79)), 1);
        QCOMPARE(int(doc()->mask().labels()(1, 59, 79)), 0);
        QCOMPARE(window_->undoStack()->count(), 1);
        tools->setTool(EditTools::Tool::Pan);
        const QPointF pan = view()->pan();
        QTest::mousePress(view(), Qt::LeftButton, {}, at(40, 30));
        QTest::mouseMove(view(), at(40, 30) + QPoint(25, 5));
        QTest::mouseRelease(view(), Qt::LeftButton, {}, at(40, 30) + QPoint(25, 5));
        QVERIFY(view()->pan() != pan);
        QCOMPARE(window_->undoStack()->count(), 1);   // panning edits nothing
    }

    void smallFillsDoNotAsk()
    {
        auto* tools = window_->tools();
        doc()->setClasses(classesFromNames({"background", "a", "b"}));
        doc()->mask().stamp(1, 40, 30, 5, 1);
        view()->setSlice(1);
        bool asked = false;
        tools->setConfirmLargeFill([&asked](std::int64_t, double) { return asked = true; });
        tools->setTool(EditTools::Tool::Fill);
        tools->setClassValue(2);
        QTest::mouseClick(view(), Qt::LeftButton, {}, at(40, 30));
        QVERIFY(!asked);
        QCOMPARE(int(doc()->mask().labels()(1, 30, 40)), 2);
        QCOMPARE(int(doc()->mask().labels()(1, 30, 44)), 2);
        QCOMPARE(int(doc()->mask().labels()(1, 0, 0)), 0);
    }

    void zoomKeepsThePointUnderTheCursor()
    {
        const QPointF anchor(300, 200);
        const QPointF before = view()->toImage(anchor);
        view()->setZoom(view()->zoom() * 2.0, anchor);
        const QPointF after = view()->toImage(anchor);
        QVERIFY(std::abs(before.x() - after.x()) < 1e-6 && std::abs(before.y() - after.y()) < 1e-6);
        view()->zoomOneToOne();
        QCOMPARE(view()->zoom(), 1.0);
        view()->jumpTo(3, 20, 30);
        QCOMPARE(view()->slice(), 3);
        const QPointF centre = view()->toImage(QPointF(view()->width() / 2.0, view()->height() / 2.0));
        QVERIFY(std::abs(centre.x() - 30.5) < 1e-6 && std::abs(centre.y() - 20.5) < 1e-6);
    }
};

}  // namespace mitoseg::ui::test

using mitoseg::ui::test::EditingTest;
MITOSEG_UI_TEST(EditingTest)
#include "EditingTest.moc"
