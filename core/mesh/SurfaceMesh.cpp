#include "core/mesh/SurfaceMesh.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "core/base/Error.h"

namespace mitoseg {

void SurfaceMesh::append(const SurfaceMesh& other, std::uint32_t objectId)
{
    if (pointCount() + other.pointCount() > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()))
        throw Error("surface mesh too large: more than 2^31 points (use --decimate, or mesh fewer objects)");
    const auto base = static_cast<std::int32_t>(pointCount());
    points.insert(points.end(), other.points.begin(), other.points.end());
    triangles.reserve(triangles.size() + other.triangles.size());
    for (std::int32_t i : other.triangles)
        triangles.push_back(i + base);
    if (objectId > 0)
        triangleObject.insert(triangleObject.end(), other.triangleCount(), objectId);
    else
        triangleObject.insert(triangleObject.end(), other.triangleObject.begin(), other.triangleObject.end());
}

SurfaceMesh SurfaceMesh::object(std::uint32_t id) const
{
    SurfaceMesh out;
    std::unordered_map<std::int32_t, std::int32_t> remap;
    for (std::size_t t = 0; t < triangleCount(); ++t) {
        if (triangleObject[t] != id)
            continue;
        for (int k = 0; k < 3; ++k) {
            std::int32_t p = triangles[3 * t + k];
            auto [it, inserted] = remap.try_emplace(p, static_cast<std::int32_t>(out.pointCount()));
            if (inserted)
                out.points.insert(out.points.end(), points.begin() + 3 * p, points.begin() + 3 * p + 3);
            out.triangles.push_back(it->second);
        }
        out.triangleObject.push_back(id);
    }
    return out;
}

namespace {
struct V3 {
    double x, y, z;
};
V3 pointAt(const std::vector<float>& pts, std::int32_t i)
{
    return {pts[3 * i], pts[3 * i + 1], pts[3 * i + 2]};
}
V3 sub(V3 a, V3 b) { return {a.x - b.x, a.y - b.y, a.z - b.z}; }
V3 cross(V3 a, V3 b) { return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x}; }
double dot(V3 a, V3 b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
}  // namespace

double SurfaceMesh::area() const
{
    double sum = 0.0;
    for (std::size_t t = 0; t < triangleCount(); ++t) {
        V3 a = pointAt(points, triangles[3 * t]), b = pointAt(points, triangles[3 * t + 1]),
           c = pointAt(points, triangles[3 * t + 2]);
        V3 n = cross(sub(b, a), sub(c, a));
        sum += 0.5 * std::sqrt(dot(n, n));
    }
    return sum;
}

double SurfaceMesh::signedVolume() const
{
    double sum = 0.0;
    for (std::size_t t = 0; t < triangleCount(); ++t) {
        V3 a = pointAt(points, triangles[3 * t]), b = pointAt(points, triangles[3 * t + 1]),
           c = pointAt(points, triangles[3 * t + 2]);
        sum += dot(a, cross(b, c));
    }
    return sum / 6.0;
}

bool SurfaceMesh::isClosed() const
{
    if (triangles.empty())
        return false;
    std::vector<std::uint64_t> edges;
    edges.reserve(triangles.size());
    for (std::size_t t = 0; t < triangleCount(); ++t)
        for (int k = 0; k < 3; ++k) {
            auto a = static_cast<std::uint32_t>(triangles[3 * t + k]);
            auto b = static_cast<std::uint32_t>(triangles[3 * t + (k + 1) % 3]);
            if (a > b)
                std::swap(a, b);
            edges.push_back((std::uint64_t{a} << 32) | b);
        }
    std::sort(edges.begin(), edges.end());
    for (std::size_t i = 0; i < edges.size();) {
        std::size_t j = i;
        while (j < edges.size() && edges[j] == edges[i])
            ++j;
        if (j - i != 2)
            return false;
        i = j;
    }
    return true;
}

}  // namespace mitoseg
