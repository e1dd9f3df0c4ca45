#pragma once
// Surfaces and measurements of the objects in a mask: connected components, per-object
// marching-cubes surfaces (VTK flying edges on a one-voxel-padded crop, so objects touching the
// volume border are closed), windowed-sinc smoothing and topology-preserving decimation.
// VTK stays inside the .cpp; results are plain arrays (SurfaceMesh).
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "core/base/Progress.h"
#include "core/base/Volume.h"
#include "core/mesh/ObjectMeasures.h"
#include "core/mesh/SurfaceMesh.h"
#include "core/metrics/Components.h"

namespace mitoseg {

/// How objects are found and surfaces built.
struct MeshOptions {
    Connectivity connectivity = Connectivity::TwentySix;
    int label = -1;                 ///< mesh voxels equal to this value; < 0: every non-zero voxel
    std::int64_t minVoxels = 1;     ///< objects with fewer voxels are dropped (not meshed, not listed)
    int smoothIterations = 15;      ///< windowed-sinc iterations; 0 disables smoothing
    double passBand = 0.1;          ///< windowed-sinc pass band (lower = smoother)
    double decimate = 0.0;          ///< target reduction of the triangle count in [0, 1); 0 = off
                                    ///< (vtkDecimatePro, topology preserved; see undecimatedObjects)
    int threads = 0;                ///< worker threads for the per-object work; 0 = all cores
};

/// Wall-clock seconds of each stage of buildMeshScene (per-object stages run in parallel).
struct MeshTimings {
    double label = 0.0;     ///< connected components
    double measure = 0.0;   ///< voxel measurements (counts, boxes, centroids)
    double extract = 0.0;   ///< marching cubes (flying edges) of every object
    double smooth = 0.0;    ///< windowed-sinc smoothing
    double decimate = 0.0;  ///< decimation
    double assemble = 0.0;  ///< conversion to SurfaceMesh, areas
};

/// Objects of a mask with their measurements and one mesh holding all of them.
/// Kept objects are renumbered 1..N in raster order of their first voxel.
struct MeshScene {
    Shape shape;
    Spacing spacing;
    std::vector<ObjectMeasure> objects;   ///< objects[i].id == i + 1
    SurfaceMesh mesh;                     ///< triangleObject holds the object ids
    MeshTimings timings;
    /// Objects whose decimated surface was not closed even at half the target reduction; they
    /// keep their undecimated (smoothed) surface, so every surface stays closed.
    std::size_t undecimatedObjects = 0;
    /// Groups of objects whose surfaces were extracted one after another to fit the memory
    /// budget (meshStreamed); 1 for buildMeshScene.
    std::size_t extractionGroups = 1;
};

/// Labels `mask` (core/metrics/Components), measures every object and builds its surface with
/// `spacing` (use mask.spacing unless the caller overrides it). Reports progress on `progress`
/// (calls are serialised; they come from worker threads) and throws Cancelled once `cancel` is
/// set. Any thread; does not modify `mask`.
MeshScene buildMeshScene(const VolumeU8& mask, const Spacing& spacing, const MeshOptions& options,
                         ProgressSink* progress = nullptr, const CancelToken* cancel = nullptr);

/// Peak memory buildMeshScene needs for a mask of `shape`, reading the mask included, before
/// any triangle is made: about 6.5 bytes per voxel (the mask, its 32-bit labels and the
/// labelling's work space; 6.3x the mask was measured, issue #13) plus 64 MiB. Meshes of very
/// many objects need more on top. Pure function.
std::uint64_t estimateMeshSceneBytes(const Shape& shape);

/// Same, from an existing labelling (objects 1..components.count).
MeshScene meshComponents(const Components& components, const Spacing& spacing, const MeshOptions& options,
                         ProgressSink* progress = nullptr, const CancelToken* cancel = nullptr);

/// Fills the padded crop of objects[i]: a zero-filled uint8 block of (d+2) x (h+2) x (w+2)
/// voxels (z, y, x; d, h, w the extent of the object's bounding box); set the object's voxels
/// to 1 at (z - bboxMin z + 1, ...). Called from worker threads, once per object.
using CropFill = std::function<void(std::size_t i, std::uint8_t* paddedCrop)>;

/// The per-object part of meshComponents for `objects` (measured, ids set): surface from the
/// crop `fill` gives, smoothing, decimation; fills their surface measures and triangle counts
/// and returns their meshes in the same order. Adds to `timings` and `undecimated`. Used for
/// the whole volume and, group by group, by the streamed mesher (core/mesh/StreamingMesher).
std::vector<SurfaceMesh> meshObjectBatch(std::span<ObjectMeasure> objects, const CropFill& fill, const Spacing& spacing,
                                         const MeshOptions& options, MeshTimings& timings, std::size_t& undecimated,
                                         ProgressSink* progress = nullptr, const CancelToken* cancel = nullptr);

/// One surface of every voxel selected by `label` (< 0: non-zero) in a single pass over the whole
/// one-voxel-padded mask (vtkFlyingEdges3D), without labelling, smoothing or decimation. All
/// triangles get object id 1. Used for quick previews and the benchmark. Any thread.
SurfaceMesh extractMaskSurface(const VolumeU8& mask, const Spacing& spacing, int label = -1,
                               const CancelToken* cancel = nullptr);

/// Caps the threads VTK's own parallel filters use (process-wide; 0 = all cores). Call it from
/// one thread before meshing, e.g. from a command line tool; MeshOptions::threads caps ours.
void setVtkThreadLimit(int threads);

}  // namespace mitoseg
