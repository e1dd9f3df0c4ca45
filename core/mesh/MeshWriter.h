#pragma once
// Mesh export in formats other tools open: binary STL, binary little-endian PLY (with a per-face
// `object_id`), Wavefront OBJ (one group per object). Every file is written atomically
// (temp file + rename). Any thread.
#include <cstdint>
#include <cstdio>
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

/// Writes one mesh file object by object without holding the surfaces: the vertex and face
/// parts go to two anonymous scratch files in $TMPDIR, and finish() writes the header and
/// copies both into `path` atomically. The file is byte for byte what writeMesh writes for the
/// same meshes appended (SurfaceMesh::append). One thread.
class MeshFileWriter {
public:
    /// Throws IoError(WriteFailed) naming `path` when a scratch file cannot be made.
    MeshFileWriter(std::filesystem::path path, MeshFormat format);
    ~MeshFileWriter();
    MeshFileWriter(const MeshFileWriter&) = delete;
    MeshFileWriter& operator=(const MeshFileWriter&) = delete;
    /// Adds `mesh` as object `objectId` (0: keep the mesh's own triangleObject). Throws
    /// IoError(WriteFailed) when the scratch disk is full, Error past 2^31 points.
    void add(const SurfaceMesh& mesh, std::uint32_t objectId);
    /// Writes `path` (temp file + rename). Throws IoError(WriteFailed); nothing is left half-written.
    void finish();
    std::uint64_t points() const { return points_; }
    std::uint64_t triangles() const { return triangles_; }

private:
    void close();
    std::filesystem::path path_;
    MeshFormat format_;
    std::FILE* vertices_ = nullptr;
    std::FILE* faces_ = nullptr;
    std::uint64_t points_ = 0, triangles_ = 0;
    bool anyFace_ = false;      ///< OBJ: a group line was written
    std::uint32_t group_ = 0;   ///< OBJ: the object of the last group line
};

/// The file writeObjectMeshes writes object `id` to: dir/object_0001.<ext>.
std::filesystem::path objectMeshPath(const std::filesystem::path& dir, std::uint32_t id, MeshFormat format);

/// Writes one file per object present in `mesh` into `dir` (created when missing), named
/// object_0001.<ext> by object id. Returns the paths written, in id order. Throws Cancelled or
/// IoError; files already written stay (each is complete).
std::vector<std::filesystem::path> writeObjectMeshes(const std::filesystem::path& dir, const SurfaceMesh& mesh,
                                                     MeshFormat format, ProgressSink* progress = nullptr,
                                                     const CancelToken* cancel = nullptr);

}  // namespace mitoseg
