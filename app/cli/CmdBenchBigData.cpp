// `mitoseg bench bigdata`: peak RSS and wall time of predict, mesh and evaluate (and the
// studio's --bench-bigdata, when a studio that has it sits beside this binary) on generated
// uint8 BigTIFF stacks of growing size, each run as a child process (peak RSS from wait4).
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "app/cli/Args.h"
#include "app/cli/ChildRun.h"
#include "app/cli/Command.h"
#include "core/base/Error.h"
#include "core/base/Memory.h"
#include "core/engine/Json.h"
#include "core/io/TiffSliceWriter.h"

namespace mitoseg::cli {

namespace {

const char* kHelp =
    "usage: mitoseg bench bigdata [--sizes 1G,4G,16G] [--json] [--keep DIR] [--model M.msm]\n"
    "                             [--threads N] [--width W --height H]\n"
    "\n"
    "Generates a uint8 BigTIFF stack of each size (an EM-like image and a mask of blob objects,\n"
    "some crossing many slices) in a folder under $TMPDIR, runs `mitoseg predict`, `mitoseg mesh`\n"
    "(--stats) and `mitoseg evaluate --objects` on it as child processes at the memory budget\n"
    "(--memory-budget, else MITOSEG_MEMORY_BUDGET, else 1G), and prints wall seconds and peak\n"
    "RSS (wait4) per size and command; then, per command, whether the peak RSS is flat across\n"
    "sizes (within 20%) and under 1.5 GB. The files of a size are deleted before the next one\n"
    "(--keep DIR: generated in DIR and kept); a size the disk cannot hold (image, mask and\n"
    "prediction) is skipped.\n"
    "\n"
    "Prediction uses a tiny generated U-Net (preset tiny, a few training steps): the same\n"
    "streamed pipeline with few FLOPs, so the predict row measures the pipeline's memory, not\n"
    "the shipped model's speed. --model M runs M instead.\n"
    "If `mitoseg-studio` sits beside this binary and has --bench-bigdata, it runs on each stack\n"
    "too (a studio row: open, browse, paint, save offscreen); otherwise that row is skipped with\n"
    "the reason.\n"
    "\n"
    "  --sizes LIST     stack sizes (bytes with K, M, G suffixes; default 1G,4G,16G)\n"
    "  --threads N      threads of each child (default 2)\n"
    "  --width W --height H   slice size (default 1024 x 1024)\n"
    "  --json           one JSON object instead of the table\n";


struct Blob {
    double cz, cy, cx, rz, ry, rx;
    std::int64_t z0, z1;
};

/// Writes image.tif and mask.tif of `shape` into `dir`, slice by slice: noisy grey background,
/// brighter textured ellipsoids (about one new one per slice, 3-120 slices long) as the mask.
void generateStack(const std::filesystem::path& dir, const Shape& shape)
{
    std::mt19937_64 rng(20261202);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::vector<Blob> blobs;
    const auto count = static_cast<std::size_t>(std::max<std::int64_t>(4, shape.depth));
    for (std::size_t i = 0; i < count; ++i) {
        Blob b;
        b.cz = u(rng) * static_cast<double>(shape.depth);
        b.cy = u(rng) * static_cast<double>(shape.height);
        b.cx = u(rng) * static_cast<double>(shape.width);
        b.rz = 1.5 + (u(rng) < 0.2 ? 60.0 * u(rng) : 6.0 * u(rng));
        b.ry = 6.0 + 30.0 * u(rng);
        b.rx = 6.0 + 30.0 * u(rng);
        b.z0 = std::max<std::int64_t>(0, static_cast<std::int64_t>(std::ceil(b.cz - b.rz)));
        b.z1 = std::min<std::int64_t>(shape.depth - 1, static_cast<std::int64_t>(std::floor(b.cz + b.rz)));
        if (b.z0 <= b.z1)
            blobs.push_back(b);
    }
    std::sort(blobs.begin(), blobs.end(), [](const Blob& a, const Blob& b) { return a.z0 < b.z0; });
    TiffWriteOptions o;
    o.forceBigTiff = true;
    TiffSliceWriter image(dir / "image.tif", SampleType::U8, shape, Spacing{}, o);
    TiffSliceWriter mask(dir / "mask.tif", SampleType::U8, shape, Spacing{}, o);
    const auto n = static_cast<std::size_t>(shape.sliceVoxels());
    std::vector<std::uint8_t> img(n), lab(n);
    std::vector<const Blob*> active;
    std::size_t next = 0;
    std::uint64_t state = 0x9E3779B97F4A7C15ull;
    for (std::int64_t z = 0; z < shape.depth; ++z) {
        for (std::size_t i = 0; i < n; ++i) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            img[i] = static_cast<std::uint8_t>(90 + (state & 31));
        }
        std::fill(lab.begin(), lab.end(), 0);
        while (next < blobs.size() && blobs[next].z0 <= z)
            active.push_back(&blobs[next++]);
        active.erase(std::remove_if(active.begin(), active.end(), [z](const Blob* b) { return b->z1 < z; }), active.end());
        for (const Blob* b : active) {
            const double t = (static_cast<double>(z) - b->cz) / b->rz, s = 1.0 - t * t;
            if (s <= 0)
                continue;
            const double ry = b->ry * std::sqrt(s), rx = b->rx * std::sqrt(s);
            const auto y0 = std::max<std::int64_t>(0, static_cast<std::int64_t>(b->cy - ry));
            const auto y1 = std::min<std::int64_t>(shape.height - 1, static_cast<std::int64_t>(b->cy + ry));
            for (std::int64_t y = y0; y <= y1; ++y) {
                const double dy = (static_cast<double>(y) - b->cy) / ry, w = 1.0 - dy * dy;
                if (w < 0)
                    continue;
                const double half = rx * std::sqrt(w);
                const auto x0 = std::max<std::int64_t>(0, static_cast<std::int64_t>(std::ceil(b->cx - half)));
                const auto x1 = std::min<std::int64_t>(shape.width - 1, static_cast<std::int64_t>(std::floor(b->cx + half)));
                for (std::int64_t x = x0; x <= x1; ++x) {
                    const auto i = static_cast<std::size_t>(y * shape.width + x);
                    lab[i] = 255;
                    img[i] = static_cast<std::uint8_t>(170 + (img[i] & 31));
                }
            }
        }
        image.write(img.data());
        mask.write(lab.data());
    }
    image.commit();
    mask.commit();
}

/// A tiny binary U-Net trained for a few steps on a small generated stack, in `dir`.
std::filesystem::path makeTinyModel(const std::filesystem::path& dir, const std::string& threads)
{
    generateStack(dir, Shape{6, 128, 128});
    std::filesystem::rename(dir / "image.tif", dir / "tiny-image.tif");
    std::filesystem::rename(dir / "mask.tif", dir / "tiny-mask.tif");
    const std::filesystem::path model = dir / "tiny.msm";
    const ChildRun r = runChild({selfPath().string(), "train", (dir / "tiny-image.tif").string(), (dir / "tiny-mask.tif").string(),
                                 "--out", model.string(), "--preset", "tiny", "--steps", "20", "--batch", "2", "--patch", "64",
                                 "--val-z", "5-5", "--validate-every", "20", "--threads", threads});
    if (!r.ok)
        throw Error("cannot make the tiny benchmark model: mitoseg train " + r.reason);
    std::filesystem::remove(dir / "tiny-image.tif");
    std::filesystem::remove(dir / "tiny-mask.tif");
    return model;
}

std::string sizeLabel(std::uint64_t bytes)
{
    if (bytes >= (1ull << 30) && bytes % (1ull << 30) == 0)
        return std::to_string(bytes >> 30) + "G";
    if (bytes >= (1ull << 20))
        return std::to_string((bytes + (1ull << 19)) >> 20) + "M";
    return std::to_string(bytes) + "B";
}

struct Row {
    std::string size, command;
    std::uint64_t bytes = 0;
    ChildRun run;
    bool skipped = false;
    std::string note;
};

int run(const std::vector<std::string>& argv)
{
    Args args(argv, {"sizes", "keep", "model", "threads", "width", "height"}, {"json"});
    args.expectPositionals(0, 0);
    std::vector<std::uint64_t> sizes;
    {
        for (const std::string& item : splitCommas(args.value("sizes", "1G,4G,16G"))) {
            const auto b = parseByteSize(item);
            if (!b)
                throw UsageError("--sizes: '" + item + "' is not a size (e.g. 20M, 1G)");
            sizes.push_back(*b);
        }
    }
    const std::string threads = std::to_string(args.integer("threads", 2, 1, 1024));
    const std::int64_t width = args.integer("width", 1024, 16, 65536), height = args.integer("height", 1024, 16, 65536);
    const bool json = args.flag("json");
    const std::string budget = budgetArgument(memoryBudget());
    const bool keep = args.value("keep").has_value();
    const std::filesystem::path dir = keep ? std::filesystem::path(*args.value("keep"))
                                           : std::filesystem::temp_directory_path() / ("mitoseg-bigdata-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::filesystem::path studio = selfPath().parent_path() / "mitoseg-studio";
    // Qt makes a runtime folder in $TMPDIR when XDG_RUNTIME_DIR is unset: give it one inside
    // this run's folder, so nothing stays behind.
    std::vector<std::string> studioEnv{"QT_QPA_PLATFORM=offscreen"};
    if (!std::getenv("XDG_RUNTIME_DIR")) {
        const std::filesystem::path runtime = dir / "xdg-runtime";
        std::filesystem::create_directories(runtime);
        std::filesystem::permissions(runtime, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace);
        studioEnv.push_back("XDG_RUNTIME_DIR=" + runtime.string());
    }
    std::vector<Row> rows;
    try {
        std::filesystem::path model;
        std::string modelNote = "tiny generated U-Net: pipeline memory, not model speed";
        if (auto m = args.value("model")) {
            model = *m;
            modelNote = "model " + model.filename().string();
        } else {
            if (!json)
                std::fprintf(stderr, "bench bigdata: training the tiny benchmark model\n");
            model = makeTinyModel(dir, threads);
        }
        // Does the studio have the benchmark?
        std::string studioSkip;
        if (!std::filesystem::exists(studio)) {
            studioSkip = "no mitoseg-studio beside " + selfPath().string();
        } else {
            const ChildRun h = runChild({studio.string(), "--help"}, studioEnv);
            if (h.output.find("--bench-bigdata") == std::string::npos)
                studioSkip = "mitoseg-studio has no --bench-bigdata";
        }
        for (const std::uint64_t bytes : sizes) {
            const std::string label = sizeLabel(bytes);
            const Shape shape{std::max<std::int64_t>(1, static_cast<std::int64_t>(bytes / static_cast<std::uint64_t>(width * height))),
                              height, width};
            const auto stackBytes = static_cast<std::uint64_t>(shape.voxels());
            struct statvfs fs {};
            const std::uint64_t free = ::statvfs(dir.c_str(), &fs) == 0 ? static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize : 0;
            const std::uint64_t need = stackBytes * 3 + stackBytes / 4 + (256ull << 20);   // image, mask, prediction, spills
            if (free < need) {
                for (const char* c : {"predict", "mesh", "evaluate", "studio"})
                    rows.push_back({label, c, stackBytes, {}, true,
                                    "not enough disk: " + formatBytes(need) + " needed, " + formatBytes(free) + " free"});
                continue;
            }
            if (!json)
                std::fprintf(stderr, "bench bigdata: generating %s (%lld x %lld x %lld) in %s\n", label.c_str(),
                             static_cast<long long>(shape.depth), static_cast<long long>(shape.height),
                             static_cast<long long>(shape.width), dir.c_str());
            generateStack(dir, shape);
            const std::string image = (dir / "image.tif").string(), mask = (dir / "mask.tif").string(),
                              pred = (dir / "pred.tif").string();
            const std::string self = selfPath().string();
            auto add = [&](const char* command, const std::vector<std::string>& childArgv, const std::string& note) {
                if (!json)
                    std::fprintf(stderr, "bench bigdata: %s %s\n", label.c_str(), command);
                rows.push_back({label, command, stackBytes, runChild(childArgv), false, note});
                return rows.back().run.ok;
            };
            const bool predicted = add("predict",
                                       {self, "predict", image, "--out", pred, "--model", model.string(), "--threads", threads,
                                        "--memory-budget", budget},
                                       modelNote);
            add("mesh", {self, "mesh", mask, "--stats", (dir / "objects.csv").string(), "--memory-budget", budget},
                "mask objects, --stats");
            if (predicted)
                add("evaluate", {self, "evaluate", pred, mask, "--objects", "--json", "--memory-budget", budget},
                    "prediction vs mask, --objects");
            else
                rows.push_back({label, "evaluate", stackBytes, {}, true, "no prediction"});
            if (studioSkip.empty()) {
                if (!json)
                    std::fprintf(stderr, "bench bigdata: %s studio\n", label.c_str());
                Row r{label, "studio", stackBytes, runChild({studio.string(), "--bench-bigdata", image, "--json", "--memory-budget", budget}, studioEnv), false, ""};
                if (r.run.ok) {
                    // The studio's own figures: its last JSON line.
                    const std::string out = r.run.output.substr(0, r.run.output.find_last_not_of("\n") + 1);
                    try {
                        const Json j = Json::parse(out.substr(out.find_last_of('\n') + 1));
                        char text[160];
                        std::snprintf(text, sizeof text, "slice change median %.1f ms, p99 %.1f ms%s (warm p99 %.1f ms)",
                                      j.number("slice_change_ms_median", -1), j.number("slice_change_ms_p99", -1),
                                      j.boolean("slice_change_cold", false) ? " from the disk" : "",
                                      j.number("slice_change_warm_ms_p99", -1));
                        r.note = text;
                        if (j.find("peak_rss_mb"))
                            r.run.peakRssMb = std::max(r.run.peakRssMb, j.number("peak_rss_mb", 0));
                    } catch (const Error&) {
                        r.note = "no JSON line from the studio";
                    }
                }
                rows.push_back(r);
            } else {
                rows.push_back({label, "studio", stackBytes, {}, true, studioSkip});
            }
            if (!keep)
                for (const char* f : {"image.tif", "mask.tif", "pred.tif", "objects.csv"})
                    std::filesystem::remove(dir / f);
        }
    } catch (...) {
        if (!keep)
            std::filesystem::remove_all(dir);
        throw;
    }
    if (!keep)
        std::filesystem::remove_all(dir);

    // Per command: flat across sizes (max within 20% of min) and under 1.5 GB.
    struct Verdict {
        std::string command;
        double lo = 1e300, hi = 0;
        int runs = 0;
    };
    std::vector<Verdict> verdicts;
    for (const char* c : {"predict", "mesh", "evaluate", "studio"}) {
        Verdict v{c};
        for (const Row& r : rows)
            if (r.command == c && !r.skipped && r.run.ok) {
                v.lo = std::min(v.lo, r.run.peakRssMb);
                v.hi = std::max(v.hi, r.run.peakRssMb);
                ++v.runs;
            }
        verdicts.push_back(v);
    }
    auto flat = [](const Verdict& v) { return v.runs >= 2 && v.hi <= 1.2 * v.lo; };
    auto under = [](const Verdict& v) { return v.runs >= 1 && v.hi < 1536.0; };
    if (json) {
        Json j = Json::object();
        j["memory_budget"] = budget;
        Json list = Json::array();
        for (const Row& r : rows) {
            Json o = Json::object();
            o["size"] = r.size;
            o["bytes"] = static_cast<double>(r.bytes);
            o["command"] = r.command;
            o["ok"] = !r.skipped && r.run.ok;
            o["skipped"] = r.skipped;
            o["seconds"] = r.run.seconds;
            o["peak_rss_mb"] = r.run.peakRssMb;
            o["note"] = r.skipped ? r.note : (r.run.ok ? r.note : r.run.reason);
            list.push(o);
        }
        j["runs"] = list;
        Json summary = Json::object();
        for (const Verdict& v : verdicts) {
            Json s = Json::object();
            s["runs"] = v.runs;
            s["flat"] = flat(v);
            s["under_1_5_gb"] = under(v);
            s["max_peak_rss_mb"] = v.hi;
            summary[v.command] = s;
        }
        j["summary"] = summary;
        std::cout << j.dump() << "\n";
        return 0;
    }
    std::printf("memory budget %s; RSS = peak resident set of the child (wait4)\n", budget.c_str());
    std::printf("%-6s %-9s %10s %12s  %s\n", "size", "command", "seconds", "peak RSS MB", "note");
    for (const Row& r : rows) {
        if (r.skipped)
            std::printf("%-6s %-9s %10s %12s  skipped: %s\n", r.size.c_str(), r.command.c_str(), "-", "-", r.note.c_str());
        else if (!r.run.ok)
            std::printf("%-6s %-9s %10.1f %12.0f  FAILED: %s\n", r.size.c_str(), r.command.c_str(), r.run.seconds,
                        r.run.peakRssMb, r.run.reason.c_str());
        else
            std::printf("%-6s %-9s %10.1f %12.0f  %s\n", r.size.c_str(), r.command.c_str(), r.run.seconds, r.run.peakRssMb,
                        r.note.c_str());
    }
    for (const Verdict& v : verdicts) {
        if (v.runs == 0) {
            std::printf("%-9s no runs\n", v.command.c_str());
            continue;
        }
        std::printf("%-9s peak RSS %.0f-%.0f MB: %s, %s\n", v.command.c_str(), v.lo, v.hi,
                    v.runs < 2 ? "flatness needs two sizes" : (flat(v) ? "flat (within 20%)" : "NOT flat"),
                    under(v) ? "under 1.5 GB" : "NOT under 1.5 GB");
    }
    return 0;
}

}  // namespace

const Command kBenchBigDataCommand{"bench bigdata", "peak RSS of predict, mesh, evaluate (and the studio) on generated stacks of 1-16 GB",
                                   kHelp, &run};

}  // namespace mitoseg::cli
