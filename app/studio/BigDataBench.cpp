#include "app/studio/BigDataBench.h"

#include <QDir>
#include <QFile>
#include <QImage>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPainter>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "core/base/AtomicFile.h"
#include "core/base/Memory.h"
#include "core/io/TiffStack.h"
#include "ui/LayerSettings.h"
#include "ui/SliceView.h"
#include "ui/StackFiles.h"
#include "ui/StudioDocument.h"

namespace mitoseg::studio {

namespace {

using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

double percentile(std::vector<double> v, double q)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    const auto k = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(k, v.size() - 1)];
}

double peakRssMb()
{
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_maxrss) / 1024.0;   // KiB on Linux
}

/// Drops the file's pages from the page cache (written back first), so the reads that follow
/// come from the disk as on a stack nobody has read since the machine started. No root needed:
/// posix_fadvise(DONTNEED) on clean pages. False when the file cannot be opened.
bool evictFromPageCache(const QString& path)
{
    const int fd = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ::fdatasync(fd);
    const bool ok = ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0;
    ::close(fd);
    return ok;
}

}  // namespace

int runBigDataBench(const QString& stack, bool json)
{
    using namespace mitoseg::ui;
    // Cold: the stack's pages leave the page cache before the open and again before browsing.
    const bool cold = evictFromPageCache(stack);
    const auto t0 = Clock::now();
    StudioDocument doc;
    LayerSettings layers;
    try {
        doc.setImage(ImageSource::openTiff(stack.toStdString()));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mitoseg-studio --bench-bigdata: %s\n", e.what());
        return 1;
    }
    const Shape s = doc.shape();
    SliceView view(&doc, &layers);
    view.resize(1024, 768);
    view.fitToWindow();
    QImage target(1024, 768, QImage::Format_RGB32);
    auto render = [&] {
        QPainter p(&target);
        view.render(p, target.size());
    };
    render();   // the first slice on screen ends the open
    const double openS = seconds(t0, Clock::now());
    const double stackGb = static_cast<double>(s.voxels()) / double(1ull << 30);
    std::printf("bench-bigdata stack: %s, %lld x %lld x %lld (z, y, x), %.2f GiB of voxels, memory budget %s\n",
                qPrintable(stack), static_cast<long long>(s.depth), static_cast<long long>(s.height),
                static_cast<long long>(s.width), stackGb, formatBytes(memoryBudget()).c_str());
    std::printf("open (to the first slice on screen)%s: %.3f s\n", cold ? ", page cache evicted" : "", openS);

    // Browse 100 slices spread over the stack: each a miss of the studio's caches (read,
    // compose, paint). First with the stack's pages out of the page cache (from the disk), then
    // the same slices again with them in it.
    const int browse = 100;
    auto browseSlices = [&] {
        std::vector<double> change;
        for (int i = 0; i < browse; ++i) {
            const std::int64_t z = s.depth <= 1 ? 0 : static_cast<std::int64_t>(i) * (s.depth - 1) / (browse - 1);
            const auto a = Clock::now();
            view.setSlice(z);
            render();
            change.push_back(seconds(a, Clock::now()) * 1000.0);
        }
        return change;
    };
    const bool coldBrowse = cold && evictFromPageCache(stack);
    const std::vector<double> change = browseSlices();
    const std::vector<double> warm = browseSlices();
    const double changeMedian = percentile(change, 0.5), changeP99 = percentile(change, 0.99);
    std::printf("slice change over %d slices spread over the stack, %s: median %.2f ms, p99 %.2f ms\n", browse,
                coldBrowse ? "read from the disk (page cache evicted)" : "page cache not evicted", changeMedian, changeP99);
    std::printf("the same slices again, from the page cache: median %.2f ms, p99 %.2f ms\n", percentile(warm, 0.5),
                percentile(warm, 0.99));

    // Paint one stroke on each of 6 slices spread over the stack, then undo the last one.
    auto& mask = doc.mask();
    std::vector<std::int64_t> painted;
    std::vector<double> strokeMs;
    const int strokes = 6;
    for (int i = 0; i < strokes; ++i) {
        const std::int64_t z = s.depth <= 1 ? 0 : (static_cast<std::int64_t>(i) * 2 + 1) * (s.depth - 1) / (2 * strokes);
        const auto a = Clock::now();
        view.setSlice(z);
        mask.beginStroke("Brush");
        mask.stampLine(z, s.width / 4, s.height / 4 + i * 5, s.width * 3 / 4, s.height * 3 / 4, 12, 1);
        mask.commitStroke();
        render();
        strokeMs.push_back(seconds(a, Clock::now()) * 1000.0);
        painted.push_back(z);
    }
    const auto u0 = Clock::now();
    mask.undo();
    render();
    const double undoMs = seconds(u0, Clock::now()) * 1000.0;
    std::printf("stroke (slice change + 1 stroke of radius 12 + paint): median %.2f ms; undo %.2f ms\n",
                percentile(strokeMs, 0.5), undoMs);

    // Save the mask, streamed page by page to a temporary TIFF (temp + rename), then check it.
    const QString out = QDir(QString::fromStdString(scratchDirectory().string()))
                            .filePath(QStringLiteral("mitoseg-bigdata-%1.tif").arg(::getpid()));
    const auto w0 = Clock::now();
    bool saved = true;
    try {
        writeMaskStack(out.toStdString(), mask.snapshot(), doc.spacing());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mitoseg-studio --bench-bigdata: saving failed: %s\n", e.what());
        saved = false;
    }
    const double saveS = seconds(w0, Clock::now());
    bool verified = false;
    if (saved) {
        try {
            auto back = TiffStack::open(out.toStdString());
            std::vector<std::uint8_t> slice(static_cast<std::size_t>(s.sliceVoxels()));
            const auto fg = [&](std::int64_t z) {
                back->readSlice(z, slice.data());
                return std::count_if(slice.begin(), slice.end(), [](std::uint8_t v) { return v != 0; });
            };
            verified = back->info().shape == s && fg(painted.front()) > 0 && fg(painted.back()) == 0;
        } catch (const std::exception& e) {
            std::fprintf(stderr, "mitoseg-studio --bench-bigdata: reading the saved mask back failed: %s\n", e.what());
        }
    }
    QFile::remove(out);
    std::printf("save (streamed TIFF, %lld pages): %.3f s, read back %s\n", static_cast<long long>(s.depth), saveS,
                verified ? "ok (painted slices set, the undone one clear)" : "WRONG");
    const auto st = mask.labels().stats();
    const double rss = peakRssMb();
    std::printf("mask store: %lld slices cached (%s), %s encoded in memory, %s spilled\n",
                static_cast<long long>(st.cachedSlices), formatBytes(st.cachedBytes).c_str(),
                formatBytes(st.encodedBytes).c_str(), formatBytes(st.spilledBytes).c_str());
    std::printf("peak RSS: %.1f MB\n", rss);
    if (json) {
        QJsonObject o;
        o.insert(QStringLiteral("stack"), stack);
        o.insert(QStringLiteral("depth"), static_cast<qint64>(s.depth));
        o.insert(QStringLiteral("height"), static_cast<qint64>(s.height));
        o.insert(QStringLiteral("width"), static_cast<qint64>(s.width));
        o.insert(QStringLiteral("stack_gb"), stackGb);
        o.insert(QStringLiteral("memory_budget_mb"), static_cast<double>(memoryBudget()) / double(1 << 20));
        o.insert(QStringLiteral("peak_rss_mb"), rss);
        o.insert(QStringLiteral("open_s"), openS);
        o.insert(QStringLiteral("slice_change_ms_median"), changeMedian);
        o.insert(QStringLiteral("slice_change_ms_p99"), changeP99);
        o.insert(QStringLiteral("slice_change_cold"), coldBrowse);
        o.insert(QStringLiteral("slice_change_warm_ms_median"), percentile(warm, 0.5));
        o.insert(QStringLiteral("slice_change_warm_ms_p99"), percentile(warm, 0.99));
        o.insert(QStringLiteral("stroke_ms_median"), percentile(strokeMs, 0.5));
        o.insert(QStringLiteral("undo_ms"), undoMs);
        o.insert(QStringLiteral("save_s"), saveS);
        o.insert(QStringLiteral("saved_ok"), verified);
        std::printf("%s\n", QJsonDocument(o).toJson(QJsonDocument::Compact).constData());
    }
    std::fflush(stdout);
    return verified ? 0 : 1;
}

}  // namespace mitoseg::studio
