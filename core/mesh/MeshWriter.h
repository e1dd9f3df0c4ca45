#pragma once
// Mesh export in formats other tools open: binary STL, binary little-endian PLY (with a per-face
// `object_id`), Wavefront OBJ (one group per object). Every file is written atomically
// (temp file + rename). Any thread.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/base/Progress.h"
#include "core/mesh/SurfaceMesh.h"

namespace mitoseg {

enum class MeshFormat { Stl, Ply, Obj };

/// Format from a file name's extension (.stl, .ply, .obj, any case). Throws Error otherwise.
MeshFormat meshFormatFromPath(const std::filesystem::path& path);
/// ".stl", ".ply" or ".obj".
const char* meshFormatExtension(MeshFormat format);

/// Writes `mesh` to `path`. Throws IoError(WriteFailed) naming the file.
void writeMesh(const std::filesystem::path& path, const SurfaceMesh& mesh, MeshFormat format);

/// The file writeObjectMeshes writes object `id` to: dir/object_0001.<ext>.
std::filesystem::path objectMeshPath(const std::filesystem::path& dir, std::uint32_t id, MeshFormat format);

/// Writes one file per object present in `mesh` into `dir` (created when missing), named
/// object_0001.<ext> by object id. Returns the paths written, in id order. Throws Cancelled or
/// IoError; files already written stay (each is complete).
std::vector<std::filesystem::path> writeObjectMeshes(const std::filesystem::path& dir, const SurfaceMesh& mesh,
                                                     MeshFormat format, ProgressSink* progress = nullptr,
                                                     const CancelToken* cancel = nullptr);

}  // namespace mitoseg
