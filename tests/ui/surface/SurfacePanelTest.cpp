// GUI tests of the 3D surface panel. They render with VTK through OpenGL, so they need an X
// server: run under `xvfb-run -a -s "-screen 0 1280x1024x24"` (not QT_QPA_PLATFORM=offscreen).
#include <gtest/gtest.h>

#include <QApplication>
#include <QDockWidget>
#include <QMainWindow>
#include <QSlider>
#include <QStatusBar>
#include <QImage>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTest>

#include <malloc.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <new>
#include <set>

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QPushButton>
#include <QTemporaryDir>
#include <QTimer>

#include "core/base/Volume.h"
#include "ui/EditTools.h"
#include "ui/ImageSource.h"
#include "ui/FileController.h"
#include "ui/MainWindow.h"
#include "ui/SliceView.h"
#include "ui/StudioDocument.h"
#include "ui/surface/SurfacePanel.h"
#include "ui/surface/SurfaceView.h"
#include "ui/surface/VoxelSizeDialog.h"

using namespace mitoseg;
using mitoseg::ui::SurfacePanel;
using mitoseg::ui::SurfaceView;

// While set, every block deleted is overwritten and kept (not returned to malloc, so nothing
// reuses it): code that reads an object after it was deleted sees garbage and fails, instead of
// the stale values that usually still sit there. A poor man's AddressSanitizer for the lifetime
// test below; it leaks what is deleted in that short window.
static std::atomic<bool> g_poisonFrees{false};

