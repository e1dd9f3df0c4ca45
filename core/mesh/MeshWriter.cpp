#include "core/mesh/MeshWriter.h"

#include <algorithm>
#include <bit>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <set>

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

void writeStl(std::ostream& out, const SurfaceMesh& mesh)
{
    char header[80] = {};
    std::snprintf(header, sizeof header, "mitoseg binary STL, %zu triangles", mesh.triangleCount());
    out.write(header, 80);
    std::string buf;
    putLE<std::uint32_t>(buf, static_cast<std::uint32_t>(mesh.triangleCount()));
    const auto& p = mesh.points;
    for (std::size_t t = 0; t < mesh.triangleCount(); ++t) {
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
        if (buf.size() > (1u << 20)) {
            out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
            buf.clear();
        }
    }
    out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
}

void writePly(std::ostream& out, const SurfaceMesh& mesh)
{
    out << "ply\nformat binary_little_endian 1.0\ncomment mitoseg surface mesh\n"
        << "element vertex " << mesh.pointCount() << "\nproperty float x\nproperty float y\nproperty float z\n"
        << "element face " << mesh.triangleCount() << "\nproperty list uchar int vertex_indices\n"
        << "property int object_id\nend_header\n";
    std::string buf;
    buf.reserve(1u << 20);
    auto flush = [&](bool force) {
        if (force || buf.size() > (1u << 20)) {
            out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
            buf.clear();
        }
    };
    for (float f : mesh.points) {
        putLE<float>(buf, f);
        flush(false);
    }
    for (std::size_t t = 0; t < mesh.triangleCount(); ++t) {
        putLE<std::uint8_t>(buf, 3);
        for (int k = 0; k < 3; ++k)
            putLE<std::int32_t>(buf, mesh.triangles[3 * t + k]);
        putLE<std::int32_t>(buf, static_cast<std::int32_t>(mesh.triangleObject[t]));
        flush(false);
    }
    flush(true);
}

void writeObj(std::ostream& out, const SurfaceMesh& mesh)
{
    out << "# mitoseg surface mesh: " << mesh.pointCount() << " vertices, " << mesh.triangleCount()
        << " triangles; one group per object\n";
    char line[128];
    std::string buf;
    auto flush = [&](bool force) {
        if (force || buf.size() > (1u << 20)) {
            out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
            buf.clear();
        }
    };
    for (std::size_t i = 0; i < mesh.pointCount(); ++i) {
        int n = std::snprintf(line, sizeof line, "v %.9g %.9g %.9g\n", mesh.points[3 * i], mesh.points[3 * i + 1],
                              mesh.points[3 * i + 2]);
        buf.append(line, static_cast<std::size_t>(n));
        flush(false);
    }
    std::uint32_t group = 0;
    for (std::size_t t = 0; t < mesh.triangleCount(); ++t) {
        if (t == 0 || mesh.triangleObject[t] != group) {
            group = mesh.triangleObject[t];
            int n = std::snprintf(line, sizeof line, "g object_%u\n", group);
            buf.append(line, static_cast<std::size_t>(n));
        }
        int n = std::snprintf(line, sizeof line, "f %d %d %d\n", mesh.triangles[3 * t] + 1, mesh.triangles[3 * t + 1] + 1,
                              mesh.triangles[3 * t + 2] + 1);
        buf.append(line, static_cast<std::size_t>(n));
        flush(false);
    }
    flush(true);
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
        switch (format) {
        case MeshFormat::Stl: writeStl(out, mesh); break;
        case MeshFormat::Ply: writePly(out, mesh); break;
        case MeshFormat::Obj: writeObj(out, mesh); break;
        }
    });
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
