#pragma once
// buildMeshScene for masks larger than memory. Pass one reads the mask slice by slice and labels
// it with SliceComponents (2D runs joined across z by a union-find), accumulating each object's
// measurements and spilling the runs to a scratch file ($TMPDIR). Pass two extracts the surfaces
// group by group: consecutive objects whose padded bounding-box crops fit the memory budget
// together, filled from the spilled runs of just their z-range. Objects, their numbering,
// measurements and meshes equal buildMeshScene's exactly. One calling thread (surfaces are made
// on MeshOptions::threads workers).
#include <cstdint>
#include <functional>

#include "core/base/Progress.h"
#include "core/mesh/SurfaceExtractor.h"

namespace mitoseg {

/// Supplies slice z of the mask (height * width uint8 voxels, raw values: MeshOptions::label
/// selects them) into `dst`. Called with z = 0, 1, ... once, on the calling thread.
using MaskSliceReader = std::function<void(std::int64_t z, std::uint8_t* dst)>;
/// Receives each kept object's mesh with its final measurements, in id order, on the calling thread.
using ObjectMeshSink = std::function<void(const ObjectMeasure& object, const SurfaceMesh& mesh)>;

/// Bytes one object needs in pass two: its padded crop twice (the crop filled from the runs and
/// VTK's image) plus an allowance for its surface (512 bytes per run: triangles, smoothing).
std::uint64_t objectMeshBytes(const ObjectMeasure& object, std::int64_t runs);

/// Meshes the mask of `shape` that `read` supplies within `budget` bytes (labelling state and
/// crops; the meshes handed to `sink` are the caller's). Returns the scene without its mesh
/// (scene.mesh stays empty; objects, timings and undecimatedObjects are filled). Before pass
/// two extracts anything, throws Error naming the figure when a slice or one object cannot fit
/// the budget. Throws Cancelled, IoError when the scratch file fails.
MeshScene meshStreamed(const Shape& shape, const MaskSliceReader& read, const Spacing& spacing, const MeshOptions& options,
                       std::uint64_t budget, const ObjectMeshSink& sink, ProgressSink* progress = nullptr,
                       const CancelToken* cancel = nullptr);

}  // namespace mitoseg