void operator delete(void* p) noexcept
{
    if (p && g_poisonFrees.load(std::memory_order_relaxed)) {
        std::memset(p, 0xA5, malloc_usable_size(p));
        return;
    }
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept { operator delete(p); }

namespace {

void paintBall(VolumeU8& v, double cz, double cy, double cx, double r)
{
    for (std::int64_t z = 0; z < v.depth(); ++z)
        for (std::int64_t y = 0; y < v.height(); ++y)
            for (std::int64_t x = 0; x < v.width(); ++x)
                if ((z - cz) * (z - cz) + (y - cy) * (y - cy) + (x - cx) * (x - cx) <= r * r)
                    v(z, y, x) = 255;
}

VolumeU8 twoBalls()
{
    VolumeU8 v(Shape{40, 60, 90});
    paintBall(v, 20, 30, 25, 15);
    paintBall(v, 20, 30, 65, 13);
    return v;
}

VolumeU8 oneBall()
{
    VolumeU8 v(Shape{40, 40, 40});
    paintBall(v, 20, 20, 20, 14);
    return v;
}

// Shows a panel, feeds it `mask` and waits for the rebuilt surfaces.
bool showAndBuild(SurfacePanel& panel, const VolumeU8& mask, const Spacing& spacing)
{
    panel.resize(700, 700);
    panel.show();
    if (!QTest::qWaitForWindowExposed(&panel))
        return false;
    QSignalSpy ready(&panel, &SurfacePanel::meshesReady);
    panel.setMask(mask, spacing);
    if (!ready.wait(60000))
        return false;
    QTest::qWait(50);
    return true;
}

struct ImageStats {
    double changedFraction = 0.0;   // pixels differing from the reference image
    int distinctHues = 0;           // hue buckets (of 12) holding >= 0.5% of the pixels, saturated pixels only
    double meanValue = 0.0;
};

ImageStats compare(const QImage& image, const QImage& reference)
{
    ImageStats s;
    std::vector<long> hueBuckets(12, 0);
    long changed = 0, total = 0;
    double valueSum = 0;
    for (int y = 0; y < image.height(); ++y)
        for (int x = 0; x < image.width(); ++x) {
            const QColor c = image.pixelColor(x, y);
            const QColor r = reference.pixelColor(x, y);
            ++total;
            valueSum += c.valueF();
            if (std::abs(c.red() - r.red()) + std::abs(c.green() - r.green()) + std::abs(c.blue() - r.blue()) > 30)
                ++changed;
            if (c.hsvSaturationF() > 0.25f && c.valueF() > 0.2f && c.hsvHue() >= 0)
                ++hueBuckets[static_cast<std::size_t>(c.hsvHue() / 30)];
        }
    s.changedFraction = double(changed) / double(total);
    s.meanValue = valueSum / double(total);
    for (long n : hueBuckets)
        if (n >= total / 200)
            ++s.distinctHues;
    return s;
}

}  // namespace

TEST(SurfacePanel, RendersObjectsInDistinctColours)
{
    SurfacePanel panel;
    ASSERT_TRUE(showAndBuild(panel, twoBalls(), Spacing{1, 1, 1, "px"}));
    ASSERT_TRUE(panel.scene());
    EXPECT_EQ(panel.scene()->objects.size(), 2u);
    EXPECT_EQ(panel.table()->rowCount(), 2);

    QImage withObjects = panel.view()->grabFramebuffer();
    ASSERT_FALSE(withObjects.isNull());
    EXPECT_EQ(withObjects.width(), static_cast<int>(std::lround(panel.view()->width() * panel.view()->devicePixelRatioF())));
    panel.view()->clear();
    QImage background = panel.view()->grabFramebuffer();
    ImageStats s = compare(withObjects, background);
    EXPECT_GT(s.changedFraction, 0.08) << "objects cover too little of the view";
    EXPECT_LT(s.changedFraction, 0.95);
    EXPECT_GE(s.distinctHues, 2) << "the two objects should have different colours";
    EXPECT_GT(s.meanValue, 0.05) << "the view rendered black";
    withObjects.save(QString::fromStdString((std::filesystem::temp_directory_path() / "mitoseg-surface-test.png").string()));
}

TEST(SurfacePanel, ClickOnTheCentrePicksTheObjectAndRequestsAJump)
{
    SurfacePanel panel;
    ASSERT_TRUE(showAndBuild(panel, oneBall(), Spacing{2, 1, 1, "nm"}));
    SurfaceView* view = panel.view();
    const QPoint centre(view->width() / 2, view->height() / 2);
    EXPECT_EQ(view->objectAt(centre), 1u);
    EXPECT_EQ(view->objectAt(QPoint(2, 2)), 0u) << "a corner of the view is background";

    QSignalSpy selected(&panel, &SurfacePanel::objectSelected);
    QSignalSpy jump(&panel, &SurfacePanel::requestJumpTo);
    QTest::mouseClick(view, Qt::LeftButton, Qt::NoModifier, centre);
    ASSERT_EQ(selected.count(), 1);
    EXPECT_EQ(selected.at(0).at(0).value<std::uint32_t>(), 1u);
    ASSERT_EQ(jump.count(), 1);
    EXPECT_EQ(jump.at(0).at(0).toInt(), 20);
    EXPECT_EQ(jump.at(0).at(1).toInt(), 20);
    EXPECT_EQ(jump.at(0).at(2).toInt(), 20);
    EXPECT_EQ(view->selectedObject(), 1u);
    ASSERT_FALSE(panel.table()->selectionModel()->selectedRows().isEmpty());
}

TEST(SurfacePanel, TableRowSelectsObjectInTheView)
{
    SurfacePanel panel;
    ASSERT_TRUE(showAndBuild(panel, twoBalls(), Spacing{1, 1, 1, "px"}));
    QImage before = panel.view()->grabFramebuffer();
    QSignalSpy jump(&panel, &SurfacePanel::requestJumpTo);
    int row = -1;
    for (int r = 0; r < panel.table()->rowCount(); ++r)
        if (panel.table()->item(r, 0)->data(Qt::UserRole).toUInt() == 2)
            row = r;
    ASSERT_GE(row, 0);
    panel.table()->selectRow(row);
    EXPECT_EQ(panel.view()->selectedObject(), 2u);
    ASSERT_EQ(jump.count(), 1);
    EXPECT_EQ(jump.at(0).at(2).toInt(), 65);
    QImage after = panel.view()->grabFramebuffer();
    EXPECT_GT(compare(after, before).changedFraction, 0.02) << "highlighting must change the picture";
}

TEST(SurfacePanel, DragRotatesWheelZoomsDoubleClickResets)
{
    SurfacePanel panel;
    ASSERT_TRUE(showAndBuild(panel, twoBalls(), Spacing{}));
    SurfaceView* view = panel.view();
    const QImage start = view->grabFramebuffer();
    const QPointF c(view->width() / 2.0, view->height() / 2.0);
    auto send = [&](QEvent::Type type, QPointF pos, Qt::MouseButtons buttons) {
        QMouseEvent e(type, pos, view->mapToGlobal(pos), Qt::LeftButton, buttons, Qt::NoModifier);
        QApplication::sendEvent(view, &e);
    };
    send(QEvent::MouseButtonPress, c, Qt::LeftButton);
    for (int i = 1; i <= 10; ++i)
        send(QEvent::MouseMove, c + QPointF(8.0 * i, 3.0 * i), Qt::LeftButton);
    send(QEvent::MouseButtonRelease, c + QPointF(80, 30), Qt::NoButton);
    const QImage rotated = view->grabFramebuffer();
    EXPECT_GT(compare(rotated, start).changedFraction, 0.03) << "dragging should rotate the scene";

    QWheelEvent wheel(c, view->mapToGlobal(c), QPoint(), QPoint(0, 120), Qt::NoButton, Qt::NoModifier, Qt::NoScrollPhase,
                      false);
    for (int i = 0; i < 3; ++i)
        QApplication::sendEvent(view, &wheel);
    const QImage zoomed = view->grabFramebuffer();
    EXPECT_GT(compare(zoomed, rotated).changedFraction, 0.03) << "the wheel should zoom";

    QMouseEvent dbl(QEvent::MouseButtonDblClick, c, view->mapToGlobal(c), Qt::LeftButton, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(view, &dbl);
    const QImage reset = view->grabFramebuffer();
    EXPECT_LT(compare(reset, start).changedFraction, 0.01) << "a double click restores the initial view";
}

TEST(SurfacePanel, NewerMaskWinsOverAnOlderOne)
{
    SurfacePanel panel;
    panel.resize(400, 400);
    panel.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&panel));
    QSignalSpy ready(&panel, &SurfacePanel::meshesReady);
    panel.setMask(twoBalls(), Spacing{});
    panel.setMask(oneBall(), Spacing{});
    ASSERT_TRUE(QTest::qWaitFor([&] { return !panel.busy(); }, 60000));
    QTest::qWait(100);
    ASSERT_EQ(ready.count(), 1);
    EXPECT_EQ(ready.at(0).at(0).toInt(), 1);
    ASSERT_TRUE(panel.scene());
    EXPECT_EQ(panel.scene()->objects.size(), 1u);
}

