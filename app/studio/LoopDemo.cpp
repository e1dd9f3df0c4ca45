#include "app/studio/LoopDemo.h"

#include <QEventLoop>
#include <QSpinBox>
#include <QTimer>

#include <cstdio>

#include "ui/MainWindow.h"
#include "ui/SegmentationController.h"
#include "ui/SliceView.h"
#include "ui/StudioDocument.h"
#include "ui/train/TrainingController.h"
#include "ui/train/TrainingPanel.h"

namespace mitoseg::studio {

namespace {

/// Runs the event loop until `done()` holds (checked every 100 ms) or an hour passed.
template <class Done>
bool waitFor(Done done)
{
    QEventLoop loop;
    QTimer poll;
    poll.setInterval(100);
    QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
        if (done())
            loop.quit();
    });
    QTimer::singleShot(3600000, &loop, &QEventLoop::quit);
    poll.start();
    loop.exec();
    return done();
}

}  // namespace

int simulateRounds(ui::MainWindow& window, int rounds, double seconds)
{
    auto* doc = window.document();
    auto* training = window.training();
    auto* seg = window.segmentation();
    if (!doc->reference()) {
        std::fprintf(stderr, "mitoseg-studio: --simulate-rounds needs --truth (the corrections come from it)\n");
        return 1;
    }
    window.trainingPanel()->secondsBox()->setValue(static_cast<int>(seconds));
    for (int r = 1; r <= rounds; ++r) {
        waitFor([&] { return !seg->busy(); });
        const std::int64_t z = training->nextSliceToCorrect();
        if (z < 0) {
            std::fprintf(stderr, "mitoseg-studio: no predicted slice left to correct\n");
            return 1;
        }
        window.sliceView()->setSlice(z);
        // The correction: the reference's labels on that slice, as if painted.
        std::vector<std::uint8_t> labels(static_cast<std::size_t>(doc->shape().sliceVoxels()));
        doc->reference()->readSlice(z, labels.data());
        for (auto& v : labels)
            v = v ? 1 : 0;
        doc->mask().acceptPrediction(z, labels.data());
        doc->mask().markEdited({z});
        bool finished = false, ok = false;
        auto c = QObject::connect(training, &ui::TrainingController::finished, [&](bool success, const QString&) {
            finished = true;
            ok = success;
        });
        QString why;
        training->options().seconds = seconds;   // what the panel's Retrain button passes on
        if (!training->retrain(z, &why)) {
            std::fprintf(stderr, "mitoseg-studio: cannot retrain: %s\n", qPrintable(why));
            return 1;
        }
        waitFor([&] { return finished; });
        QObject::disconnect(c);
        if (!ok)
            return 1;
        // The re-prediction starts when the model is swapped in; wait for it to end.
        waitFor([&] { return !seg->busy(); });
        const auto& round = training->rounds().back();
        std::printf("round %d: corrected slice %lld, %lld steps in %.1f s, validation IoU %.4f -> %.4f\n", round.number,
                    static_cast<long long>(z + 1), static_cast<long long>(round.steps), round.seconds, round.iouBefore, round.iouAfter);
        std::fflush(stdout);
    }
    return 0;
}

}  // namespace mitoseg::studio
