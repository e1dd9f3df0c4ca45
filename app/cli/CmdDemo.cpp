// `mitoseg demo`: the headless pipeline on the generated demo stack. It runs as a sequence of
// stages sharing one DemoRun; each stage prints its own results, so later stages (predict,
// evaluate, mesh) slot in by appending to stages().
#include <limits>
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
#include "core/engine/Segmenter.h"
#include "core/engine/Trainer.h"
#include "core/mesh/MeshWriter.h"
#include "core/mesh/ObjectMeasures.h"
#include "core/mesh/SurfaceExtractor.h"
#include "core/metrics/Components.h"
#include "core/metrics/Metrics.h"

namespace mitoseg::cli {

namespace {

namespace fs = std::filesystem;

/// State handed from stage to stage.
struct DemoRun {
    DemoOptions options;
    fs::path outDir;
    DemoStack stack;
    fs::path imagePath, labelsPath, mitoMaskPath;
    std::int64_t trainSteps = 300;   ///< 0: no model stages (train, predict, evaluate)
    int threads = 0;
    std::int64_t valBegin = 0, valEnd = 0;   ///< held-out z-range (inclusive)
    fs::path modelPath;
    VolumeU8 predicted;               ///< labels predicted by the demo model (empty without one)
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
        *dims[i] = parseInteger(part, "--size (ZxYxX, e.g. 48x384x512; each extent)", 1, 8192);
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


/// Trains a small three-class U-Net (background, membrane, mitochondria) on the first slices
/// and validates on the last eighth of the stack (held out by z, never random patches).
void trainStage(DemoRun& run, std::ostream& out)
{
    const std::int64_t depth = run.stack.image.depth();
    const std::int64_t held = std::max<std::int64_t>(1, depth / 8);
    if (depth < 2)
        throw Error("the demo stack needs at least 2 slices to hold some out for validation");
    run.valBegin = depth - held;
    run.valEnd = depth - 1;
    run.modelPath = run.outDir / "demo-model.msm";
    TrainConfig config;
    config.arch.classes = 3;
    config.steps = run.trainSteps;
    config.patch = static_cast<int>(std::min<std::int64_t>({128, run.stack.image.height(), run.stack.image.width()}));
    config.warmupSteps = std::min<std::int64_t>(30, run.trainSteps / 5);
    config.validateEvery = std::max<std::int64_t>(50, run.trainSteps / 3);
    config.outModel = run.modelPath;
    config.threads = run.threads;
    config.classNames = run.stack.classNames;
    config.dataDescription = "mitoseg demo stack, seed " + std::to_string(run.options.seed);
    TrainData data;
    data.image = &run.stack.image;
    data.labels = &run.stack.labels;
    data.valBegin = run.valBegin;
    data.valEnd = run.valEnd;
    CancelToken never;
    std::int64_t lastShown = -1;
    const TrainResult result = train(config, data, [&](const TrainProgress& p) {
        if (p.validated || p.step == p.totalSteps || p.step / 50 != lastShown) {
            lastShown = p.step / 50;
            std::cerr << "\r  step " << p.step << "/" << p.totalSteps << "  loss " << fixed(p.averageLoss, 4)
                      << "  " << fixed(p.secondsPerStep, 2) << " s/step" << std::flush;
        }
    }, never);
    std::cerr << "\n";
    out << "  network          U-Net preset '" << config.arch.preset << "', 3 classes, " << result.steps << " steps in "
        << fixed(result.seconds, 1) << " s\n"
        << "  validation       slices " << run.valBegin << "-" << run.valEnd << " held out; best foreground IoU "
        << fixed(result.bestValIoU, 4) << " at step " << result.bestStep << "\n"
        << "  model            " << run.modelPath.string() << "\n";
}

void predictStage(DemoRun& run, std::ostream& out)
{
    auto segmenter = Segmenter::load(run.modelPath);
    PredictOptions options;
    options.threads = run.threads;
    StackPrediction prediction = segmenter->predictStack(run.stack.image, options);
    run.predicted = std::move(prediction.labels);
    run.predicted.spacing = run.stack.labels.spacing;
    const fs::path path = run.outDir / "demo-prediction.tif";
    TiffWriteOptions masks;
    masks.compression = TiffCompression::Deflate;
    writeStack(path, run.predicted, masks);  // raw class values, even if a class is absent
    out << "  prediction       " << path.string() << "  (values as demo-labels.tif)\n";
}

void evaluateStage(DemoRun& run, std::ostream& out)
{
    const auto& names = run.stack.classNames;
    auto report = [&](const char* what, std::int64_t z0, std::int64_t z1) {
        const OverlapScores s = overlapScores(run.predicted, run.stack.labels, static_cast<int>(names.size()), z0, z1);
        out << "  " << what << " (z " << z0 << "-" << z1 << "):";
        for (std::size_t c = 1; c < s.classIoU.size(); ++c)
            out << "  " << names[c] << " IoU " << fixed(s.classIoU[c], 4);
        out << "  mean " << fixed(s.meanIoU, 4) << "\n";
    };
    report("held-out", run.valBegin, run.valEnd);
    report("all slices", 0, run.stack.labels.depth() - 1);
    VolumeU8 predMito(run.predicted.shape()), trueMito(run.predicted.shape());
    for (std::size_t i = 0; i < predMito.values().size(); ++i) {
        predMito.values()[i] = run.predicted.values()[i] == kDemoMitochondrion;
        trueMito.values()[i] = run.stack.labels.values()[i] == kDemoMitochondrion;
    }
    const ObjectScores o = objectScores(predMito, trueMito);
    out << "  mitochondria objects (3D, matched at IoU 0.5): " << o.matched << " of " << o.truth << " found, "
        << o.predicted << " predicted; precision " << fixed(o.precision, 3) << ", recall " << fixed(o.recall, 3)
        << ", F1 " << fixed(o.f1, 3) << "\n";
}

/// A volume in the spacing's unit cubed, shown in um^3 when the unit is nm.
std::string volumeText(double volume, const std::string& unit)
{
    if (unit == "nm")
        return fixed(volume / 1e9, 4) + " um^3";
    return fixed(volume, 1) + " " + unit + "^3";
}

/// Surfaces and measurements of the mitochondria: the predicted ones when a model ran, else
/// the known labels.
void meshStage(DemoRun& run, std::ostream& out)
{
    const bool predicted = !run.predicted.empty();
    const VolumeU8& source = predicted ? run.predicted : run.stack.labels;
    MeshOptions options;
    options.label = kDemoMitochondrion;
    options.minVoxels = 50;
    options.threads = run.threads;
    const MeshScene scene = buildMeshScene(source, source.spacing, options);
    const fs::path stl = run.outDir / "demo-mitochondria.stl";
    const fs::path csv = run.outDir / "demo-mitochondria.csv";
    writeMesh(stl, scene.mesh, MeshFormat::Stl);
    writeMeasuresCsv(csv, scene.objects, source.spacing);
    double volume = 0;
    for (const auto& o : scene.objects)
        volume += o.volume;
    out << "  source           " << (predicted ? "predicted mitochondria" : "known mitochondria labels") << "\n"
        << "  objects          " << scene.objects.size() << " (>= " << options.minVoxels << " voxels), "
        << scene.mesh.triangleCount() << " triangles\n"
        << "  mean volume      " << volumeText(scene.objects.empty() ? 0.0 : volume / static_cast<double>(scene.objects.size()), source.spacing.unit) << "\n"
        << "  surfaces         " << stl.string() << "\n"
        << "  measurements     " << csv.string() << "\n";
}

/// The pipeline, in order; the model stages only run when training is asked for.
std::vector<Stage> stages(const DemoRun& run)
{
    std::vector<Stage> list = {
        {"generate demo stack", &generateStage},
        {"write TIFF stacks", &writeStage},
        {"label summary", &summaryStage},
    };
    if (run.trainSteps > 0) {
        list.push_back({"train a 3-class U-Net (background, membrane, mitochondria)", &trainStage});
        list.push_back({"predict the whole stack", &predictStage});
        list.push_back({"evaluate against the known labels", &evaluateStage});
    }
    list.push_back({"3D surfaces and measurements of the mitochondria", &meshStage});
    return list;
}

int run(const std::vector<std::string>& words)
{
    const Args args(words, {"out", "seed", "size", "steps", "threads"}, {});
    args.expectPositionals(0, 0);
    DemoRun run;
    const long long seed = args.integer("seed", 1, 0, std::numeric_limits<long long>::max());
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
    run.trainSteps = args.integer("steps", run.trainSteps, 0, 100000000);
    if (run.trainSteps < 0)
        throw UsageError("--steps must be 0 or more");
    run.threads = static_cast<int>(args.integer("threads", 0, 0, 1024));
    std::cout << "mitoseg demo: EM-like neuropil stack with known labels\n";
    const auto list = stages(run);
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
    "usage: mitoseg demo [--out DIR] [--seed N] [--size ZxYxX] [--steps N] [--threads N]\n"
    "\n"
    "The headless pipeline on the built-in demo: generates a FIB-SEM-like stack of neuropil (5 nm\n"
    "voxels) with known labels (0 background, 1 membrane, 2 mitochondrion) and writes it as TIFF;\n"
    "trains a small 3-class U-Net on all but the last eighth of the slices, predicts the whole\n"
    "stack, scores it per class on the held-out slices, and meshes the mitochondria (STL + CSV).\n"
    "The same seed and size give identical stacks on every machine.\n"
    "\n"
    "  --out DIR      output folder, created if needed (default ./mitoseg-demo); writes\n"
    "                 demo-image.tif, demo-labels.tif and demo-mito-mask.tif (0/255)\n"
    "  --seed N       random seed, a non-negative integer (default 1)\n"
    "  --size ZxYxX   stack size in voxels (default 48x384x512)\n"
    "  --steps N      training steps (default 300; 0 skips train/predict/evaluate and meshes the\n"
    "                 known labels)\n"
    "  --threads N    CPU threads (default: all cores)\n",
    &run};

}  // namespace mitoseg::cli