TEST(SurfacePanel, EmptyMaskAndBadSpacingAreHandled)
{
    SurfacePanel panel;
    ASSERT_TRUE(showAndBuild(panel, VolumeU8(Shape{10, 20, 30}), Spacing{}));
    ASSERT_TRUE(panel.scene());
    EXPECT_TRUE(panel.scene()->objects.empty());
    EXPECT_EQ(panel.table()->rowCount(), 0);
    EXPECT_EQ(panel.view()->objectAt(QPoint(panel.view()->width() / 2, panel.view()->height() / 2)), 0u);
    EXPECT_FALSE(panel.view()->grabFramebuffer().isNull());

    QSignalSpy failed(&panel, &SurfacePanel::meshingFailed);
    panel.setMask(oneBall(), Spacing{0, 1, 1, "nm"});
    ASSERT_TRUE(failed.wait(30000));
    EXPECT_TRUE(failed.at(0).at(0).toString().contains("spacing")) << failed.at(0).at(0).toString().toStdString();
    EXPECT_TRUE(panel.scene()->objects.empty()) << "the previous result stays shown";
}

TEST(SurfacePanel, SlicePlaneShowsUp)
{
    SurfacePanel panel;
    ASSERT_TRUE(showAndBuild(panel, oneBall(), Spacing{}));
    QImage before = panel.view()->grabFramebuffer();
    panel.setSlice(20);
    QImage after = panel.view()->grabFramebuffer();
    EXPECT_GT(compare(after, before).changedFraction, 0.05);
}

TEST(SurfacePanel, ExportsWriteFiles)
{
    SurfacePanel panel;
    ASSERT_TRUE(showAndBuild(panel, twoBalls(), Spacing{5, 5, 5, "nm"}));
    const auto dir = std::filesystem::temp_directory_path() / "mitoseg-surface-panel-test";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    QString error;
    EXPECT_TRUE(panel.exportSceneTo(dir / "scene.ply", &error)) << error.toStdString();
    EXPECT_TRUE(panel.exportObjectsTo(dir / "objects", MeshFormat::Stl, &error)) << error.toStdString();
    EXPECT_TRUE(panel.exportCsvTo(dir / "objects.csv", &error)) << error.toStdString();
    EXPECT_GT(std::filesystem::file_size(dir / "scene.ply"), 1000u);
    EXPECT_TRUE(std::filesystem::exists(dir / "objects" / "object_0002.stl"));
    EXPECT_FALSE(panel.exportCsvTo(dir / "missing" / "x.csv", &error));
    EXPECT_FALSE(error.isEmpty());
    std::filesystem::remove_all(dir);
}

