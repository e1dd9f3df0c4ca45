// mitoseg-studio [STACK] [--mask M] [--truth T] [--model F] [--open-session S] [--slice Z] [--ortho] [--3d]
//                [--segment-slice | --segment-stack] [--screenshot PNG] [--simulate-rounds N [--round-seconds S]]
//                [--bench [--stack S] [--bench-train-seconds S]] [--first-run S]
// With no stack the window opens on the generated demo stack.
#include <QApplication>
#include <QDir>
#include <QFileInfo>
#include <QEventLoop>
#include <QTimer>

#include <cstdio>
#include <cstring>

#include "app/studio/FirstRun.h"
#include "app/studio/LoopDemo.h"
#include "app/studio/BigDataBench.h"
#include "app/studio/StudioBench.h"
#include "app/studio/StudioOptions.h"
#include "app/studio/StudioStyle.h"
#include "app/studio/TrainingBench.h"
#include "core/base/Memory.h"
#include "core/base/MemoryReuse.h"
#include "core/engine/Segmenter.h"
#include "ui/FileController.h"
#include "ui/MainWindow.h"
#include "ui/MemoryPreference.h"
#include "ui/SegmentationController.h"
#include "ui/SliceView.h"
#include "ui/surface/SurfacePanel.h"
#include "ui/surface/SurfaceView.h"

