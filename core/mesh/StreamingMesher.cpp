#include "core/mesh/StreamingMesher.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>

#include "core/base/AtomicFile.h"
#include "core/base/Error.h"
#include "core/base/Memory.h"
#include "core/metrics/SliceComponents.h"

namespace mitoseg {

namespace {

using Clock = std::chrono::steady_clock;
double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

/// Voxel statistics of one provisional component (or, merged, of one object).
struct Tally {
    std::int64_t voxels = 0, runs = 0;
    std::int64_t sum[3] = {0, 0, 0};   ///< sums of z, y, x over the voxels (exact integers)
    std::int64_t lo[3] = {std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::int64_t>::max(),
                          std::numeric_limits<std::int64_t>::max()};
    std::int64_t hi[3] = {-1, -1, -1};
    void add(const Tally& o)
    {
        voxels += o.voxels;
        runs += o.runs;
        for (int k = 0; k < 3; ++k) {
            sum[k] += o.sum[k];
            lo[k] = std::min(lo[k], o.lo[k]);
            hi[k] = std::max(hi[k], o.hi[k]);
        }
    }
};

struct ScratchFile {
    std::FILE* f = nullptr;
    ~ScratchFile()
    {
        if (f)
            std::fclose(f);
    }
};

std::string shapeText(std::int64_t d, std::int64_t h, std::int64_t w)
{
    return std::to_string(d) + " x " + std::to_string(h) + " x " + std::to_string(w);
}

}  // namespace

std::uint64_t objectMeshBytes(const ObjectMeasure& m, std::int64_t runs)
{
    std::uint64_t crop = 1;
    for (int k = 0; k < 3; ++k)
        crop *= static_cast<std::uint64_t>(m.bboxMax[k] - m.bboxMin[k] + 3);
    return 2 * crop + 512 * static_cast<std::uint64_t>(std::max<std::int64_t>(0, runs));
}

MeshScene meshStreamed(const Shape& shape, const MaskSliceReader& read, const Spacing& spacing, const MeshOptions& options,
                       std::uint64_t budget, const ObjectMeshSink& sink, ProgressSink* progress, const CancelToken* cancel)
{
    if (spacing.x <= 0 || spacing.y <= 0 || spacing.z <= 0)
        throw Error("voxel spacing must be positive");
    if (options.decimate < 0.0 || options.decimate >= 1.0)
        throw Error("decimation target reduction must be in [0, 1)");
    MeshScene scene;
    scene.shape = shape;
    scene.spacing = spacing;
    if (shape.voxels() <= 0)
        return scene;
    // One slice and its runs (at worst one per two voxels, twice: this slice and the last).
    const auto sliceVoxels = static_cast<std::uint64_t>(shape.sliceVoxels());
    const std::uint64_t sliceBytes = sliceVoxels + 2 * (sliceVoxels / 2 + 1) * sizeof(ForegroundRun);
    if (sliceBytes > budget)
        throw Error("meshing slices of " + std::to_string(shape.height) + " x " + std::to_string(shape.width) +
                    " voxels needs about " + formatBytes(sliceBytes) + " but the memory budget is " + formatBytes(budget) +
                    ": give --memory-budget " + budgetArgument(sliceBytes) + " or more");

    // Pass one: label slice by slice, tally each provisional component, spill the runs.
    auto t0 = Clock::now();
    ScratchFile spill;
    spill.f = openScratchFile();
    if (!spill.f)
        throw IoError(IoError::Kind::WriteFailed, "temporary file", -1,
                      std::string("cannot create a temporary file for the mesh's object runs: ") + std::strerror(errno));
    SliceComponents components(shape.height, shape.width, options.connectivity, options.label);
    std::vector<Tally> tally;
    std::vector<std::uint64_t> sliceRuns(static_cast<std::size_t>(shape.depth) + 1, 0);   // prefix counts
    std::vector<std::uint8_t> slice(sliceVoxels);
    for (std::int64_t z = 0; z < shape.depth; ++z) {
        if (cancel)
            cancel->check();
        if (progress)
            progress->progress(static_cast<double>(z), static_cast<double>(shape.depth), "labelling objects");
        read(z, slice.data());
        const std::vector<ForegroundRun>& runs = components.push(slice.data());
        tally.resize(components.provisionalCount());
        for (const ForegroundRun& r : runs) {
            Tally& t = tally[r.id];
            const std::int64_t len = r.x1 - r.x0;
            t.voxels += len;
            ++t.runs;
            t.sum[0] += z * len;
            t.sum[1] += static_cast<std::int64_t>(r.y) * len;
            t.sum[2] += (static_cast<std::int64_t>(r.x0) + r.x1 - 1) * len / 2;
            const std::int64_t lo[3] = {z, r.y, r.x0}, hi[3] = {z, r.y, r.x1 - 1};
            for (int k = 0; k < 3; ++k) {
                t.lo[k] = std::min(t.lo[k], lo[k]);
                t.hi[k] = std::max(t.hi[k], hi[k]);
            }
        }
        if (!runs.empty() && std::fwrite(runs.data(), sizeof(ForegroundRun), runs.size(), spill.f) != runs.size())
            throw IoError(IoError::Kind::WriteFailed, "temporary file", z,
                          std::string("cannot spill the mesh's object runs: ") + std::strerror(errno));
        sliceRuns[static_cast<std::size_t>(z) + 1] = sliceRuns[static_cast<std::size_t>(z)] + runs.size();
    }
    slice = {};
    scene.timings.label = secondsSince(t0);

    // Objects: tallies merged by final label (raster order of the first voxel), small ones dropped.
    t0 = Clock::now();
    std::uint32_t count = 0;
    const std::vector<std::uint32_t> finalOf = components.finalLabels(count);
    components = SliceComponents(1, 1, options.connectivity);   // frees the union-find
    std::vector<Tally> objects(count);
    for (std::size_t id = 0; id < tally.size(); ++id)
        objects[finalOf[id] - 1].add(tally[id]);
    tally = {};
    std::vector<std::uint32_t> keptOf(static_cast<std::size_t>(count) + 1, 0);   // final label -> kept index + 1
    std::vector<std::int64_t> keptRuns;
    const double sp[3] = {spacing.z, spacing.y, spacing.x};
    const std::int64_t dims[3] = {shape.depth, shape.height, shape.width};
    for (std::uint32_t f = 0; f < count; ++f) {
        const Tally& t = objects[f];
        if (t.voxels < std::max<std::int64_t>(options.minVoxels, 1))
            continue;
        ObjectMeasure m;
        m.id = static_cast<std::uint32_t>(scene.objects.size() + 1);
        m.voxels = t.voxels;
        m.volume = static_cast<double>(m.voxels) * spacing.z * spacing.y * spacing.x;
        for (int k = 0; k < 3; ++k) {
            m.bboxMin[k] = t.lo[k];
            m.bboxMax[k] = t.hi[k];
            if (m.bboxMin[k] == 0 || m.bboxMax[k] == dims[k] - 1)
                m.touchesBorder = true;
            m.centroidVoxel[k] = static_cast<double>(t.sum[k]) / static_cast<double>(m.voxels);
            m.centroidPhysical[k] = m.centroidVoxel[k] * sp[k];
        }
        scene.objects.push_back(m);
        keptRuns.push_back(t.runs);
        keptOf[f + 1] = m.id;
    }
    objects = {};
    scene.timings.measure = secondsSince(t0);

    // Refuse before any surface is made when one object cannot fit beside the labelling state.
    const std::uint64_t held = finalOf.size() * sizeof(std::uint32_t) + keptOf.size() * sizeof(std::uint32_t) +
                               sliceRuns.size() * sizeof(std::uint64_t) +
                               scene.objects.size() * (sizeof(ObjectMeasure) + sizeof(std::int64_t)) +
                               sliceVoxels / 2 * sizeof(ForegroundRun);
    const std::uint64_t room = budget > held ? budget - held : 0;
    std::size_t largest = 0;
    std::uint64_t largestBytes = 0;
    for (std::size_t i = 0; i < scene.objects.size(); ++i) {
        const std::uint64_t b = objectMeshBytes(scene.objects[i], keptRuns[i]);
        if (b > largestBytes) {
            largestBytes = b;
            largest = i;
        }
    }
    if (largestBytes > room) {
        const ObjectMeasure& m = scene.objects[largest];
        throw Error("object " + std::to_string(m.id) + " (bounding box " +
                    shapeText(m.bboxMax[0] - m.bboxMin[0] + 1, m.bboxMax[1] - m.bboxMin[1] + 1, m.bboxMax[2] - m.bboxMin[2] + 1) +
                    " voxels, z " + std::to_string(m.bboxMin[0]) + "-" + std::to_string(m.bboxMax[0]) + ") needs about " +
                    formatBytes(largestBytes + held) + " to mesh (its crop and surface, plus " + formatBytes(held) +
                    " for the labelling) but the memory budget is " + formatBytes(budget) + ": give --memory-budget " +
                    budgetArgument(largestBytes + held) + " or more");
    }

    // Pass two: groups of consecutive objects that fit the room together. A group holds at
    // most an eighth of the room (or one object, when it is bigger), so memory does not grow
    // with the number of objects up to the budget: a group of a few objects keeps the cores
    // busy as well, and the extra passes only re-read the spilled runs of their z-ranges.
    const std::uint64_t groupBytes = std::min(room, std::max<std::uint64_t>(room / 8, largestBytes));
    std::size_t first = 0;
    std::vector<ForegroundRun> runs;
    scene.extractionGroups = 0;
    while (first < scene.objects.size()) {
        std::size_t last = first;
        std::uint64_t bytes = objectMeshBytes(scene.objects[first], keptRuns[first]);
        while (last + 1 < scene.objects.size() &&
               bytes + objectMeshBytes(scene.objects[last + 1], keptRuns[last + 1]) <= groupBytes) {
            ++last;
            bytes += objectMeshBytes(scene.objects[last], keptRuns[last]);
        }
        std::int64_t zLo = std::numeric_limits<std::int64_t>::max(), zHi = -1;
        std::vector<std::vector<std::uint8_t>> crops(last - first + 1);
        for (std::size_t i = first; i <= last; ++i) {
            const ObjectMeasure& m = scene.objects[i];
            zLo = std::min(zLo, m.bboxMin[0]);
            zHi = std::max(zHi, m.bboxMax[0]);
            crops[i - first].assign(static_cast<std::size_t>((m.bboxMax[0] - m.bboxMin[0] + 3) * (m.bboxMax[1] - m.bboxMin[1] + 3) *
                                                             (m.bboxMax[2] - m.bboxMin[2] + 3)),
                                    0);
        }
        auto tf = Clock::now();
        if (std::fseek(spill.f, static_cast<long>(sliceRuns[static_cast<std::size_t>(zLo)] * sizeof(ForegroundRun)), SEEK_SET) != 0)
            throw IoError(IoError::Kind::Unreadable, "temporary file", zLo, "cannot seek in the mesh's object runs");
        for (std::int64_t z = zLo; z <= zHi; ++z) {
            if (cancel)
                cancel->check();
            runs.resize(static_cast<std::size_t>(sliceRuns[static_cast<std::size_t>(z) + 1] - sliceRuns[static_cast<std::size_t>(z)]));
            if (!runs.empty() && std::fread(runs.data(), sizeof(ForegroundRun), runs.size(), spill.f) != runs.size())
                throw IoError(IoError::Kind::Unreadable, "temporary file", z, "cannot read back the mesh's object runs");
            for (const ForegroundRun& r : runs) {
                const std::uint32_t id = keptOf[finalOf[r.id]];
                if (id == 0 || id - 1 < first || id - 1 > last)
                    continue;
                const ObjectMeasure& m = scene.objects[id - 1];
                const std::int64_t h = m.bboxMax[1] - m.bboxMin[1] + 1, w = m.bboxMax[2] - m.bboxMin[2] + 1;
                std::uint8_t* row = crops[id - 1 - first].data() +
                                    ((z - m.bboxMin[0] + 1) * (h + 2) + (r.y - m.bboxMin[1] + 1)) * (w + 2) + 1;
                std::fill(row + (r.x0 - m.bboxMin[2]), row + (r.x1 - m.bboxMin[2]), std::uint8_t{1});
            }
        }
        scene.timings.extract += secondsSince(tf);
        std::span<ObjectMeasure> group(scene.objects.data() + first, last - first + 1);
        std::vector<SurfaceMesh> meshes = meshObjectBatch(
            group,
            [&](std::size_t i, std::uint8_t* dst) {
                std::memcpy(dst, crops[i].data(), crops[i].size());
                crops[i] = {};
            },
            spacing, options, scene.timings, scene.undecimatedObjects, nullptr, cancel);
        if (progress)
            progress->progress(static_cast<double>(last + 1), static_cast<double>(scene.objects.size()), "extracting surfaces");
        if (sink)
            for (std::size_t i = 0; i < meshes.size(); ++i) {
                sink(group[i], meshes[i]);
                meshes[i] = SurfaceMesh{};
            }
        first = last + 1;
        ++scene.extractionGroups;
    }
    if (progress)
        progress->progress(1, 1, "surfaces done");
    return scene;
}

}  // namespace mitoseg
