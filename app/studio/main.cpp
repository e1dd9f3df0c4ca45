// mitoseg-studio [STACK] [--mask M] [--truth T] [--model F] [--session S] [--slice Z] [--ortho] [--screenshot PNG]
//                [--bench [--stack S] [--bench-train-seconds S]] [--simulate-rounds N [--round-seconds S]]
// With no stack the window opens on the generated demo stack.
#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
#include <QEventLoop>
#include <QTimer>

#include <cstdio>

#include "app/studio/LoopDemo.h"
#include "app/studio/StudioBench.h"
#include "app/studio/StudioStyle.h"
#include "app/studio/TrainingBench.h"
#include "core/engine/Segmenter.h"
#include "ui/FileController.h"
#include "ui/MainWindow.h"
#include "ui/SegmentationController.h"
#include "ui/SliceView.h"
#include "ui/surface/SurfacePanel.h"
#include "ui/surface/SurfaceView.h"

int main(int argc, char** argv)
{
    // The 3D view needs a GL 3.2 core context: the default format must be set before QApplication.
    mitoseg::ui::setDefaultSurfaceFormat();
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("Mitoseg"));
    QApplication::setApplicationName(QStringLiteral("Mitoseg Studio"));
    QApplication::setApplicationVersion(QStringLiteral("0.1.0"));

    QCommandLineParser cli;
    cli.setApplicationDescription(QStringLiteral("Mitoseg Studio: view, segment and correct mitochondria in EM stacks."));
    cli.addHelpOption();
    cli.addVersionOption();
    cli.addPositionalArgument(QStringLiteral("stack"), QStringLiteral("TIFF stack to open (default: the demo stack)"));
    const QCommandLineOption mask(QStringLiteral("mask"), QStringLiteral("Editable mask to open."), QStringLiteral("file"));
    const QCommandLineOption truth(QStringLiteral("truth"), QStringLiteral("Reference mask for IoU/Dice."), QStringLiteral("file"));
    const QCommandLineOption model(QStringLiteral("model"), QStringLiteral("Model file (default: the shipped model)."), QStringLiteral("file"));
    const QCommandLineOption session(QStringLiteral("session"), QStringLiteral("Session file to open."), QStringLiteral("file"));
    const QCommandLineOption slice(QStringLiteral("slice"), QStringLiteral("Slice to show first (1-based)."), QStringLiteral("z"));
    const QCommandLineOption shot(QStringLiteral("screenshot"),
                                  QStringLiteral("Save a PNG of the window after loading, then quit."), QStringLiteral("png"));
    const QCommandLineOption bench(QStringLiteral("bench"), QStringLiteral("Measure slice change and brush stamp times, print medians, quit."));
    const QCommandLineOption benchStack(QStringLiteral("stack"), QStringLiteral("Stack for --bench (default: generated 1024x768)."), QStringLiteral("file"));
    const QCommandLineOption ortho(QStringLiteral("ortho"), QStringLiteral("Show the XZ / YZ views."));
    const QCommandLineOption surfaces(QStringLiteral("3d"), QStringLiteral("Show the 3D surface view of the mask."));
    const QCommandLineOption segmentNow(QStringLiteral("segment-slice"),
                                        QStringLiteral("Segment the shown slice at start (with --screenshot: wait for it)."));
    const QCommandLineOption segmentAll(QStringLiteral("segment-stack"),
                                        QStringLiteral("Segment every slice at start, then apply the model's 3D clean-up "
                                                       "(with --screenshot: wait for it)."));
    const QCommandLineOption benchTrain(QStringLiteral("bench-train-seconds"),
                                        QStringLiteral("With --bench: seconds of background training while measuring the "
                                                       "event-loop delay (default 20; 0 = skip)."),
                                        QStringLiteral("s"), QStringLiteral("20"));
    const QCommandLineOption simulate(QStringLiteral("simulate-rounds"),
                                      QStringLiteral("After loading (and --segment-stack): run N retraining rounds, each on the "
                                                     "next slice to correct with its labels from --truth."),
                                      QStringLiteral("n"));
    const QCommandLineOption roundSeconds(QStringLiteral("round-seconds"), QStringLiteral("Budget of a simulated round (default 60)."),
                                          QStringLiteral("s"), QStringLiteral("60"));
    cli.addOptions({mask, truth, model, session, slice, shot, bench, benchStack, benchTrain, ortho, surfaces, segmentNow, segmentAll,
                    simulate, roundSeconds});
    cli.process(app);

    if (cli.isSet(bench)) {
        const int rc = mitoseg::studio::runBench(cli.value(benchStack), cli.value(truth));
        const double trainSeconds = cli.value(benchTrain).toDouble();
        if (rc != 0 || trainSeconds <= 0)
            return rc;
        return mitoseg::studio::runTrainingBench(cli.value(benchStack), cli.value(truth), trainSeconds);
    }

    mitoseg::studio::applyDarkTheme(app);
    mitoseg::ui::MainWindow window;
    auto* files = window.files();
    const bool screenshot = cli.isSet(shot);
    if (screenshot)
        window.setInteractive(false);
    if (!screenshot)
        window.restoreLayout();
    if (cli.isSet(ortho))
        window.setOrthoViewsVisible(true);
    window.show();

    bool restored = false;
    if (!screenshot)
        restored = window.startAutosave(60);
    if (!restored) {
        const QStringList args = cli.positionalArguments();
        if (cli.isSet(session))
            files->openSession(cli.value(session));
        else if (!args.isEmpty())
            files->openStack(args.front());
        else
            files->openDemo();
        if (cli.isSet(mask))
            files->openMask(cli.value(mask));
        if (cli.isSet(truth))
            files->openReference(cli.value(truth));
        if (cli.isSet(slice))
            window.sliceView()->setSlice(cli.value(slice).toLongLong() - 1);
        // A model is optional: without one the Segment actions explain what is missing.
        if (cli.isSet(model)) {
            files->openModel(cli.value(model));
        } else {
            const auto shipped = mitoseg::Segmenter::defaultModelPath();
            if (!shipped.empty())
                window.segmentation()->loadModel(QString::fromStdString(shipped.string()));
        }
    }
    QEventLoop settle;
    int pending = 0;
    auto donePart = [&] {
        if (--pending == 0)
            settle.quit();
    };
    if (cli.isSet(surfaces)) {
        auto* panel = window.showSurfaces();
        ++pending;
        QObject::connect(panel, &mitoseg::ui::SurfacePanel::meshesReady, &settle, donePart);
        QObject::connect(panel, &mitoseg::ui::SurfacePanel::meshingFailed, &settle, donePart);
    }
    if (cli.isSet(segmentNow) || cli.isSet(segmentAll)) {
        QString why;
        ++pending;
        QObject::connect(window.segmentation(), &mitoseg::ui::SegmentationController::finished, &settle, donePart);
        auto* seg = window.segmentation();
        const std::int64_t z = window.sliceView()->slice();
        if (!(cli.isSet(segmentAll) ? seg->segmentStack(z, &why) : seg->segmentSlice(z, &why))) {
            std::fprintf(stderr, "mitoseg-studio: cannot segment: %s\n", qPrintable(why));
            --pending;
        }
    }
    // A screenshot waits (at most two minutes, or an hour for a whole stack) for the background
    // work it was asked to show.
    if (screenshot && pending > 0) {
        QTimer::singleShot(cli.isSet(segmentAll) ? 3600000 : 120000, &settle, &QEventLoop::quit);
        settle.exec();
    }
    if (cli.isSet(simulate)) {
        const int rc = mitoseg::studio::simulateRounds(window, cli.value(simulate).toInt(), cli.value(roundSeconds).toDouble());
        if (rc != 0)
            return rc;
    }
    if (screenshot)
        return mitoseg::studio::takeScreenshot(window, cli.value(shot));
    return app.exec();
}
