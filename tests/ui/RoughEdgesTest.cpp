// Rough edges a new user met: key hints on tool buttons, what the IoU panel's stack figures
// cover, brightness/contrast following other level changes, the heat map's own colours and
// legend, a time estimate on long jobs, and a voxel size the user can set.
#include <QApplication>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QProgressBar>
#include <QTimer>
#include <QSignalSpy>
#include <QSlider>
#include <QTemporaryDir>
#include <QThread>
#include <QToolButton>

#include "tests/ui/UiTest.h"
#include "ui/EditTools.h"
#include "ui/FileController.h"
#include "ui/ImageSource.h"
#include "ui/IoUPanel.h"
#include "ui/JobEta.h"
#include "ui/LayerSettings.h"
#include "ui/LayersPanel.h"
#include "ui/MainWindow.h"
#include "ui/PredictionProvider.h"
#include "ui/SegmentationController.h"
#include "ui/SliceComposer.h"
#include "ui/StudioDocument.h"
#include "ui/Session.h"
#include "ui/ToolsPanel.h"
#include "ui/surface/VoxelSizeDialog.h"

namespace mitoseg::ui::test {

namespace {
/// Everything background, slowly: 40 ms a slice.
class SlowProvider final : public PredictionProvider {
public:
    QString name() const override { return QStringLiteral("slow"); }
    SlicePrediction predict(const float*, std::int64_t h, std::int64_t w, const CancelToken&) override
    {
        QThread::msleep(40);
        SlicePrediction p;
        p.height = h;
        p.width = w;
        p.classes = 2;
        p.labels.assign(static_cast<std::size_t>(h * w), 0);
        p.probabilities.assign(static_cast<std::size_t>(2 * h * w), 0.5f);
        return p;
    }
};
}  // namespace

class RoughEdgesTest : public QObject {
    Q_OBJECT

    std::unique_ptr<QTemporaryDir> scratch_;
    std::unique_ptr<MainWindow> window_;

private Q_SLOTS:
    void init()
    {
        scratch_ = std::make_unique<QTemporaryDir>();
        window_ = std::make_unique<MainWindow>(nullptr, scratch_->filePath(QStringLiteral("auto")));
        window_->setInteractive(false);
    }
    void cleanup() { window_.reset(); }

    void toolButtonsKeepTheirKeyHints()
    {
        auto* panel = window_->findChild<ToolsPanel*>();
        QVERIFY(panel);
        auto buttonFor = [panel](const QString& start) -> QToolButton* {
            for (auto* b : panel->findChildren<QToolButton*>())
                if (b->defaultAction() && b->defaultAction()->text() == start)
                    return b;
            return nullptr;
        };
        QToolButton* brush = buttonFor(tr("Brush"));
        QVERIFY(brush);
        QCOMPARE(brush->text(), QStringLiteral("Brush  (B)"));
        // Changing tool changes the actions' checked state: the buttons re-read their action.
        window_->tools()->setTool(EditTools::Tool::Eraser);
        window_->tools()->setTool(EditTools::Tool::Fill);
        QCOMPARE(brush->text(), QStringLiteral("Brush  (B)"));
        QCOMPARE(buttonFor(tr("Eraser"))->text(), QStringLiteral("Eraser  (E)"));
        QVERIFY(buttonFor(tr("Segment slice"))->text().contains(QStringLiteral("Ctrl+R")));
    }

    void iouPanelSaysWhatTheStackFiguresCover()
    {
        QVERIFY(window_->files()->openDemo(4, 48, 64));
        auto* doc = window_->document();
        SlicePrediction p;
        p.height = 48;
        p.width = 64;
        p.classes = 2;
        p.labels.assign(48 * 64, 0);
        p.probabilities.assign(2 * 48 * 64, 0.5f);
        doc->setPrediction(0, p);
        window_->iouPanel()->refresh();
        QVERIFY2(window_->iouPanel()->note().contains(QStringLiteral("1 predicted slice")),
                 qPrintable(window_->iouPanel()->note()));
        for (std::int64_t z = 1; z < 4; ++z)
            doc->setPrediction(z, p);
        window_->iouPanel()->refresh();
        QVERIFY(!window_->iouPanel()->note().contains(QStringLiteral("predicted slice")));
    }

    void brightnessAndContrastFollowAutoLevels()
    {
        doc()->setImage(ImageSource::fromVolume(blobVolume(Shape{2, 30, 40}), QStringLiteral("blobs")));
        auto* panel = window_->findChild<LayersPanel*>();
        QList<QSlider*> bc;
        for (auto* s : panel->findChildren<QSlider*>())
            if (s->minimum() == -100)
                bc << s;
        QCOMPARE(bc.size(), 2);
        bc[0]->setValue(40);
        bc[1]->setValue(-30);
        window_->files()->autoLevels();
        window_->layers()->setLevels(10.f, 100.f);
        QCOMPARE(bc[0]->value(), 0);
        QCOMPARE(bc[1]->value(), 0);
    }

    void heatMapHasItsOwnColoursAndALegend()
    {
        // Not the mask's amber (255, 196, 0) nor the reference's green at any probability.
        for (double p : {0.25, 0.5, 0.75, 1.0}) {
            const QColor c = SliceComposer::heatColour(p);
            QVERIFY2(c.blue() > c.green() + 30, qPrintable(c.name()));
        }
        QVERIFY(SliceComposer::heatColour(1.0).lightness() > SliceComposer::heatColour(0.2).lightness());
        auto* legend = window_->findChild<QWidget*>(QStringLiteral("heatLegend"));
        QVERIFY(legend);
        window_->show();
        QVERIFY(!legend->isVisible());
        window_->layers()->setPredictionHeatmap(true);
        QVERIFY(legend->isVisible());
    }

