#include "core/mesh/MeshWriter.h"

#include <algorithm>
#include <bit>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <set>
#include <string>

#include "core/base/Error.h"
#include "core/base/AtomicFile.h"

namespace mitoseg {

namespace {

template <class T>
void putLE(std::string& buf, T v)
{
    static_assert(std::endian::native == std::endian::little, "mesh writers assume a little-endian host");
    char bytes[sizeof(T)];
    std::memcpy(bytes, &v, sizeof(T));
    buf.append(bytes, sizeof(T));
}

// Encoders shared by writeMesh (a mesh in memory) and MeshFileWriter (object by object), so
// both give the same bytes. Each appends to `buf`; the caller flushes.

std::string stlHeader(std::size_t triangles)
{
    char header[80] = {};
    std::snprintf(header, sizeof header, "mitoseg binary STL, %zu triangles", triangles);
    std::string out(header, 80);
    putLE<std::uint32_t>(out, static_cast<std::uint32_t>(triangles));
    return out;
}

std::string plyHeader(std::size_t points, std::size_t triangles)
{
    return "ply\nformat binary_little_endian 1.0\ncomment mitoseg surface mesh\nelement vertex " + std::to_string(points) +
           "\nproperty float x\nproperty float y\nproperty float z\nelement face " + std::to_string(triangles) +
           "\nproperty list uchar int vertex_indices\nproperty int object_id\nend_header\n";
}

std::string objHeader(std::size_t points, std::size_t triangles)
{
    return "# mitoseg surface mesh: " + std::to_string(points) + " vertices, " + std::to_string(triangles) +
           " triangles; one group per object\n";
}

/// Triangle t of `mesh` as STL: its unit normal, three corners, a zero attribute.
void stlTriangle(std::string& buf, const SurfaceMesh& mesh, std::size_t t)
{
    const auto& p = mesh.points;
    const float* v[3];
    for (int k = 0; k < 3; ++k)
        v[k] = &p[3 * static_cast<std::size_t>(mesh.triangles[3 * t + k])];
    float e1[3], e2[3], n[3];
    for (int k = 0; k < 3; ++k) {
        e1[k] = v[1][k] - v[0][k];
        e2[k] = v[2][k] - v[0][k];
    }
    n[0] = e1[1] * e2[2] - e1[2] * e2[1];
    n[1] = e1[2] * e2[0] - e1[0] * e2[2];
    n[2] = e1[0] * e2[1] - e1[1] * e2[0];
    float len = std::sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
    for (float& c : n)
        putLE<float>(buf, len > 0 ? c / len : 0.0f);
    for (int k = 0; k < 3; ++k)
        for (int c = 0; c < 3; ++c)
            putLE<float>(buf, v[k][c]);
    putLE<std::uint16_t>(buf, 0);
}

void plyVertex(std::string& buf, const SurfaceMesh& mesh, std::size_t i)
{
    for (int c = 0; c < 3; ++c)
        putLE<float>(buf, mesh.points[3 * i + static_cast<std::size_t>(c)]);
}

/// Triangle t with its point indices moved by `base` (the points written before this mesh).
void plyFace(std::string& buf, const SurfaceMesh& mesh, std::size_t t, std::int64_t base, std::uint32_t object)
{
    putLE<std::uint8_t>(buf, 3);
    for (int k = 0; k < 3; ++k)
        putLE<std::int32_t>(buf, static_cast<std::int32_t>(mesh.triangles[3 * t + static_cast<std::size_t>(k)] + base));
    putLE<std::int32_t>(buf, static_cast<std::int32_t>(object));
}

void objVertex(std::string& buf, const SurfaceMesh& mesh, std::size_t i)
{
    char line[128];
    const int n = std::snprintf(line, sizeof line, "v %.9g %.9g %.9g\n", mesh.points[3 * i], mesh.points[3 * i + 1],
                                mesh.points[3 * i + 2]);
    buf.append(line, static_cast<std::size_t>(n));
}

/// Triangle t (1-based indices moved by `base`), after a group line when the object changes.
void objFace(std::string& buf, const SurfaceMesh& mesh, std::size_t t, std::int64_t base, std::uint32_t object,
             bool& anyFace, std::uint32_t& group)
{
    char line[128];
    if (!anyFace || object != group) {
        group = object;
        anyFace = true;
        const int n = std::snprintf(line, sizeof line, "g object_%u\n", group);
        buf.append(line, static_cast<std::size_t>(n));
    }
    const int n = std::snprintf(line, sizeof line, "f %lld %lld %lld\n", static_cast<long long>(mesh.triangles[3 * t] + base + 1),
                                static_cast<long long>(mesh.triangles[3 * t + 1] + base + 1),
                                static_cast<long long>(mesh.triangles[3 * t + 2] + base + 1));
    buf.append(line, static_cast<std::size_t>(n));
}

/// The object of triangle t: `objectId`, or the mesh's own when objectId is 0.
std::uint32_t objectOf(const SurfaceMesh& mesh, std::size_t t, std::uint32_t objectId)
{
    return objectId > 0 ? objectId : mesh.triangleObject[t];
}

/// Writes the vertex part and the face part of `mesh` through two flushing sinks.
template <class VertexSink, class FaceSink>
void encodeParts(const SurfaceMesh& mesh, MeshFormat format, std::int64_t base, std::uint32_t objectId, bool& anyFace,
                 std::uint32_t& group, std::string& vbuf, std::string& fbuf, VertexSink&& flushVertices, FaceSink&& flushFaces)
{
    if (format != MeshFormat::Stl)
        for (std::size_t i = 0; i < mesh.pointCount(); ++i) {
            if (format == MeshFormat::Ply)
                plyVertex(vbuf, mesh, i);
            else
                objVertex(vbuf, mesh, i);
            if (vbuf.size() > (1u << 20))
                flushVertices();
        }
    for (std::size_t t = 0; t < mesh.triangleCount(); ++t) {
        switch (format) {
        case MeshFormat::Stl: stlTriangle(fbuf, mesh, t); break;
        case MeshFormat::Ply: plyFace(fbuf, mesh, t, base, objectOf(mesh, t, objectId)); break;
        case MeshFormat::Obj: objFace(fbuf, mesh, t, base, objectOf(mesh, t, objectId), anyFace, group); break;
        }
        if (fbuf.size() > (1u << 20))
            flushFaces();
    }
}

std::string header(MeshFormat format, std::size_t points, std::size_t triangles)
{
    switch (format) {
    case MeshFormat::Stl: return stlHeader(triangles);
    case MeshFormat::Ply: return plyHeader(points, triangles);
    case MeshFormat::Obj: return objHeader(points, triangles);
    }
    return {};
}

/// Copies the whole scratch file `f` to `out`.
void copyScratch(std::FILE* f, std::ostream& out, const std::filesystem::path& target)
{
    if (std::fflush(f) != 0 || std::fseek(f, 0, SEEK_SET) != 0)
        throw IoError(IoError::Kind::WriteFailed, target, -1, "cannot read back the mesh's scratch file");
    std::vector<char> buf(1u << 20);
    for (;;) {
        const std::size_t got = std::fread(buf.data(), 1, buf.size(), f);
        if (got > 0)
            out.write(buf.data(), static_cast<std::streamsize>(got));
        if (got < buf.size()) {
            if (std::ferror(f))
                throw IoError(IoError::Kind::WriteFailed, target, -1, "cannot read back the mesh's scratch file");
            break;
        }
    }
}

}  // namespace

MeshFormat meshFormatFromPath(const std::filesystem::path& path)
{
    std::string ext = path.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (ext == ".stl")
        return MeshFormat::Stl;
    if (ext == ".ply")
        return MeshFormat::Ply;
    if (ext == ".obj")
        return MeshFormat::Obj;
    throw Error(path.string() + ": unknown mesh format '" + ext + "' (use .stl, .ply or .obj)");
}

const char* meshFormatExtension(MeshFormat format)
{
    switch (format) {
    case MeshFormat::Stl: return ".stl";
    case MeshFormat::Ply: return ".ply";
    case MeshFormat::Obj: return ".obj";
    }
    return "";
}

void writeMesh(const std::filesystem::path& path, const SurfaceMesh& mesh, MeshFormat format)
{
    writeFileAtomically(path, [&](std::ostream& out) {
        out << header(format, mesh.pointCount(), mesh.triangleCount());
        // encodeParts encodes every vertex before the first face, so writing the vertex buffer
        // before each face buffer keeps the order: header, vertices, faces.
        std::string vbuf, fbuf;
        bool anyFace = false;
        std::uint32_t group = 0;
        auto flushVertices = [&] {
            out.write(vbuf.data(), static_cast<std::streamsize>(vbuf.size()));
            vbuf.clear();
        };
        auto flushFaces = [&] {
            flushVertices();
            out.write(fbuf.data(), static_cast<std::streamsize>(fbuf.size()));
            fbuf.clear();
        };
        encodeParts(mesh, format, 0, 0, anyFace, group, vbuf, fbuf, flushVertices, flushFaces);
        flushFaces();
    });
}

MeshFileWriter::MeshFileWriter(std::filesystem::path path, MeshFormat format)
    : path_(std::move(path)), format_(format), vertices_(openScratchFile()), faces_(openScratchFile())
{
    if (!vertices_ || !faces_) {
        close();
        throw IoError(IoError::Kind::WriteFailed, path_, -1, "cannot create a scratch file in " + scratchDirectory().string());
    }
}

MeshFileWriter::~MeshFileWriter() { close(); }

void MeshFileWriter::close()
{
    if (vertices_)
        std::fclose(vertices_);
    if (faces_)
        std::fclose(faces_);
    vertices_ = faces_ = nullptr;
}

void MeshFileWriter::add(const SurfaceMesh& mesh, std::uint32_t objectId)
{
    if (!vertices_)
        throw Error("MeshFileWriter: add after finish");
    if (points_ + mesh.pointCount() > static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max()))
        throw Error("surface mesh too large: more than 2^31 points (use --decimate, or mesh fewer objects)");
    std::string vbuf, fbuf;
    auto put = [&](std::FILE* f, std::string& buf) {
        if (!buf.empty() && std::fwrite(buf.data(), 1, buf.size(), f) != buf.size())
            throw IoError(IoError::Kind::WriteFailed, path_, -1, "cannot write the mesh's scratch file (disk full?)");
        buf.clear();
    };
    encodeParts(mesh, format_, static_cast<std::int64_t>(points_), objectId, anyFace_, group_, vbuf, fbuf,
                [&] { put(vertices_, vbuf); }, [&] { put(faces_, fbuf); });
    put(vertices_, vbuf);
    put(faces_, fbuf);
    points_ += mesh.pointCount();
    triangles_ += mesh.triangleCount();
}