int main(int argc, char** argv)
{
    mitoseg::keepFreedMemoryForReuse();  // before any thread starts: see MemoryReuse.h
    // --help and --version print and exit without a display: no QApplication yet.
    if (const auto rc = mitoseg::studio::answerHelpOrVersion(argc, argv))
        return *rc;
    // --bench-bigdata runs offscreen (`mitoseg bench bigdata` calls it without a display).
    for (int i = 1; i < argc; ++i)
        if (std::strncmp(argv[i], "--bench-bigdata", 15) == 0 && !qEnvironmentVariableIsSet("QT_QPA_PLATFORM"))
            qputenv("QT_QPA_PLATFORM", "offscreen");
    // The 3D view needs a GL 3.2 core context: the default format must be set before QApplication.
    mitoseg::ui::setDefaultSurfaceFormat();
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("Mitoseg"));
    QApplication::setApplicationName(QStringLiteral("Mitoseg Studio"));
    QApplication::setApplicationVersion(mitoseg::studio::studioVersion());

    // Qt took `--session ID` for X11 session management; its id may be the user's session file.
    QString eaten = app.isSessionRestored() ? app.sessionId() : QString();
    if (!eaten.isEmpty() && !app.sessionKey().isEmpty())
        eaten += QLatin1Char('_') + app.sessionKey();
    QString error;
    const auto parsed = mitoseg::studio::parseStudioOptions(QApplication::arguments(), eaten, &error);
    if (!parsed) {
        std::fprintf(stderr, "mitoseg-studio: %s\n", qPrintable(error));
        return 1;
    }
    const mitoseg::studio::StudioOptions& opt = *parsed;
    if (opt.printOptions) {
        std::fputs(qPrintable(mitoseg::studio::describe(opt)), stdout);
        return 0;
    }
    if (opt.memoryBudget > 0)
        mitoseg::setMemoryBudget(opt.memoryBudget);
    mitoseg::ui::MemoryPreference::applyAtStartup(opt.memoryBudget > 0);
    if (!opt.benchBigData.isEmpty())
        return mitoseg::studio::runBigDataBench(opt.benchBigData, opt.json);
    if (opt.bench) {
        const int rc = mitoseg::studio::runBench(opt.benchStack, opt.truth);
        if (rc != 0 || opt.benchTrainSeconds <= 0)
            return rc;
        return mitoseg::studio::runTrainingBench(opt.benchStack, opt.truth, opt.benchTrainSeconds);
    }

    mitoseg::studio::applyDarkTheme(app);
    if (opt.firstRunSeconds > 0)
        return mitoseg::studio::runFirstRun(opt.firstRunSeconds, opt.screenshot);
    mitoseg::ui::MainWindow window;
    auto* files = window.files();
    const bool screenshot = !opt.screenshot.isEmpty();
    if (screenshot)
        window.setInteractive(false);
    if (!screenshot)
        window.restoreLayout();
    if (opt.ortho)
        window.setOrthoViewsVisible(true);
    window.show();

    // Whatever the command line names must open. A file that does not is reported on stderr,
    // naming it (as `mitoseg` does), and fails a --screenshot run (interactive runs also show
    // the error in a message box and go on).
    bool openFailed = false;
    auto opened = [&](bool ok) {
        if (!ok) {
            openFailed = true;
            std::fprintf(stderr, "mitoseg-studio: %s\n", qPrintable(files->lastError().simplified()));
        }
        return ok;
    };
    bool restored = false;
    if (!screenshot)
        restored = window.startAutosave(60);
    if (!restored) {
        bool stackOpen = true;
        if (!opt.session.isEmpty())
            stackOpen = opened(files->openSession(opt.session));
        else if (!opt.stack.isEmpty())
            stackOpen = opened(files->openStack(opt.stack));
        else
            stackOpen = opened(files->openDemo());
        // A mask or reference needs the stack: without it they would only fail for that reason.
        if (stackOpen && !opt.mask.isEmpty())
            opened(files->openMask(opt.mask));
        if (stackOpen && !opt.truth.isEmpty())
            opened(files->openReference(opt.truth));
        if (opt.slice)
            window.sliceView()->setSlice(*opt.slice - 1);
        // A model is optional: without one the Segment actions explain what is missing.
        if (!opt.model.isEmpty()) {
            opened(files->openModel(opt.model));
        } else {
            const auto shipped = mitoseg::Segmenter::defaultModelPath();
            if (!shipped.empty())
                window.segmentation()->loadModel(QString::fromStdString(shipped.string()));
        }
    }
    if (screenshot && openFailed)
        return 1;
    QEventLoop settle;
    int pending = 0;
    bool jobFailed = false;
    auto donePart = [&] {
        if (--pending == 0)
            settle.quit();
    };
    if (opt.surfaces) {
        auto* panel = window.showSurfaces();
        ++pending;
        QObject::connect(panel, &mitoseg::ui::SurfacePanel::meshesReady, &settle, donePart);
        QObject::connect(panel, &mitoseg::ui::SurfacePanel::meshingFailed, &settle, donePart);
    }
    if (opt.segmentSlice || opt.segmentStack) {
        QString why;
        ++pending;
        QObject::connect(window.segmentation(), &mitoseg::ui::SegmentationController::finished, &settle,
                         [&](bool ok, const QString& message) {
                             if (!ok) {   // e.g. slices that cannot be read: say which
                                 jobFailed = true;
                                 std::fprintf(stderr, "mitoseg-studio: %s\n", qPrintable(message));
                             }
                             donePart();
                         });
        auto* seg = window.segmentation();
        const std::int64_t z = window.sliceView()->slice();
        if (!(opt.segmentStack ? seg->segmentStack(z, &why) : seg->segmentSlice(z, &why))) {
            std::fprintf(stderr, "mitoseg-studio: cannot segment: %s\n", qPrintable(why));
            jobFailed = true;
            --pending;
        }
    }
    // A screenshot waits (at most two minutes, or an hour for a whole stack) for the background
    // work it was asked to show.
    if (screenshot && pending > 0) {
        QTimer::singleShot(opt.segmentStack ? 3600000 : 120000, &settle, &QEventLoop::quit);
        settle.exec();
    }
    if (opt.simulateRounds > 0) {
        const int rc = mitoseg::studio::simulateRounds(window, opt.simulateRounds, opt.roundSeconds);
        if (rc != 0)
            return rc;
    }
    if (screenshot) {
        // The screenshot shows what there is; the exit code says that a job asked for failed.
        const int rc = mitoseg::studio::takeScreenshot(window, opt.screenshot);
        return rc != 0 ? rc : jobFailed ? 1 : 0;
    }
    return app.exec();
}