    void longJobsShowTheTimeLeft()
    {
        JobEta eta;
        eta.start(40);
        QCOMPARE(eta.secondsLeft(10, 20000), 60.0);
        QCOMPARE(JobEta::textFor(60.0), QStringLiteral("about 1 min left"));
        QCOMPARE(JobEta::textFor(42.0), QStringLiteral("about 45 s left"));
        QCOMPARE(JobEta::textFor(5400.0), QStringLiteral("about 1 h 30 min left"));
        QCOMPARE(eta.secondsLeft(0, 1000), -1.0);
        QCOMPARE(eta.secondsLeft(40, 1000), -1.0);

        doc()->setImage(ImageSource::fromVolume(blobVolume(Shape{6, 20, 30}), QStringLiteral("blobs")));
        auto* seg = window_->segmentation();
        seg->setProvider(std::make_shared<SlowProvider>());
        QStringList formats;
        connect(seg, &SegmentationController::progress, this, [&] { formats << window_->progressBar()->format(); });
        QSignalSpy done(seg, &SegmentationController::finished);
        QVERIFY(seg->segmentStack(0));
        QVERIFY(done.wait(10000));
        QVERIFY2(formats.filter(QStringLiteral("left")).size() >= 2, qPrintable(formats.join(QStringLiteral(" | "))));
    }

    // An uncalibrated stack measures in pixels; View > Voxel size… shows that, sets z, y, x and
    // the unit on the document, and a saved session brings it back.
    void voxelSizeIsSetInADialogAndKeptInTheSession()
    {
        QVERIFY(window_->files()->openDemo(4, 48, 64));
        doc()->setImage(ImageSource::fromVolume(blobVolume(Shape{4, 30, 40}), QStringLiteral("blobs")));
        QCOMPARE(doc()->spacing(), (Spacing{1, 1, 1, "px"}));
        QVERIFY(!doc()->voxelSizeSet());
        QSignalSpy changed(doc(), &StudioDocument::spacingChanged);

        // Cancel changes nothing; the dialog showed the current size.
        bool shown = false;
        answerVoxelSizeDialog([&](VoxelSizeDialog* d) {
            shown = d->unitBox()->currentText() == QStringLiteral("px") && d->zBox()->value() == 1.0;
            d->reject();
        });
        window_->voxelSizeAction()->trigger();
        QVERIFY(shown);
        QCOMPARE(changed.count(), 0);

        answerVoxelSizeDialog([](VoxelSizeDialog* d) {
            d->zBox()->setValue(30.0);
            d->yBox()->setValue(5.0);
            d->xBox()->setValue(4.5);
            d->unitBox()->setCurrentText(QStringLiteral("nm"));
            d->accept();
        });
        window_->voxelSizeAction()->trigger();
        QCOMPARE(changed.count(), 1);
        QCOMPARE(doc()->spacing(), (Spacing{30, 5, 4.5, "nm"}));
        QVERIFY(doc()->voxelSizeSet());
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, doc()->setVoxelSize(Spacing{0, 5, 5, "nm"}));
        QCOMPARE(doc()->spacing(), (Spacing{30, 5, 4.5, "nm"}));

        // Kept in the session (on the demo stack, which a session reopens by itself).
        QVERIFY(window_->files()->openDemo(4, 48, 64));
        const Spacing demo = doc()->spacing();
        doc()->setVoxelSize(Spacing{40, 6, 6, "nm"});
        const QString path = scratch_->filePath(QStringLiteral("s.json"));
        QVERIFY(window_->files()->saveSession(path));
        auto saved = Session::load(path);
        QVERIFY(saved && saved->voxelSize);
        QCOMPARE(saved->voxelSize->z, 40.0);
        QCOMPARE(saved->voxelSize->unit, QStringLiteral("nm"));
        QVERIFY(window_->files()->openDemo(4, 48, 64));
        QCOMPARE(doc()->spacing(), demo);   // a new stack starts from its own calibration
        QVERIFY(window_->files()->openSession(path));
        QCOMPARE(doc()->spacing(), (Spacing{40, 6, 6, "nm"}));

        // A session with a nonsensical size is refused; one without keeps the stack's.
        QJsonObject json = saved->toJson();
        json[QStringLiteral("voxelSize")] = QJsonObject{{QStringLiteral("z"), -1.0}, {QStringLiteral("y"), 1.0},
                                                        {QStringLiteral("x"), 1.0}, {QStringLiteral("unit"), QStringLiteral("nm")}};
        QVERIFY(!Session::fromJson(json));
        json.remove(QStringLiteral("voxelSize"));
        QVERIFY(window_->files()->applySession(*Session::fromJson(json)));
        QCOMPARE(doc()->spacing(), demo);
    }

private:
    StudioDocument* doc() { return window_->document(); }
    // Runs `answer` on the voxel size dialog once it is open (it is modal: exec blocks).
    void answerVoxelSizeDialog(std::function<void(VoxelSizeDialog*)> answer)
    {
        auto* timer = new QTimer(this);
        timer->setInterval(10);
        connect(timer, &QTimer::timeout, this, [timer, answer] {
            if (auto* d = qobject_cast<VoxelSizeDialog*>(QApplication::activeModalWidget())) {
                timer->stop();
                timer->deleteLater();
                answer(d);
            }
        });
        timer->start();
    }
};

}  // namespace mitoseg::ui::test

using mitoseg::ui::test::RoughEdgesTest;
MITOSEG_UI_TEST(RoughEdgesTest)
#include "RoughEdgesTest.moc"