TEST(SurfacePanel, KeepsRenderingWhenItsDockFloats)
{
    // Floating a dock re-parents the OpenGL widget into a new window: Qt destroys its context and
    // calls initializeGL again; VTK's resources must be released and re-created with it.
    QMainWindow window;
    auto* panel = new SurfacePanel;
    auto* dock = new QDockWidget(QStringLiteral("3D"), &window);
    dock->setWidget(panel);
    window.addDockWidget(Qt::RightDockWidgetArea, dock);
    window.setCentralWidget(new QWidget);
    window.resize(900, 600);
    window.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
    QSignalSpy ready(panel, &SurfacePanel::meshesReady);
    panel->setMask(oneBall(), Spacing{});
    ASSERT_TRUE(ready.wait(60000));
    QImage docked = panel->view()->grabFramebuffer();
    panel->view()->clear();
    QImage empty = panel->view()->grabFramebuffer();
    EXPECT_GT(compare(docked, empty).changedFraction, 0.03);

    panel->setMask(oneBall(), Spacing{});
    ASSERT_TRUE(ready.wait(60000));
    dock->setFloating(true);
    dock->resize(500, 500);
    ASSERT_TRUE(QTest::qWaitForWindowExposed(dock));
    // Under load (ctest -j2) the re-parented GL view can take a while to draw its first frame.
    QImage floating;
    (void)QTest::qWaitFor([&] {  // the checks below say what was wrong
        floating = panel->view()->grabFramebuffer();
        if (floating.isNull())
            return false;
        const QRgb corner = floating.pixel(0, 0);
        for (int y = 0; y < floating.height(); y += 7)
            for (int x = 0; x < floating.width(); x += 7)
                if (floating.pixel(x, y) != corner)
                    return true;
        return false;
    }, 5000);
    ASSERT_FALSE(floating.isNull());
    panel->view()->clear();
    QImage floatingEmpty = panel->view()->grabFramebuffer();
    EXPECT_GT(compare(floating, floatingEmpty).changedFraction, 0.03) << "the floating view rendered nothing";
    EXPECT_GT(compare(floating, floatingEmpty).meanValue, 0.05);
}

// Deleting a view that has drawn: Qt destroys its OpenGL context in QOpenGLWidget's destructor,
// after SurfaceView's own destructor ran and freed its VTK state. Nothing may reach that state
// from the context's aboutToBeDestroyed signal then (it did: a heap-use-after-free under ASan).
TEST(SurfaceViewLifetime, DeletingAShownViewTouchesNothingItFreed)
{
    for (bool inDock : {false, true}) {
        QMainWindow window;
        auto* view = new SurfaceView;
        if (inDock) {
            auto* dock = new QDockWidget(QStringLiteral("3D"), &window);
            dock->setWidget(view);
            window.addDockWidget(Qt::RightDockWidgetArea, dock);
            window.setCentralWidget(new QWidget);
            window.resize(600, 400);
            window.show();
            ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
        } else {
            view->resize(300, 300);
            view->show();
            ASSERT_TRUE(QTest::qWaitForWindowExposed(view));
        }
        ASSERT_FALSE(view->grabFramebuffer().isNull());   // initializeGL and a first frame
        g_poisonFrees = true;
        delete view;
        g_poisonFrees = false;
    }
}

