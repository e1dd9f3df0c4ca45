#pragma once
// Per-object measurements of a labelled mask: voxel count, physical volume, bounding box,
// centroid, and (once a surface exists) surface area and sphericity. Pure functions, any thread.
#include <array>
#include <cstdint>
#include <filesystem>
#include <vector>

#include "core/base/Volume.h"
#include "core/metrics/Components.h"

namespace mitoseg {

/// Measurements of one connected object. Index triples are (z, y, x).
struct ObjectMeasure {
    std::uint32_t id = 0;                       ///< 1-based object id (as in SurfaceMesh)
    std::int64_t voxels = 0;                    ///< voxel count
    double volume = 0.0;                        ///< voxels * z*y*x spacing (unit^3)
    double surfaceArea = 0.0;                   ///< area A of the object's final mesh (unit^2); 0 before meshing
    double meshVolume = 0.0;                    ///< volume V enclosed by that mesh (unit^3); 0 before meshing
    double sphericity = 0.0;                    ///< pi^(1/3) (6 V)^(2/3) / A from the mesh (1 for a ball,
                                                ///< less otherwise); 0 before meshing
    std::array<std::int64_t, 3> bboxMin{};      ///< first voxel, inclusive
    std::array<std::int64_t, 3> bboxMax{};      ///< last voxel, inclusive
    std::array<double, 3> centroidVoxel{};      ///< mean voxel index
    std::array<double, 3> centroidPhysical{};   ///< centroidVoxel * spacing (unit)
    std::int64_t triangles = 0;                 ///< triangles in the object's mesh
};

/// Voxel-based measurements of objects 1..components.count of `components.labels` (one pass over
/// the volume). Objects are returned in id order; surfaceArea/sphericity/triangles stay 0.
std::vector<ObjectMeasure> measureComponents(const Components& components, const Spacing& spacing);

/// Fills surfaceArea, meshVolume and sphericity of `m` from its mesh's area and enclosed volume.
/// Sphericity uses the mesh's own volume, so it stays at most 1 (isoperimetric inequality) even
/// for objects one voxel thin, whose voxel count overstates what the surface encloses.
void setSurfaceMeasures(ObjectMeasure& m, double area, double meshVolume);

/// Writes one CSV row per object with a header row naming the units, e.g.
/// `id,voxels,volume_nm3,surface_area_nm2,sphericity,...`. Atomic (temp file + rename).
/// Throws IoError(WriteFailed) naming `path`.
void writeMeasuresCsv(const std::filesystem::path& path, const std::vector<ObjectMeasure>& objects,
                      const Spacing& spacing);

}  // namespace mitoseg
