#pragma once
// Per-object measurements of a labelled mask: voxel count, physical volume, bounding box,
// centroid, whether the volume border cuts it, and (once a surface exists) surface area and
// sphericity. Pure functions, any thread.
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
    double surfaceArea = 0.0;                   ///< area A of the object's final mesh (unit^2); 0 before meshing.
                                                ///< An object whose mesh is empty or collapsed (encloses under
                                                ///< 1/4 of its voxels' volume: 1-2 voxels after smoothing)
                                                ///< gets the area of its exposed voxel faces (voxelSurface)
    double meshVolume = 0.0;                    ///< volume V enclosed by that mesh (unit^3); 0 before meshing
                                                ///< (with voxelSurface: the voxels' volume)
    double sphericity = 0.0;                    ///< pi^(1/3) (6 V)^(2/3) / A from the mesh (1 for a ball,
                                                ///< less otherwise); 0 before meshing
    std::array<std::int64_t, 3> bboxMin{};      ///< first voxel, inclusive
    std::array<std::int64_t, 3> bboxMax{};      ///< last voxel, inclusive
    std::array<double, 3> centroidVoxel{};      ///< mean voxel index
    std::array<double, 3> centroidPhysical{};   ///< centroidVoxel * spacing (unit)
    std::int64_t triangles = 0;                 ///< triangles in the object's mesh
    bool touchesBorder = false;                 ///< bounding box touches a face of the volume: the
                                                ///< object is probably cut, its measures partial
    bool voxelSurface = false;                  ///< area and sphericity come from voxel faces, not the mesh
};

/// Voxel-based measurements of objects 1..components.count of `components.labels` (one pass over
/// the volume). Objects are returned in id order; surfaceArea/sphericity/triangles stay 0.
std::vector<ObjectMeasure> measureComponents(const Components& components, const Spacing& spacing);

/// Fills surfaceArea, meshVolume and sphericity of `m` from its mesh's area and enclosed volume.
/// Sphericity uses the mesh's own volume, so it stays at most 1 (isoperimetric inequality) even
/// for objects one voxel thin, whose voxel count overstates what the surface encloses.
void setSurfaceMeasures(ObjectMeasure& m, double area, double meshVolume);

/// Area (unit^2) of the faces of voxels equal to `label` that are not shared with another such
/// voxel (a lone voxel: its six faces), scanning `m`'s bounding box of `labels`. Each face is
/// scaled by the spacing of its two axes.
double exposedFaceArea(const Volume<std::uint32_t>& labels, std::uint32_t label, const ObjectMeasure& m,
                       const Spacing& spacing);

/// For an object whose mesh came out empty or collapsed: surfaceArea = `faceArea` (from exposedFaceArea),
/// meshVolume = volume, sphericity from those two (a lone cube voxel: 0.806), voxelSurface set.
void setVoxelSurfaceMeasures(ObjectMeasure& m, double faceArea);

/// Writes one CSV row per object with a header row naming the units, e.g.
/// `id,voxels,volume_nm3,surface_area_nm2,sphericity,...,touches_border` (1 when the object
/// touches the volume border, else 0; the last column, so older readers keep working). Atomic (temp file + rename).
/// Throws IoError(WriteFailed) naming `path`.
void writeMeasuresCsv(const std::filesystem::path& path, const std::vector<ObjectMeasure>& objects,
                      const Spacing& spacing);

}  // namespace mitoseg
