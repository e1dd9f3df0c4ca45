#include "core/mesh/SurfaceExtractor.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <string>
#include <thread>

#include <vtkCellArray.h>
#include <vtkCellArrayIterator.h>
#include <vtkDataArray.h>
#include <vtkDecimatePro.h>
#include <vtkFlyingEdges3D.h>
#include <vtkImageData.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>
#include <vtkSmartPointer.h>
#include <vtkUnsignedCharArray.h>
#include <vtkWindowedSincPolyDataFilter.h>

#include "core/base/Error.h"

namespace mitoseg {

namespace {

using Clock = std::chrono::steady_clock;
// A mesh enclosing less than this fraction of its object's voxel volume has collapsed.
constexpr double kCollapsedMeshFraction = 0.25;
double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

void checkCancel(const CancelToken* cancel)
{
    if (cancel)
        cancel->check();
}

// Serialises progress reports coming from worker threads.
class StageProgress {
public:
    StageProgress(ProgressSink* sink, std::string message, std::size_t total)
        : sink_(sink), message_(std::move(message)), total_(total)
    {
        report(0);
    }
    void step()
    {
        std::size_t d = ++done_;
        report(d);
    }

private:
    void report(std::size_t d)
    {
        if (!sink_)
            return;
        std::lock_guard<std::mutex> lock(mutex_);
        sink_->progress(static_cast<double>(d), static_cast<double>(total_), message_);
    }
    ProgressSink* sink_;
    std::string message_;
    std::size_t total_;
    std::atomic<std::size_t> done_{0};
    std::mutex mutex_;
};

// Runs f(i) for i in [0, n) on `threads` workers; stops early on cancel or the first exception,
// which is rethrown on the calling thread.
template <class F>
void parallelFor(std::size_t n, int threads, const CancelToken* cancel, F&& f)
{
    std::atomic<std::size_t> next{0};
    std::atomic<bool> stop{false};
    std::exception_ptr error;
    std::mutex errorMutex;
    auto worker = [&] {
        for (;;) {
            if (stop.load() || (cancel && cancel->cancelled()))
                return;
            std::size_t i = next++;
            if (i >= n)
                return;
            try {
                f(i);
            } catch (...) {
                std::lock_guard<std::mutex> lock(errorMutex);
                if (!error)
                    error = std::current_exception();
                stop = true;
            }
        }
    };
    unsigned count = threads > 0 ? static_cast<unsigned>(threads) : std::max(1u, std::thread::hardware_concurrency());
    count = static_cast<unsigned>(std::min<std::size_t>(count, std::max<std::size_t>(n, 1)));
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < count; ++t)
        pool.emplace_back(worker);
    worker();
    for (auto& t : pool)
        t.join();
    if (error)
        std::rethrow_exception(error);
    checkCancel(cancel);
}

// A uint8 image of extent (w, h, d) voxels with VTK spacing (x, y, z) and an origin, zero-filled.
vtkSmartPointer<vtkImageData> makeImage(std::int64_t w, std::int64_t h, std::int64_t d, const Spacing& s,
                                        double ox, double oy, double oz)
{
    auto image = vtkSmartPointer<vtkImageData>::New();
    image->SetDimensions(static_cast<int>(w), static_cast<int>(h), static_cast<int>(d));
    image->SetSpacing(s.x, s.y, s.z);
    image->SetOrigin(ox, oy, oz);
    image->AllocateScalars(VTK_UNSIGNED_CHAR, 1);
    auto* p = static_cast<std::uint8_t*>(image->GetScalarPointer());
    std::fill(p, p + w * h * d, std::uint8_t{0});
    return image;
}

vtkSmartPointer<vtkPolyData> flyingEdges(vtkImageData* image)
{
    auto fe = vtkSmartPointer<vtkFlyingEdges3D>::New();
    fe->SetInputData(image);
    fe->SetValue(0, 0.5);
    fe->ComputeNormalsOff();
    fe->ComputeGradientsOff();
    fe->ComputeScalarsOff();
    fe->InterpolateAttributesOff();
    fe->Update();
    vtkSmartPointer<vtkPolyData> out = fe->GetOutput();
    return out;
}

// Copies the triangles of `poly` (points compacted) into `mesh`, all with object `id`; flips the
// winding when the surface's signed volume is negative, so normals point outwards.
SurfaceMesh toSurfaceMesh(vtkPolyData* poly, std::uint32_t id)
{
    SurfaceMesh mesh;
    if (!poly || !poly->GetPolys() || !poly->GetPoints())
        return mesh;
    vtkPoints* pts = poly->GetPoints();
    std::vector<std::int32_t> remap(static_cast<std::size_t>(pts->GetNumberOfPoints()), -1);
    auto it = vtk::TakeSmartPointer(poly->GetPolys()->NewIterator());
    double xyz[3];
    for (it->GoToFirstCell(); !it->IsDoneWithTraversal(); it->GoToNextCell()) {
        vtkIdType npts = 0;
        const vtkIdType* ids = nullptr;
        it->GetCurrentCell(npts, ids);
        if (npts != 3)
            continue;
        for (int k = 0; k < 3; ++k) {
            std::int32_t& r = remap[static_cast<std::size_t>(ids[k])];
            if (r < 0) {
                r = static_cast<std::int32_t>(mesh.pointCount());
                pts->GetPoint(ids[k], xyz);
                mesh.points.push_back(static_cast<float>(xyz[0]));
                mesh.points.push_back(static_cast<float>(xyz[1]));
                mesh.points.push_back(static_cast<float>(xyz[2]));
            }
            mesh.triangles.push_back(r);
        }
        mesh.triangleObject.push_back(id);
    }
    if (mesh.signedVolume() < 0.0)
        for (std::size_t t = 0; t < mesh.triangleCount(); ++t)
            std::swap(mesh.triangles[3 * t + 1], mesh.triangles[3 * t + 2]);
    return mesh;
}

// Area of the exposed faces of the 1-voxels of a zero-padded crop of d x h x w voxels (inner
// extent): exposedFaceArea on the crop of one object.
double paddedCropFaceArea(const std::uint8_t* crop, std::int64_t d, std::int64_t h, std::int64_t w, const Spacing& spacing)
{
    const std::int64_t W = w + 2, plane = (h + 2) * W;
    std::int64_t faces[3] = {0, 0, 0};
    for (std::int64_t z = 1; z <= d; ++z)
        for (std::int64_t y = 1; y <= h; ++y) {
            const std::uint8_t* p = crop + z * plane + y * W;
            for (std::int64_t x = 1; x <= w; ++x) {
                if (!p[x])
                    continue;
                faces[0] += !p[x - plane] + !p[x + plane];
                faces[1] += !p[x - W] + !p[x + W];
                faces[2] += !p[x - 1] + !p[x + 1];
            }
        }
    return static_cast<double>(faces[0]) * spacing.y * spacing.x + static_cast<double>(faces[1]) * spacing.z * spacing.x +
           static_cast<double>(faces[2]) * spacing.z * spacing.y;
}

}  // namespace

