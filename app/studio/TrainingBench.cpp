#include "app/studio/TrainingBench.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QTemporaryDir>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <vector>

#include "ui/DemoData.h"
#include "ui/ImageSource.h"
#include "ui/MainWindow.h"
#include "ui/SliceView.h"
#include "ui/StackFiles.h"
#include "ui/StudioDocument.h"
#include "ui/train/TrainingController.h"

namespace mitoseg::studio {

namespace {

struct Delays {
    std::vector<double> ms;
    double percentile(double p) const
    {
        if (ms.empty())
            return 0;
        std::vector<double> v = ms;
        std::sort(v.begin(), v.end());
        return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
    }
};

/// Runs the event loop for `seconds`, recording how late a 10 ms timer fires, while a user
/// stamps the brush on slice `z` every 100 ms.
Delays measure(ui::MainWindow& window, double seconds, std::int64_t z)
{
    Delays d;
    QElapsedTimer clock, total;
    QTimer tick;
    tick.setTimerType(Qt::PreciseTimer);
    tick.setInterval(10);
    int n = 0;
    QObject::connect(&tick, &QTimer::timeout, [&] {
        d.ms.push_back(std::max(0.0, static_cast<double>(clock.nsecsElapsed()) / 1e6 - 10.0));
        clock.restart();
        if (++n % 10 == 0) {
            auto& mask = window.document()->mask();
            const Shape s = mask.shape();
            mask.beginStroke("Brush");
            mask.stamp(z, 40 + (n * 37) % (s.width - 80), 40 + (n * 53) % (s.height - 80), 8, static_cast<std::uint8_t>(n / 10 % 2));
            mask.commitStroke();
        }
    });
    QEventLoop loop;
    QTimer::singleShot(static_cast<int>(seconds * 1000), &loop, &QEventLoop::quit);
    clock.start();
    tick.start();
    loop.exec();
    return d;
}

void report(const char* what, const Delays& d)
{
    std::printf("event-loop delay %s: median %.2f ms, p99 %.2f ms, max %.2f ms over %zu ticks of 10 ms (target p99 < 50 ms)\n", what,
                d.percentile(0.5), d.percentile(0.99), d.ms.empty() ? 0.0 : *std::max_element(d.ms.begin(), d.ms.end()), d.ms.size());
}

}  // namespace

int runTrainingBench(const QString& stack, const QString& truth, double seconds)
{
    QTemporaryDir scratch;
    ui::MainWindow window(nullptr, scratch.filePath(QStringLiteral("autosave")));
    window.setInteractive(false);
    auto* doc = window.document();
    try {
        if (stack.isEmpty()) {
            ui::DemoVolumes demo = ui::makeDemoVolumes(Shape{24, 768, 1024}, 7);
            for (auto& v : demo.truth.values())
                v = v == 2 ? 1 : 0;   // binary: mitochondria
            doc->setImage(ui::ImageSource::fromVolume(std::move(demo.image), QStringLiteral("generated")));
            doc->setReference(std::make_shared<VolumeU8>(std::move(demo.truth)), QStringLiteral("generated truth"));
        } else {
            doc->setImage(ui::ImageSource::openTiff(stack.toStdString()));
            if (truth.isEmpty())
                throw std::runtime_error("the training benchmark needs --truth with --stack");
            doc->setReference(std::shared_ptr<const labels::SliceStore>(std::make_shared<labels::SliceStore>(ui::readLabelStore(truth.toStdString(), true))), truth);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mitoseg-studio --bench: %s\n", e.what());
        return 1;
    }
    // Every third slice labelled (from the reference), as if corrected by hand.
    const Shape s = doc->shape();
    VolumeU8 mask(s);
    std::vector<std::int64_t> labelled;
    for (std::int64_t z = 0; z < s.depth * 2 / 3; z += 3) {
        doc->reference()->readSlice(z, mask.slice(z));
        labelled.push_back(z);
    }
    doc->setMask(std::move(mask), QString());
    doc->mask().markEdited(labelled);
    window.resize(1400, 900);
    window.show();
    const std::int64_t paintZ = labelled.size() > 1 ? labelled[1] + 1 : 0;
    window.sliceView()->setSlice(paintZ);
    QApplication::processEvents();

    const Delays idle = measure(window, 3.0, paintZ);
    auto* training = window.training();
    training->setModelsFolder(scratch.filePath(QStringLiteral("models")));
    training->options().fromScratch = true;
    training->options().seconds = seconds;
    training->options().preset = QStringLiteral("fast");
    std::int64_t steps = 0, total = 0;
    QObject::connect(training, &ui::TrainingController::progress, [&](const ui::TrainingPoint& p) {
        if (p.phase == QStringLiteral("training")) {
            steps = p.step;
            total = p.totalSteps;
        }
    });
    QString why;
    if (!training->startTraining(paintZ, &why)) {
        std::fprintf(stderr, "mitoseg-studio --bench: cannot train: %s\n", qPrintable(why));
        return 1;
    }
    const Delays busy = measure(window, seconds, paintZ);
    training->stop();
    QEventLoop wait;
    QObject::connect(training, &ui::TrainingController::finished, &wait, &QEventLoop::quit);
    if (training->busy())
        wait.exec();
    std::printf("training in the background: fast U-Net from scratch on %zu labelled slices of %lld x %lld, %lld steps in %.0f s "
                "(%.2f s/step), while a brush stroke lands every 100 ms\n",
                labelled.size(), static_cast<long long>(s.height), static_cast<long long>(s.width), static_cast<long long>(steps), seconds,
                steps > 0 ? seconds / static_cast<double>(steps) : 0.0);
    report("without training", idle);
    report("during training", busy);
    (void)total;
    return 0;
}

}  // namespace mitoseg::studio
