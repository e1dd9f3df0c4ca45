// `mitoseg demo`: the headless pipeline on the generated demo stack. It runs as a sequence of
// stages sharing one DemoRun; each stage prints its own results, so later stages (predict,
// evaluate, mesh) slot in by appending to stages().
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "app/cli/Args.h"
#include "app/cli/Command.h"
#include "core/base/Error.h"
#include "core/demo/DemoStack.h"
#include "core/io/TiffWriter.h"
#include "core/metrics/Components.h"

namespace mitoseg::cli {

namespace {

namespace fs = std::filesystem;

/// State handed from stage to stage.
struct DemoRun {
    DemoOptions options;
    fs::path outDir;
    DemoStack stack;
    fs::path imagePath, labelsPath, mitoMaskPath;
};

/// One step of the pipeline: prints what it did on `out`, throws on failure.
struct Stage {
    std::string name;
    std::function<void(DemoRun&, std::ostream& out)> run;
};

std::string fixed(double v, int digits)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

std::string shapeText(const Shape& s)
{
    return std::to_string(s.depth) + " x " + std::to_string(s.height) + " x " + std::to_string(s.width);
}

// "ZxYxX" with positive integers, e.g. 48x384x512.
Shape parseSize(const std::string& text)
{
    Shape s;
    std::int64_t* dims[3] = {&s.depth, &s.height, &s.width};
    std::size_t pos = 0;
    for (int i = 0; i < 3; ++i) {
        const std::size_t end = i < 2 ? text.find_first_of("xX", pos) : text.size();
        if (end == std::string::npos)
            throw UsageError("--size needs ZxYxX (e.g. 48x384x512), got '" + text + "'");
        const std::string part = text.substr(pos, end - pos);
        if (part.empty() || part.size() > 6 || part.find_first_not_of("0123456789") != std::string::npos)
            throw UsageError("--size needs ZxYxX with whole numbers (e.g. 48x384x512), got '" + text + "'");
        *dims[i] = std::stoll(part);
        if (*dims[i] < 1 || *dims[i] > 8192)
            throw UsageError("--size: each extent must be within 1..8192, got '" + text + "'");
        pos = end + 1;
    }
    if (s.voxels() > (std::int64_t{1} << 30))
        throw UsageError("--size " + text + " is more than 2^30 voxels; the demo is meant to be small");
    return s;
}

void generateStage(DemoRun& run, std::ostream& out)
{
    run.stack = generateDemoStack(run.options);
    const VolumeU8& img = run.stack.image;
    out << "  shape (z, y, x)  " << shapeText(img.shape()) << " voxels, uint8\n"
        << "  spacing          " << img.spacing.z << " x " << img.spacing.y << " x " << img.spacing.x << " "
        << img.spacing.unit << "\n"
        << "  seed             " << run.options.seed << "\n";
}

void writeStage(DemoRun& run, std::ostream& out)
{
    std::error_code ec;
    fs::create_directories(run.outDir, ec);
    if (ec)
        throw IoError(IoError::Kind::WriteFailed, run.outDir, -1, "cannot create the output folder: " + ec.message());
    run.imagePath = run.outDir / "demo-image.tif";
    run.labelsPath = run.outDir / "demo-labels.tif";
    run.mitoMaskPath = run.outDir / "demo-mito-mask.tif";
    TiffWriteOptions masks;
    masks.compression = TiffCompression::Deflate;  // label volumes shrink ~100x, as Lucchi's masks
    writeStack(run.imagePath, run.stack.image);
    writeMask(run.labelsPath, run.stack.labels, masks);
    VolumeU8 mito(run.stack.labels.shape());
    mito.spacing = run.stack.labels.spacing;
    const auto& lab = run.stack.labels.values();
    for (std::size_t i = 0; i < lab.size(); ++i)
        mito.values()[i] = lab[i] == kDemoMitochondrion ? 1 : 0;
    writeMask(run.mitoMaskPath, mito, masks);
    out << "  image            " << run.imagePath.string() << "\n"
        << "  labels           " << run.labelsPath.string() << "  (values: 0 " << run.stack.classNames[0] << ", 1 "
        << run.stack.classNames[1] << ", 2 " << run.stack.classNames[2] << ")\n"
        << "  mitochondria     " << run.mitoMaskPath.string() << "  (binary mask, 0/255)\n";
}

void summaryStage(DemoRun& run, std::ostream& out)
{
    const DemoStack& d = run.stack;
    const std::size_t classes = d.classNames.size();
    std::vector<std::int64_t> count(classes, 0);
    std::vector<double> grey(classes, 0.0);
    const auto& lab = d.labels.values();
    const auto& img = d.image.values();
    for (std::size_t i = 0; i < lab.size(); ++i) {
        ++count[lab[i]];
        grey[lab[i]] += img[i];
    }
    out << "  class            voxels      share   mean grey  objects (6-connected 3D)\n";
    for (std::size_t c = 0; c < classes; ++c) {
        const double share = 100.0 * static_cast<double>(count[c]) / static_cast<double>(lab.size());
        const double mean = count[c] ? grey[c] / static_cast<double>(count[c]) : 0.0;
        std::string objects = "-";
        if (c != kDemoBackground && count[c] > 0) {
            const Components comp = connectedComponents(d.labels, Connectivity::Six, static_cast<int>(c));
            std::int64_t largest = 0;
            for (std::int64_t s : comp.sizes)
                largest = std::max(largest, s);
            objects = std::to_string(comp.count) + " (largest " + std::to_string(largest) + " voxels)";
        }
        char line[160];
        std::snprintf(line, sizeof line, "  %-3zu %-13s %9lld %8s%%  %9s  %s\n", c, d.classNames[c].c_str(),
                      static_cast<long long>(count[c]), fixed(share, 2).c_str(), fixed(mean, 1).c_str(),
                      objects.c_str());
        out << line;
    }
}

/// The pipeline, in order. Later stages (predict, evaluate, mesh) are appended here.
const std::vector<Stage>& stages()
{
    static const std::vector<Stage> list = {
        {"generate demo stack", &generateStage},
        {"write TIFF stacks", &writeStage},
        {"label summary", &summaryStage},
    };
    return list;
}

int run(const std::vector<std::string>& words)
{
    const Args args(words, {"out", "seed", "size"}, {});
    args.expectPositionals(0, 0);
    DemoRun run;
    const long long seed = args.integer("seed", 1);
    if (seed < 0)
        throw UsageError("--seed must be a non-negative integer");
    run.options.seed = static_cast<std::uint64_t>(seed);
    if (const auto size = args.value("size")) {
        const Shape s = parseSize(*size);
        run.options.depth = s.depth;
        run.options.height = s.height;
        run.options.width = s.width;
    }
    run.outDir = args.value("out", "mitoseg-demo");
    std::cout << "mitoseg demo: EM-like neuropil stack with known labels\n";
    const auto& list = stages();
    for (std::size_t i = 0; i < list.size(); ++i) {
        std::cout << "[" << i + 1 << "/" << list.size() << "] " << list[i].name << "\n" << std::flush;
        const auto t0 = std::chrono::steady_clock::now();
        list[i].run(run, std::cout);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::cout << "  done in " << fixed(seconds, 2) << " s\n" << std::flush;
    }
    return 0;
}

}  // namespace

const Command kDemoCommand{
    "demo", "generate the EM-like demo stack and run the headless pipeline",
    "usage: mitoseg demo [--out DIR] [--seed N] [--size ZxYxX]\n"
    "\n"
    "Generates the built-in demo: a FIB-SEM-like stack of neuropil (5 nm voxels) with known labels\n"
    "(0 background, 1 membrane, 2 mitochondrion), writes it as TIFF stacks and prints a summary.\n"
    "The same seed and size give identical files on every machine.\n"
    "\n"
    "  --out DIR      output folder, created if needed (default ./mitoseg-demo); writes\n"
    "                 demo-image.tif, demo-labels.tif and demo-mito-mask.tif (0/255)\n"
    "  --seed N       random seed, a non-negative integer (default 1)\n"
    "  --size ZxYxX   stack size in voxels (default 48x384x512)\n",
    &run};

}  // namespace mitoseg::cli