std::vector<SurfaceMesh> meshObjectBatch(std::span<ObjectMeasure> objects, const CropFill& fill, const Spacing& spacing,
                                         const MeshOptions& options, MeshTimings& timings, std::size_t& undecimated,
                                         ProgressSink* progress, const CancelToken* cancel)
{
    const std::size_t n = objects.size();
    std::vector<vtkSmartPointer<vtkPolyData>> polys(n);
    std::vector<double> faceArea(n, 0.0);

    // Marching cubes of each object on its own padded crop; the crop's exposed voxel faces are
    // counted while it exists, for objects whose mesh collapses.
    auto t0 = Clock::now();
    {
        StageProgress sp(progress, "extracting surfaces", n);
        parallelFor(n, options.threads, cancel, [&](std::size_t i) {
            const ObjectMeasure& m = objects[i];
            const std::int64_t z0 = m.bboxMin[0], y0 = m.bboxMin[1], x0 = m.bboxMin[2];
            const std::int64_t d = m.bboxMax[0] - z0 + 1, h = m.bboxMax[1] - y0 + 1, w = m.bboxMax[2] - x0 + 1;
            auto image = makeImage(w + 2, h + 2, d + 2, spacing, (static_cast<double>(x0) - 1) * spacing.x,
                                   (static_cast<double>(y0) - 1) * spacing.y, (static_cast<double>(z0) - 1) * spacing.z);
            auto* dst = static_cast<std::uint8_t*>(image->GetScalarPointer());
            fill(i, dst);
            faceArea[i] = paddedCropFaceArea(dst, d, h, w, spacing);
            polys[i] = flyingEdges(image);
            sp.step();
        });
    }
    timings.extract += secondsSince(t0);
    if (options.smoothIterations > 0) {
        t0 = Clock::now();
        StageProgress sp(progress, "smoothing surfaces", n);
        parallelFor(n, options.threads, cancel, [&](std::size_t i) {
            auto smoother = vtkSmartPointer<vtkWindowedSincPolyDataFilter>::New();
            smoother->SetInputData(polys[i]);
            smoother->SetNumberOfIterations(options.smoothIterations);
            smoother->SetPassBand(options.passBand);
            smoother->NormalizeCoordinatesOn();
            smoother->BoundarySmoothingOff();
            smoother->FeatureEdgeSmoothingOff();
            smoother->NonManifoldSmoothingOn();
            smoother->Update();
            polys[i] = smoother->GetOutput();
            sp.step();
        });
        timings.smooth += secondsSince(t0);
    }

    std::vector<SurfaceMesh> meshes(n);
    std::vector<char> converted(n, 0);
    if (options.decimate > 0.0) {
        // vtkDecimatePro keeps topology in almost every case; on the rare object where it leaves
        // an open or non-manifold edge, retry at half the reduction, else keep it undecimated.
        t0 = Clock::now();
        StageProgress sp(progress, "decimating surfaces", n);
        std::atomic<std::size_t> fallbacks{0};
        parallelFor(n, options.threads, cancel, [&](std::size_t i) {
            for (double reduction : {options.decimate, options.decimate / 2}) {
                auto decimator = vtkSmartPointer<vtkDecimatePro>::New();
                decimator->SetInputData(polys[i]);
                decimator->SetTargetReduction(reduction);
                decimator->PreserveTopologyOn();
                decimator->SplittingOff();
                decimator->BoundaryVertexDeletionOff();
                decimator->Update();
                SurfaceMesh m = toSurfaceMesh(decimator->GetOutput(), objects[i].id);
                if (m.isClosed()) {
                    meshes[i] = std::move(m);
                    converted[i] = 1;
                    break;
                }
            }
            if (!converted[i])
                ++fallbacks;
            sp.step();
        });
        undecimated += fallbacks;
        timings.decimate += secondsSince(t0);
    }

    t0 = Clock::now();
    parallelFor(n, options.threads, cancel, [&](std::size_t i) {
        if (!converted[i])
            meshes[i] = toSurfaceMesh(polys[i], objects[i].id);
        polys[i] = nullptr;
        // Smoothing shrinks the surface of an object of one or two voxels to almost nothing (a
        // lone 5 nm voxel keeps 0.0002 nm^2): when the mesh is empty or encloses under a quarter
        // of the voxels' volume, the area of the exposed voxel faces is used instead.
        const double meshVolume = meshes[i].signedVolume();
        if (meshes[i].empty() || meshVolume < kCollapsedMeshFraction * objects[i].volume)
            setVoxelSurfaceMeasures(objects[i], faceArea[i]);
        else
            setSurfaceMeasures(objects[i], meshes[i].area(), meshVolume);
        objects[i].triangles = static_cast<std::int64_t>(meshes[i].triangleCount());
    });
    timings.assemble += secondsSince(t0);
    return meshes;
}