void MeshFileWriter::finish()
{
    if (!vertices_)
        throw Error("MeshFileWriter: finish twice");
    writeFileAtomically(path_, [&](std::ostream& out) {
        out << header(format_, static_cast<std::size_t>(points_), static_cast<std::size_t>(triangles_));
        copyScratch(vertices_, out, path_);
        copyScratch(faces_, out, path_);
    });
    close();
}

std::filesystem::path objectMeshPath(const std::filesystem::path& dir, std::uint32_t id, MeshFormat format)
{
    char name[64];
    std::snprintf(name, sizeof name, "object_%04u%s", id, meshFormatExtension(format));
    return dir / name;
}

std::vector<std::filesystem::path> writeObjectMeshes(const std::filesystem::path& dir, const SurfaceMesh& mesh,
                                                     MeshFormat format, ProgressSink* progress,
                                                     const CancelToken* cancel)
{
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec || !std::filesystem::is_directory(dir))
        throw IoError(IoError::Kind::WriteFailed, dir, -1, "cannot create the folder: " + (ec ? ec.message() : "not a folder"));
    std::set<std::uint32_t> ids(mesh.triangleObject.begin(), mesh.triangleObject.end());
    std::vector<std::filesystem::path> written;
    std::size_t done = 0;
    for (std::uint32_t id : ids) {
        if (cancel)
            cancel->check();
        written.push_back(objectMeshPath(dir, id, format));
        writeMesh(written.back(), mesh.object(id), format);
        if (progress)
            progress->progress(static_cast<double>(++done), static_cast<double>(ids.size()), "writing object meshes");
    }
    return written;
}

}  // namespace mitoseg
