#include "app/cli/Args.h"
#include "app/cli/Command.h"
#include "core/base/AtomicFile.h"

#include <chrono>
#include <cstdio>
#include <optional>
#include <iostream>

#include "core/base/Error.h"
#include "core/base/Memory.h"
#include "core/io/TiffStack.h"
#include "core/mesh/MeshWriter.h"
#include "core/mesh/StreamingMesher.h"
#include "core/mesh/SurfaceExtractor.h"

namespace mitoseg::cli {

namespace {

const char* kHelp =
    "usage: mitoseg mesh MASK [--out FILE.stl|.ply|.obj] [--per-object DIR] [--stats CSV]\n"
    "                    [--spacing Z,Y,X] [--unit U] [--smooth N] [--decimate F]\n"
    "                    [--connectivity 6|26] [--min-voxels N] [--label V] [--memory-budget SIZE]\n"
    "\n"
    "Builds 3D surfaces of the objects (connected components) of a mask or label stack, measures\n"
    "them, and exports meshes and a measurement table. At least one of --out, --per-object and\n"
    "--stats is needed. Every file is written atomically (temporary file, then rename).\n"
    "\n"
    "  MASK               multi-page TIFF; every non-zero voxel is foreground (see --label)\n"
    "  --out FILE         all objects in one mesh; the format follows the extension: binary STL,\n"
    "                     binary PLY (with a per-face object_id) or OBJ (one group per object)\n"
    "  --per-object DIR   one mesh per object, DIR/object_0001.<ext> (ext of --out, else .stl)\n"
    "  --stats CSV        one row per object: voxels, voxel volume, mesh volume, surface area,\n"
    "                     sphericity (from the mesh; voxel faces for objects of 1-2 voxels),\n"
    "                     centroid, bounding box, touches_border (1: cut by the volume border);\n"
    "                     the header names the units\n"
    "  --spacing Z,Y,X    voxel size (default: from the TIFF metadata, else 1,1,1)\n"
    "  --unit U           unit of the spacing, e.g. nm (default: from the TIFF, else px)\n"
    "  --smooth N         windowed-sinc smoothing iterations, 0 = none (default 15)\n"
    "  --decimate F       remove this fraction of triangles, 0 <= F < 1 (default 0)\n"
    "  --connectivity C   6 (faces) or 26 (faces, edges, corners; default)\n"
    "  --min-voxels N     drop objects smaller than N voxels (default 1)\n"
    "  --label V          only voxels equal to V (1..255) instead of every non-zero voxel\n"
    "\n"
    "  --memory-budget SIZE  memory for the labelling and the surfaces being made (default\n"
    "                     MITOSEG_MEMORY_BUDGET, else 1G): the mask is read slice by slice,\n"
    "                     objects are merged across slices, and surfaces are extracted for as\n"
    "                     many objects at a time as fit; an object too big to fit is refused\n"
    "                     with the figure before any file is written. --out goes through\n"
    "                     scratch files in $TMPDIR (about the file's size) as objects come.\n"
    "\n"
    "Progress goes to stderr; a summary (objects, triangles, times) to stdout.\n"
    "example: mitoseg mesh mask.tif --spacing 5,5,5 --unit nm --out mito.stl --stats mito.csv\n";

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

Spacing parseSpacing(const std::string& text, const Spacing& base)
{
    const std::vector<double> v = parseNumberList(text, 3, "--spacing Z,Y,X", 1e-30, 1e30);
    Spacing s = base;
    s.z = v[0];
    s.y = v[1];
    s.x = v[2];
    return s;
}

// Prints "mesh: <stage> NN%" on stderr when the stage changes or every 10 %.
class StderrProgress final : public ProgressSink {
public:
    void progress(double done, double total, const std::string& message) override
    {
        const int percent = total > 0 ? static_cast<int>(100.0 * done / total) : 0;
        if (message == last_ && percent / 10 == lastPercent_ / 10)
            return;
        last_ = message;
        lastPercent_ = percent;
        std::fprintf(stderr, "mesh: %s %d%%\n", message.c_str(), percent);
    }

private:
    std::string last_;
    int lastPercent_ = -1;
};

int run(const std::vector<std::string>& words)
{
    Args args(words, {"out", "per-object", "stats", "spacing", "unit", "smooth", "decimate", "connectivity", "min-voxels", "label"},
              {});
    args.expectPositionals(1, 1);
    const std::string maskPath = args.positionals()[0];
    const auto out = args.value("out");
    const auto perObject = args.value("per-object");
    const auto stats = args.value("stats");
    if (!out && !perObject && !stats)
        throw UsageError("nothing to do: give --out, --per-object and/or --stats");

    MeshOptions options;
    const long long smooth = args.integer("smooth", 15, 0, 1000);
    if (smooth < 0 || smooth > 1000)
        throw UsageError("--smooth must be between 0 and 1000");
    options.smoothIterations = static_cast<int>(smooth);
    options.decimate = args.number("decimate", 0.0, 0.0, 1.0);
    if (!(options.decimate >= 0.0 && options.decimate < 1.0))
        throw UsageError("--decimate must be at least 0 and below 1");
    const long long conn = args.integer("connectivity", 26, 6, 26);
    if (conn != 6 && conn != 26)
        throw UsageError("--connectivity must be 6 or 26");
    options.connectivity = conn == 6 ? Connectivity::Six : Connectivity::TwentySix;
    options.minVoxels = args.integer("min-voxels", 1, 1, 1000000000000LL);
    if (options.minVoxels < 1)
        throw UsageError("--min-voxels must be at least 1");
    const long long label = args.integer("label", -1, 1, 255);
    if (args.value("label") && (label < 1 || label > 255))
        throw UsageError("--label must be between 1 and 255 (0 is the background)");
    options.label = static_cast<int>(label);

    // Check output names before the long work.
    MeshFormat format = MeshFormat::Stl;
    if (out)
        format = meshFormatFromPath(*out);
    if (out)
        checkWritableOutput(*out);
    if (stats)
        checkWritableOutput(*stats);
    if (perObject) {
        std::filesystem::create_directories(*perObject);
        checkWritableOutput(std::filesystem::path(*perObject) / "object_0001.stl");
    }

    // The mask is read slice by slice, labelled with the objects merged across slices, and the
    // surfaces extracted group by group within the memory budget (core/mesh/StreamingMesher).
    auto t0 = Clock::now();
    auto stack = TiffStack::open(maskPath);
    const StackInfo& info = stack->info();
    Spacing spacing = info.spacing;
    if (auto s = args.value("spacing"))
        spacing = parseSpacing(*s, spacing);
    if (auto u = args.value("unit"))
        spacing.unit = *u;
    std::fprintf(stderr, "mesh: reading %s slice by slice (memory budget %s)\n", maskPath.c_str(),
                 formatBytes(memoryBudget()).c_str());
    std::vector<float> scratch;
    double readSeconds = 0;
    auto read = [&](std::int64_t z, std::uint8_t* dst) {
        const auto r0 = Clock::now();
        readLabelSlice(*stack, z, options.label < 0, dst, scratch);
        readSeconds += since(r0);
    };
    // --out streams each object's surface to scratch files as it comes and assembles the file at
    // the end (core MeshFileWriter); --per-object files are written as the objects come (each
    // atomically). Neither holds more than the group of surfaces being made.
    std::optional<MeshFileWriter> all;
    if (out)
        all.emplace(*out, format);
    std::size_t triangles = 0, points = 0;
    const MeshFormat objectFormat = out ? format : MeshFormat::Stl;
    auto sink = [&](const ObjectMeasure& m, const SurfaceMesh& mesh) {
        triangles += mesh.triangleCount();
        points += mesh.pointCount();
        if (all)
            all->add(mesh, m.id);
        if (perObject && !mesh.empty())
            writeMesh(objectMeshPath(*perObject, m.id, objectFormat), mesh, objectFormat);
    };
    StderrProgress progress;
    MeshScene scene;
    try {
        scene = meshStreamed(info.shape, read, spacing, options, memoryBudget(), sink, &progress);
    } catch (const IoError&) {
        throw;
    } catch (const Cancelled&) {
        throw;
    } catch (const Error& e) {   // a refusal: name the mask
        throw Error(maskPath + ": " + e.what());
    }
    const double meshSeconds = since(t0) - readSeconds;

    auto t2 = Clock::now();
    if (out) {
        std::fprintf(stderr, "mesh: writing %s\n", out->c_str());
        all->finish();
    }
    if (stats) {
        std::fprintf(stderr, "mesh: writing %s\n", stats->c_str());
        writeMeasuresCsv(*stats, scene.objects, spacing);
    }
    const double writeSeconds = since(t2);

    double volume = 0;
    for (const auto& m : scene.objects)
        volume += m.volume;
    const MeshTimings& t = scene.timings;
    std::printf("mask: %s (%lld x %lld x %lld, spacing %g,%g,%g %s)\n", maskPath.c_str(),
                static_cast<long long>(info.shape.depth), static_cast<long long>(info.shape.height),
                static_cast<long long>(info.shape.width), spacing.z, spacing.y, spacing.x, spacing.unit.c_str());
    std::printf("objects: %zu\n", scene.objects.size());
    std::printf("triangles: %zu\n", triangles);
    std::printf("vertices: %zu\n", points);
    std::printf("extraction groups: %zu\n", scene.extractionGroups);
    std::printf("total volume: %.6g %s^3\n", volume, spacing.unit.c_str());
    if (options.decimate > 0.0 && scene.undecimatedObjects > 0)
        std::printf("undecimated objects (decimation would have opened their surface): %zu\n", scene.undecimatedObjects);
    std::printf("time: %.2f s (read %.2f, label %.2f, measure %.2f, extract %.2f, smooth %.2f, decimate %.2f, "
                "assemble %.2f, write %.2f)\n",
                readSeconds + meshSeconds + writeSeconds, readSeconds, t.label, t.measure, t.extract, t.smooth,
                t.decimate, t.assemble, writeSeconds);
    return 0;
}

}  // namespace

const Command kMeshCommand{"mesh", "3D surfaces and per-object measurements of a mask", kHelp, &run};

}  // namespace mitoseg::cli