std::uint64_t estimateMeshSceneBytes(const Shape& shape)
{
    const auto voxels = static_cast<std::uint64_t>(std::max<std::int64_t>(0, shape.voxels()));
    return voxels * 13 / 2 + (std::uint64_t{64} << 20);
}

MeshScene buildMeshScene(const VolumeU8& mask, const Spacing& spacing, const MeshOptions& options,
                         ProgressSink* progress, const CancelToken* cancel)
{
    if (progress)
        progress->progress(0, 1, "labelling objects");
    auto t0 = Clock::now();
    Components components = connectedComponents(mask, options.connectivity, options.label);
    const double labelSeconds = secondsSince(t0);
    checkCancel(cancel);
    MeshScene scene = meshComponents(components, spacing, options, progress, cancel);
    scene.timings.label = labelSeconds;
    return scene;
}

MeshScene meshComponents(const Components& components, const Spacing& spacing, const MeshOptions& options,
                         ProgressSink* progress, const CancelToken* cancel)
{
    if (spacing.x <= 0 || spacing.y <= 0 || spacing.z <= 0)
        throw Error("voxel spacing must be positive");
    if (options.decimate < 0.0 || options.decimate >= 1.0)
        throw Error("decimation target reduction must be in [0, 1)");
    MeshScene scene;
    scene.shape = components.labels.shape();
    scene.spacing = spacing;

    auto t0 = Clock::now();
    std::vector<ObjectMeasure> all = measureComponents(components, spacing);
    std::vector<std::uint32_t> sourceLabel;   // kept object i+1 <- label sourceLabel[i]
    for (ObjectMeasure& m : all) {
        if (m.voxels < std::max<std::int64_t>(options.minVoxels, 1))
            continue;
        sourceLabel.push_back(m.id);
        m.id = static_cast<std::uint32_t>(scene.objects.size() + 1);
        scene.objects.push_back(m);
    }
    scene.timings.measure = secondsSince(t0);
    checkCancel(cancel);
    const auto& labels = components.labels;
    std::vector<SurfaceMesh> meshes = meshObjectBatch(
        scene.objects,
        [&](std::size_t i, std::uint8_t* dst) {
            const ObjectMeasure& m = scene.objects[i];
            const std::uint32_t src = sourceLabel[i];
            const std::int64_t z0 = m.bboxMin[0], y0 = m.bboxMin[1], x0 = m.bboxMin[2];
            const std::int64_t d = m.bboxMax[0] - z0 + 1, h = m.bboxMax[1] - y0 + 1, w = m.bboxMax[2] - x0 + 1;
            for (std::int64_t z = 0; z < d; ++z)
                for (std::int64_t y = 0; y < h; ++y) {
                    const std::uint32_t* row = labels.data() + labels.index(z0 + z, y0 + y, x0);
                    std::uint8_t* out = dst + ((z + 1) * (h + 2) + (y + 1)) * (w + 2) + 1;
                    for (std::int64_t x = 0; x < w; ++x)
                        out[x] = row[x] == src ? 1 : 0;
                }
        },
        spacing, options, scene.timings, scene.undecimatedObjects, progress, cancel);
    auto t1 = Clock::now();
    std::size_t points = 0, tris = 0;
    for (const auto& m : meshes) {
        points += m.points.size();
        tris += m.triangles.size();
    }
    scene.mesh.points.reserve(points);
    scene.mesh.triangles.reserve(tris);
    scene.mesh.triangleObject.reserve(tris / 3);
    for (auto& m : meshes) {
        scene.mesh.append(m);
        m = SurfaceMesh{};
    }
    scene.timings.assemble += secondsSince(t1);
    if (progress)
        progress->progress(1, 1, "surfaces done");
    return scene;
}