// The studio's 3D dock: built only when asked for, it meshes the mask the user paints (after
// the stroke settles) and picking an object jumps the slice view to it.
TEST(StudioSurfaceDock, PaintedObjectAppearsIn3DAndPickingJumpsTheSliceView)
{
    QTemporaryDir scratch;
    ui::MainWindow window(nullptr, scratch.path());
    window.setInteractive(false);
    window.resize(1200, 800);
    window.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
    ASSERT_EQ(window.findChild<SurfacePanel*>(), nullptr) << "the GL dock must not exist before it is asked for";
    window.document()->setImage(ui::ImageSource::fromVolume(VolumeU8(Shape{6, 60, 80}, 128), QStringLiteral("flat")));
    window.sliceView()->fitToWindow();
    window.sliceView()->setSlice(3);

    SurfacePanel* panel = window.showSurfaces();
    ASSERT_NE(panel, nullptr);
    EXPECT_EQ(window.showSurfaces(), panel) << "asking again reuses the dock";
    {
        QSignalSpy empty(panel, &SurfacePanel::meshesReady);
        ASSERT_TRUE(empty.wait(30000) || !empty.isEmpty());
        EXPECT_EQ(empty.back().at(0).toInt(), 0) << "an empty mask has no objects";
    }

    // Paint a blob on slice 3 with the mouse: one stroke.
    window.tools()->setTool(ui::EditTools::Tool::Brush);
    window.tools()->setRadius(6);
    ui::SliceView* view = window.sliceView();
    auto at = [view](double x, double y) { return view->toWidget(QPointF(x + 0.5, y + 0.5)).toPoint(); };
    QSignalSpy ready(panel, &SurfacePanel::meshesReady);
    QTest::mousePress(view, Qt::LeftButton, {}, at(40, 30));
    QTest::mouseMove(view, at(46, 30));
    QTest::mouseRelease(view, Qt::LeftButton, {}, at(46, 30));
    ASSERT_TRUE(ready.wait(30000)) << "the dock did not rebuild after the stroke";
    EXPECT_EQ(ready.back().at(0).toInt(), 1);
    EXPECT_GT(ready.back().at(1).toLongLong(), 0);

    // Selecting the object asks the slice view to jump to its centroid.
    view->setSlice(0);
    panel->selectObject(1);
    QTest::qWait(50);
    EXPECT_EQ(view->slice(), 3);
    // The table counts slices from 1, as the slice view does (the blob is on slice 4 of 6).
    EXPECT_DOUBLE_EQ(panel->table()->item(0, 5)->data(Qt::DisplayRole).toDouble(), 4.0);
}

// At the default 1400 x 900 the 3D dock opens without pushing the slice slider or the status
// bar out of the window, and its view gets a usable size.
TEST(StudioSurfaceDock, OpeningItKeepsEverythingInViewAt1400x900)
{
    QTemporaryDir scratch;
    ui::MainWindow window(nullptr, scratch.path());
    window.setInteractive(false);
    window.resize(1400, 900);
    window.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
    ASSERT_TRUE(window.files()->openDemo(6, 384, 512));
    SurfacePanel* panel = window.showSurfaces();
    QTest::qWait(200);
    EXPECT_LE(window.height(), 900) << "docks forced the window taller than the screen";
    EXPECT_LE(window.minimumSizeHint().height(), 900);
    QSlider* slider = nullptr;   // the slice slider: 1..6 (the Layers panel's run 0..100 or -100..100)
    for (auto* s : window.findChildren<QSlider*>())
        if (s->minimum() == 1 && s->maximum() == 6)
            slider = s;
    ASSERT_NE(slider, nullptr);
    const QRect inWindow(slider->mapTo(&window, QPoint(0, 0)), slider->size());
    EXPECT_TRUE(window.rect().contains(inWindow)) << "the slice slider is out of view: at " << inWindow.x() << "," << inWindow.y() << " in "
                                                   << window.width() << "x" << window.height();
    EXPECT_TRUE(slider->isVisible());
    EXPECT_TRUE(window.statusBar()->isVisible());
    EXPECT_LE(window.statusBar()->mapTo(&window, QPoint(0, window.statusBar()->height())).y(), window.height());
    EXPECT_GE(panel->view()->height(), 250);
    EXPECT_GE(panel->view()->width(), 400);
}

