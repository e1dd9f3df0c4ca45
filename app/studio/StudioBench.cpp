#include "app/studio/StudioBench.h"

#include <QApplication>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QElapsedTimer>
#include <QImage>
#include <QPainter>
#include <QThread>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "ui/Autosaver.h"
#include "ui/DemoData.h"
#include "ui/FileController.h"
#include "ui/LayerSettings.h"
#include "ui/MainWindow.h"
#include "ui/SliceComposer.h"
#include "ui/SliceView.h"
#include "ui/StackFiles.h"
#include "ui/StudioDocument.h"

namespace mitoseg::studio {

namespace {

using Clock = std::chrono::steady_clock;

double ms(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double, std::milli>(b - a).count(); }

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

double percentile(std::vector<double> v, double p)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

// A mask that differs from the reference like a decent prediction: the reference shifted by 3 px.
VolumeU8 shifted(const VolumeU8& ref)
{
    VolumeU8 m(ref.shape(), 0);
    for (std::int64_t z = 0; z < ref.depth(); ++z)
        for (std::int64_t y = 0; y < ref.height(); ++y)
            for (std::int64_t x = 3; x < ref.width(); ++x)
                m(z, y, x) = ref(z, y, x - 3);
    return m;
}

// Writes mask and reference as TIFF and lets the numpy peer recount IoU/Dice from scratch:
// the incrementally maintained figures must match.
void crossCheckWithPeer(const mitoseg::labels::SliceStore& mask, const mitoseg::labels::SliceStore& reference,
                        double iou, double dice)
{
    const QString peer = qEnvironmentVariable("MITOSEG_PEER", QStringLiteral(MITOSEG_PEER_DEFAULT));
    if (!QFile::exists(peer) || !QFile::exists(QStringLiteral("/usr/bin/python3"))) {
        std::printf("peer cross-check skipped: %s not found\n", qPrintable(peer));
        return;
    }
    QTemporaryDir dir;
    const QString m = dir.filePath(QStringLiteral("mask.tif")), t = dir.filePath(QStringLiteral("truth.tif"));
    mitoseg::ui::writeMaskStack(m.toStdString(), mask.snapshot());
    mitoseg::ui::writeMaskStack(t.toStdString(), reference.snapshot());
    QProcess py;
    const auto t0 = Clock::now();
    py.start(QStringLiteral("/usr/bin/python3"), {peer, QStringLiteral("iou"), m, t});
    if (!py.waitForFinished(300000) || py.exitCode() != 0) {
        std::printf("peer cross-check failed: %s\n", py.readAllStandardError().constData());
        return;
    }
    const double seconds = ms(t0, Clock::now()) / 1000.0;
    const QJsonObject o = QJsonDocument::fromJson(py.readAllStandardOutput().trimmed()).object();
    const double peerIou = o.value(QStringLiteral("foreground_iou")).toDouble(-1);
    const double peerDice = o.value(QStringLiteral("dice")).toDouble(-1);
    const bool match = std::abs(peerIou - iou) < 1e-4 && std::abs(peerDice - dice) < 1e-4;
    std::printf("peer (numpy, from scratch incl. reading both TIFFs, %.1f s): IoU %.4f, Dice %.4f -> %s\n", seconds,
                peerIou, peerDice, match ? "matches the incremental counts" : "MISMATCH");
}

}  // namespace

int runBench(const QString& stack, const QString& truth)
{
    using namespace mitoseg::ui;
    StudioDocument doc;
    LayerSettings layers;
    try {
        if (stack.isEmpty()) {
            DemoVolumes demo = makeDemoVolumes(Shape{24, 768, 1024}, 7);
            doc.setImage(ImageSource::fromVolume(std::move(demo.image), QStringLiteral("generated")));
            doc.setClasses(classesFromNames(demo.classNames));
            doc.setReference(std::make_shared<VolumeU8>(std::move(demo.truth)), QStringLiteral("generated truth"));
        } else {
            doc.setImage(ImageSource::openTiff(stack.toStdString()));
            if (!truth.isEmpty())
                doc.setReference(std::shared_ptr<const labels::SliceStore>(std::make_shared<labels::SliceStore>(readLabelStore(truth.toStdString(), true))), truth);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mitoseg-studio --bench: %s\n", e.what());
        return 1;
    }
    if (doc.reference())
        doc.setMask(shifted(doc.reference()->toVolume()), QString());
    const Shape s = doc.shape();
    std::printf("bench stack: %s, %lld x %lld x %lld (z, y, x), overlays: mask (filled) + reference (outline)\n",
                qPrintable(stack.isEmpty() ? QStringLiteral("generated") : stack), static_cast<long long>(s.depth),
                static_cast<long long>(s.height), static_cast<long long>(s.width));

    SliceView view(&doc, &layers);
    view.resize(1024, 768);
    view.fitToWindow();
    QImage target(1024, 768, QImage::Format_RGB32);

    // 1. Slice change: read slice (cache miss), compose with overlays, paint into a 1024x768 image.
    std::vector<double> change;
    const int rounds = 120;
    for (int i = 0; i < rounds; ++i) {
        const std::int64_t z = (i * 7) % s.depth;
        const auto t0 = Clock::now();
        view.setSlice(z == view.slice() ? (z + 1) % s.depth : z);
        QPainter p(&target);
        view.render(p, target.size());
        p.end();
        change.push_back(ms(t0, Clock::now()));
    }

    // Breakdown of one slice change: read (cache miss), compose, paint.
    std::vector<double> readT, composeT, paintT;
    for (int i = 0; i < 30; ++i) {
        const std::int64_t zz = (i * 7 + 3) % s.depth;
        const auto t0 = Clock::now();
        doc.image()->cachedSlice(zz);
        const auto t1 = Clock::now();
        QImage composed;
        SliceComposer::compose(doc, layers, zz, composed);
        const auto t2 = Clock::now();
        QPainter p(&target);
        p.setRenderHint(QPainter::SmoothPixmapTransform, view.zoom() < 1.0);
        p.scale(view.zoom(), view.zoom());
        p.drawImage(QPointF(0, 0), composed);
        p.end();
        const auto t3 = Clock::now();
        readT.push_back(ms(t0, t1));
        composeT.push_back(ms(t1, t2));
        paintT.push_back(ms(t2, t3));
    }

    // Painting the cached composed slice alone (what a pan or zoom costs).
    std::vector<double> repaint;
    for (int i = 0; i < 30; ++i) {
        const auto t0 = Clock::now();
        QPainter p(&target);
        view.render(p, target.size());
        p.end();
        repaint.push_back(ms(t0, Clock::now()));
    }

    // 2. Brush stamp (radius 10) with the incremental IoU update and the partial recompose.
    std::mt19937 rng(1);
    std::vector<double> stamp, stampBig;
    const std::int64_t z = s.depth / 2;
    view.setSlice(z);
    view.composed();
    auto& mask = doc.mask();
    for (int i = 0; i < 400; ++i) {
        const std::int64_t x = 40 + static_cast<std::int64_t>(rng() % static_cast<unsigned>(s.width - 80));
        const std::int64_t y = 40 + static_cast<std::int64_t>(rng() % static_cast<unsigned>(s.height - 80));
        const int radius = i % 2 ? 30 : 10;
        const auto t0 = Clock::now();
        mask.beginStroke("Brush");
        mask.stamp(z, x, y, radius, static_cast<std::uint8_t>(i / 2 % 2));
        mask.commitStroke();
        view.composed();
        (i % 2 ? stampBig : stamp).push_back(ms(t0, Clock::now()));
    }
    // The from-scratch alternative the incremental update replaces: recount the stack.
    std::vector<double> recount;
    if (doc.reference())
        for (int i = 0; i < 3; ++i) {
            labels::ConfusionCounts c;
            c.reset(s.depth, 2);
            const auto t0 = Clock::now();
            c.recountAll(mask.labels(), *doc.reference());
            recount.push_back(ms(t0, Clock::now()));
        }

    std::printf("slice change (compose 2 overlays + paint 1024x768): median %.2f ms, p95 %.2f ms over %d (target < 16 ms)\n",
                median(change), percentile(change, 0.95), rounds);
    std::printf("  breakdown: read slice %.2f ms, compose %.2f ms, paint at zoom %.2f %.2f ms (medians)\n", median(readT),
                median(composeT), view.zoom(), median(paintT));
    std::printf("repaint of the cached slice (pan/zoom): median %.2f ms\n", median(repaint));
    std::printf("brush stamp r=10 incl. IoU update + recompose: median %.3f ms, p95 %.3f ms over %zu (target < 5 ms)\n",
                median(stamp), percentile(stamp, 0.95), stamp.size());
    std::printf("brush stamp r=30 incl. IoU update + recompose: median %.3f ms, p95 %.3f ms over %zu\n",
                median(stampBig), percentile(stampBig, 0.95), stampBig.size());
    if (!recount.empty())
        std::printf("stack IoU recount from scratch (what a non-incremental update costs): median %.1f ms -> incremental "
                    "stamp is %.0fx faster\n",
                    median(recount), median(recount) / std::max(1e-6, median(stamp)));
    // Autosave cost (GUI thread, once per interval when the mask changed).
    std::vector<double> autosave;
    const QString tmp = QDir::temp().filePath(QStringLiteral("mitoseg-bench-%1.msgmask").arg(QCoreApplication::applicationPid()));
    for (int i = 0; i < 3; ++i) {
        const auto t0 = Clock::now();
        writeMaskRle(tmp, mask.snapshot());
        autosave.push_back(ms(t0, Clock::now()));
    }
    QFile::remove(tmp);
    std::printf("autosave of the whole mask (snapshot streamed on the calling thread, run-length encoded, atomic): "
                "median %.1f ms\n", median(autosave));
    const auto st = mask.confusion().stack(1);
    std::printf("mask vs reference after the stamps: stack IoU %.4f, Dice %.4f\n", st.iou(), st.dice());
    if (doc.reference())
        crossCheckWithPeer(mask.labels(), *doc.reference(), st.iou(), st.dice());
    return 0;
}

int takeScreenshot(mitoseg::ui::MainWindow& window, const QString& png)
{
    // Let layouts, docks and the first paint settle.
    for (int i = 0; i < 20; ++i) {
        QApplication::processEvents();
        QThread::msleep(20);
    }
    const QImage shot = window.grab().toImage();
    if (!shot.save(png)) {
        std::fprintf(stderr, "mitoseg-studio: cannot write %s\n", qPrintable(png));
        return 1;
    }
    std::printf("screenshot: %s (%dx%d)\n", qPrintable(png), shot.width(), shot.height());
    return 0;
}

}  // namespace mitoseg::studio
