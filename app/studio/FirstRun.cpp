#include "app/studio/FirstRun.h"

#include <QApplication>
#include <QComboBox>
#include <QPushButton>
#include <QSpinBox>
#include <QEventLoop>
#include <QTemporaryDir>
#include <QTimer>

#include <cstdio>

#include "app/studio/StudioBench.h"
#include "core/metrics/Metrics.h"
#include "ui/FileController.h"
#include "ui/MainWindow.h"
#include "ui/SegmentationController.h"
#include "ui/SliceView.h"
#include "ui/StudioDocument.h"
#include "ui/train/TrainingController.h"
#include "ui/train/TrainingPanel.h"

namespace mitoseg::studio {

int runFirstRun(double seconds, const QString& screenshot)
{
    QTemporaryDir scratch;
    ui::MainWindow window(nullptr, scratch.filePath(QStringLiteral("autosave")));
    window.setInteractive(false);
    window.resize(1400, 900);
    window.show();
    auto* doc = window.document();
    window.files()->openDemo();
    const Shape s = doc->shape();
    const std::int64_t held = std::max<std::int64_t>(1, s.depth / 8), firstHeld = s.depth - held;
    // Slices 1..(depth - 8) labelled from the truth: the Training dock then validates on the
    // reference of the last 8 unlabelled slices; the held-out eighth is never trained on.
    const std::int64_t labelledEnd = std::max<std::int64_t>(1, s.depth - std::min<std::int64_t>(8, s.depth / 4));
    VolumeU8 mask(s);
    std::vector<std::int64_t> labelled;
    for (std::int64_t z = 0; z < labelledEnd; ++z) {
        doc->reference()->readSlice(z, mask.slice(z));
        labelled.push_back(z);
    }
    doc->setMask(std::move(mask), QString());
    doc->mask().markEdited(labelled);

    auto* training = window.training();
    training->setModelsFolder(scratch.filePath(QStringLiteral("models")));
    window.trainingPanel()->startFromBox()->setCurrentIndex(1);   // from scratch, as a user would choose
    window.trainingPanel()->secondsBox()->setValue(static_cast<int>(seconds));
    const std::int64_t shown = firstHeld;
    window.sliceView()->setSlice(shown);
    std::int64_t steps = 0;
    double bestVal = -1;
    QObject::connect(training, &ui::TrainingController::progress, [&](const ui::TrainingPoint& p) {
        if (p.phase == QStringLiteral("training")) {
            steps = p.step;
            if (p.validated)
                bestVal = std::max(bestVal, p.valIoU);
        }
    });
    bool ok = false;
    QString message;
    QEventLoop trained;
    QObject::connect(training, &ui::TrainingController::finished, &trained, [&](bool done, const QString& m) {
        ok = done;
        message = m;
        trained.quit();
    });
    window.trainingPanel()->trainButton()->click();
    if (!training->busy()) {
        std::fprintf(stderr, "mitoseg-studio --first-run: training did not start\n");
        return 1;
    }
    trained.exec();
    if (!ok) {
        std::fprintf(stderr, "mitoseg-studio --first-run: %s\n", qPrintable(message));
        return 1;
    }
    // The new model goes in and the stack is re-predicted from the shown slice.
    QEventLoop predicted;
    QTimer poll;
    QObject::connect(&poll, &QTimer::timeout, &predicted, [&] {
        if (!window.segmentation()->busy() && doc->predictedSlices() == s.depth)
            predicted.quit();
    });
    poll.start(100);
    QTimer::singleShot(600000, &predicted, &QEventLoop::quit);
    predicted.exec();
    VolumeU8 pred(s);
    for (std::int64_t z = 0; z < s.depth; ++z)
        if (const labels::SliceRef p = doc->predictionLabels(z))
            std::copy_n(p.data(), s.sliceVoxels(), pred.slice(z));
    const int classes = static_cast<int>(doc->classes().size());
    const VolumeU8 reference = doc->reference()->toVolume();
    const OverlapScores val = overlapScores(pred, reference, classes, labelledEnd, s.depth - 1);
    const OverlapScores heldOut = overlapScores(pred, reference, classes, firstHeld, s.depth - 1);
    std::printf("first run on the demo stack (%lld x %lld x %lld, %d classes): %s from scratch in the Training dock, "
                "%.0f s budget, %lld steps, trained on slices 1-%lld\n",
                static_cast<long long>(s.depth), static_cast<long long>(s.height), static_cast<long long>(s.width), classes,
                qPrintable(training->options().preset), seconds, static_cast<long long>(steps), static_cast<long long>(labelledEnd));
    std::printf("  best validation (mean class IoU, slices %lld-%lld): %.4f\n", static_cast<long long>(labelledEnd + 1),
                static_cast<long long>(s.depth), bestVal);
    for (int k = 1; k < classes; ++k)
        std::printf("  %-14s IoU held-out slices %lld-%lld: %.4f   (slices %lld-%lld: %.4f)\n", doc->classes()[static_cast<std::size_t>(k)].name.c_str(),
                    static_cast<long long>(firstHeld + 1), static_cast<long long>(s.depth), heldOut.classIoU[static_cast<std::size_t>(k)],
                    static_cast<long long>(labelledEnd + 1), static_cast<long long>(s.depth), val.classIoU[static_cast<std::size_t>(k)]);
    if (!screenshot.isEmpty())
        return takeScreenshot(window, screenshot);
    return 0;
}

}  // namespace mitoseg::studio