SurfaceMesh extractMaskSurface(const VolumeU8& mask, const Spacing& spacing, int label, const CancelToken* cancel)
{
    if (spacing.x <= 0 || spacing.y <= 0 || spacing.z <= 0)
        throw Error("voxel spacing must be positive");
    const std::int64_t d = mask.depth(), h = mask.height(), w = mask.width();
    auto image = makeImage(w + 2, h + 2, d + 2, spacing, -spacing.x, -spacing.y, -spacing.z);
    auto* dst = static_cast<std::uint8_t*>(image->GetScalarPointer());
    for (std::int64_t z = 0; z < d; ++z) {
        checkCancel(cancel);
        for (std::int64_t y = 0; y < h; ++y) {
            const std::uint8_t* row = mask.data() + mask.index(z, y, 0);
            std::uint8_t* out = dst + ((z + 1) * (h + 2) + (y + 1)) * (w + 2) + 1;
            if (label < 0)
                for (std::int64_t x = 0; x < w; ++x)
                    out[x] = row[x] != 0;
            else
                for (std::int64_t x = 0; x < w; ++x)
                    out[x] = row[x] == label;
        }
    }
    vtkSmartPointer<vtkPolyData> poly = flyingEdges(image);
    image = nullptr;
    checkCancel(cancel);
    return toSurfaceMesh(poly, 1);
}

}  // namespace mitoseg