// Objects whose bounding box touches a face of the volume are marked "cut"; a lone voxel is
// listed with the area of its faces, not 0.
TEST(SurfacePanel, TableMarksObjectsCutByTheBorderAndGivesTinyObjectsAnArea)
{
    VolumeU8 mask(Shape{30, 40, 50});
    paintBall(mask, 15, 20, 20, 8);          // inside
    paintBall(mask, 15, 20, 49, 5);          // cut by the x = 49 face
    mask(25, 35, 5) = 255;                   // one voxel, inside
    SurfacePanel panel;
    ASSERT_TRUE(showAndBuild(panel, mask, Spacing{5, 5, 5, "nm"}));
    ASSERT_EQ(panel.table()->rowCount(), 3);
    const int border = panel.table()->columnCount() - 1;
    EXPECT_EQ(panel.table()->horizontalHeaderItem(border)->text(), QStringLiteral("Border"));
    for (int row = 0; row < 3; ++row) {
        const auto id = panel.table()->item(row, 0)->data(Qt::UserRole).toUInt();
        const ObjectMeasure& m = panel.scene()->objects[id - 1];
        EXPECT_EQ(panel.table()->item(row, border)->text() == QStringLiteral("cut"), m.touchesBorder) << "object " << id;
        EXPECT_EQ(m.touchesBorder, m.bboxMax[2] == 49) << "object " << id;
        const double area = panel.table()->item(row, 3)->data(Qt::DisplayRole).toDouble();
        EXPECT_GT(area, 0.0) << "object " << id << " is listed with no area";
        if (m.voxels == 1) {   // six 5 x 5 nm faces, shown in um^2
            EXPECT_NEAR(area, 6 * 25 * 1e-6, 1e-12);
        }
    }
}

// The studio's voxel size: an uncalibrated stack is measured in pixels; the dock's "Voxel
// size..." button sets nm sizes on the document and the table re-measures in um.
TEST(StudioSurfaceDock, SettingTheVoxelSizeReMeasuresInPhysicalUnits)
{
    QTemporaryDir scratch;
    ui::MainWindow window(nullptr, scratch.path());
    window.setInteractive(false);
    window.resize(1400, 900);
    window.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
    window.document()->setImage(ui::ImageSource::fromVolume(VolumeU8(Shape{20, 30, 40}, 128), QStringLiteral("flat")));
    VolumeU8 mask(Shape{20, 30, 40});
    for (int z = 5; z < 15; ++z)
        for (int y = 10; y < 20; ++y)
            for (int x = 10; x < 20; ++x)
                mask(z, y, x) = 1;
    window.document()->setMask(mask, QString());
    SurfacePanel* panel = window.showSurfaces();
    ASSERT_TRUE(QTest::qWaitFor([&] { return panel->scene() && !panel->busy(); }, 30000));
    ASSERT_EQ(panel->table()->rowCount(), 1);
    EXPECT_TRUE(panel->table()->horizontalHeaderItem(2)->text().contains(QStringLiteral("px")));
    EXPECT_DOUBLE_EQ(panel->table()->item(0, 2)->data(Qt::DisplayRole).toDouble(), 1000.0);

    auto* timer = new QTimer(&window);
    timer->setInterval(10);
    QObject::connect(timer, &QTimer::timeout, [timer] {
        if (auto* d = qobject_cast<ui::VoxelSizeDialog*>(QApplication::activeModalWidget())) {
            timer->stop();
            d->zBox()->setValue(10.0);
            d->yBox()->setValue(5.0);
            d->xBox()->setValue(5.0);
            d->unitBox()->setCurrentText(QStringLiteral("nm"));
            d->accept();
        }
    });
    timer->start();
    QSignalSpy ready(panel, &SurfacePanel::meshesReady);
    panel->voxelSizeButton()->click();
    EXPECT_EQ(window.document()->spacing(), (Spacing{10, 5, 5, "nm"}));
    ASSERT_TRUE(ready.wait(30000)) << "the table did not re-measure";
    ASSERT_TRUE(panel->scene());
    EXPECT_DOUBLE_EQ(panel->scene()->objects[0].volume, 1000 * 250.0);
    EXPECT_TRUE(panel->table()->horizontalHeaderItem(2)->text().contains(QStringLiteral("\u00b5m"))) << panel->table()->horizontalHeaderItem(2)->text().toStdString();
    EXPECT_NEAR(panel->table()->item(0, 2)->data(Qt::DisplayRole).toDouble(), 1000 * 250.0 * 1e-9, 1e-9);
    EXPECT_TRUE(panel->voxelSizeButton()->toolTip().contains(QStringLiteral("10 x 5 x 5 nm")))
        << panel->voxelSizeButton()->toolTip().toStdString();
}

int main(int argc, char** argv)
{
    mitoseg::ui::setDefaultSurfaceFormat();  // before QApplication
    QApplication app(argc, argv);
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
