#include "core/mesh/ObjectMeasures.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numbers>
#include <string>

#include "core/base/AtomicFile.h"

namespace mitoseg {

std::vector<ObjectMeasure> measureComponents(const Components& components, const Spacing& spacing)
{
    const std::uint32_t n = components.count;
    std::vector<ObjectMeasure> out(n);
    std::vector<std::array<double, 3>> sums(n, {0.0, 0.0, 0.0});
    constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
    for (std::uint32_t i = 0; i < n; ++i) {
        out[i].id = i + 1;
        out[i].bboxMin = {kMax, kMax, kMax};
        out[i].bboxMax = {-1, -1, -1};
    }
    const auto& labels = components.labels;
    const std::uint32_t* lab = labels.data();
    for (std::int64_t z = 0; z < labels.depth(); ++z)
        for (std::int64_t y = 0; y < labels.height(); ++y) {
            const std::uint32_t* row = lab + labels.index(z, y, 0);
            for (std::int64_t x = 0; x < labels.width(); ++x) {
                const std::uint32_t l = row[x];
                if (l == 0 || l > n)
                    continue;
                ObjectMeasure& m = out[l - 1];
                ++m.voxels;
                auto& s = sums[l - 1];
                s[0] += static_cast<double>(z);
                s[1] += static_cast<double>(y);
                s[2] += static_cast<double>(x);
                const std::int64_t idx[3] = {z, y, x};
                for (int k = 0; k < 3; ++k) {
                    m.bboxMin[k] = std::min(m.bboxMin[k], idx[k]);
                    m.bboxMax[k] = std::max(m.bboxMax[k], idx[k]);
                }
            }
        }
    const double sp[3] = {spacing.z, spacing.y, spacing.x};
    const std::int64_t dims[3] = {labels.depth(), labels.height(), labels.width()};
    for (std::uint32_t i = 0; i < n; ++i) {
        ObjectMeasure& m = out[i];
        for (int k = 0; k < 3 && m.voxels > 0; ++k)
            if (m.bboxMin[k] == 0 || m.bboxMax[k] == dims[k] - 1)
                m.touchesBorder = true;
        m.volume = static_cast<double>(m.voxels) * spacing.z * spacing.y * spacing.x;
        for (int k = 0; k < 3; ++k) {
            m.centroidVoxel[k] = m.voxels ? sums[i][k] / static_cast<double>(m.voxels) : 0.0;
            m.centroidPhysical[k] = m.centroidVoxel[k] * sp[k];
        }
    }
    return out;
}

void setSurfaceMeasures(ObjectMeasure& m, double area, double meshVolume)
{
    m.surfaceArea = area;
    m.meshVolume = meshVolume;
    m.sphericity = area > 0.0 && meshVolume > 0.0
                       ? std::cbrt(std::numbers::pi) * std::pow(6.0 * meshVolume, 2.0 / 3.0) / area
                       : 0.0;
}

double exposedFaceArea(const Volume<std::uint32_t>& labels, std::uint32_t label, const ObjectMeasure& m,
                       const Spacing& spacing)
{
    if (m.voxels <= 0)
        return 0.0;
    const std::int64_t dims[3] = {labels.depth(), labels.height(), labels.width()};
    // faces[k]: exposed faces normal to axis k (z, y, x); each has the area of the other two axes.
    std::int64_t faces[3] = {0, 0, 0};
    auto same = [&](std::int64_t z, std::int64_t y, std::int64_t x) {
        return z >= 0 && y >= 0 && x >= 0 && z < dims[0] && y < dims[1] && x < dims[2] && labels(z, y, x) == label;
    };
    for (std::int64_t z = m.bboxMin[0]; z <= m.bboxMax[0]; ++z)
        for (std::int64_t y = m.bboxMin[1]; y <= m.bboxMax[1]; ++y)
            for (std::int64_t x = m.bboxMin[2]; x <= m.bboxMax[2]; ++x) {
                if (labels(z, y, x) != label)
                    continue;
                faces[0] += !same(z - 1, y, x) + !same(z + 1, y, x);
                faces[1] += !same(z, y - 1, x) + !same(z, y + 1, x);
                faces[2] += !same(z, y, x - 1) + !same(z, y, x + 1);
            }
    return static_cast<double>(faces[0]) * spacing.y * spacing.x + static_cast<double>(faces[1]) * spacing.z * spacing.x +
           static_cast<double>(faces[2]) * spacing.z * spacing.y;
}

void setVoxelSurfaceMeasures(ObjectMeasure& m, double faceArea)
{
    setSurfaceMeasures(m, faceArea, m.volume);
    m.voxelSurface = true;
}

void writeMeasuresCsv(const std::filesystem::path& path, const std::vector<ObjectMeasure>& objects,
                      const Spacing& spacing)
{
    const std::string u = spacing.unit.empty() ? std::string("px") : spacing.unit;
    writeFileAtomically(path, [&](std::ostream& out) {
        out << "id,voxels,volume_" << u << "3,mesh_volume_" << u << "3,surface_area_" << u << "2,sphericity,triangles,"
            << "centroid_z_" << u << ",centroid_y_" << u << ",centroid_x_" << u << ","
            << "centroid_z_voxel,centroid_y_voxel,centroid_x_voxel,"
            << "bbox_z_min_voxel,bbox_y_min_voxel,bbox_x_min_voxel,bbox_z_max_voxel,bbox_y_max_voxel,bbox_x_max_voxel,"
            << "touches_border\n";
        char buf[512];
        for (const ObjectMeasure& m : objects) {
            std::snprintf(buf, sizeof buf,
                          "%u,%lld,%.10g,%.10g,%.10g,%.6f,%lld,%.10g,%.10g,%.10g,%.6f,%.6f,%.6f,%lld,%lld,%lld,%lld,%lld,%lld,%d\n",
                          m.id, static_cast<long long>(m.voxels), m.volume, m.meshVolume, m.surfaceArea, m.sphericity,
                          static_cast<long long>(m.triangles), m.centroidPhysical[0], m.centroidPhysical[1],
                          m.centroidPhysical[2], m.centroidVoxel[0], m.centroidVoxel[1], m.centroidVoxel[2],
                          static_cast<long long>(m.bboxMin[0]), static_cast<long long>(m.bboxMin[1]),
                          static_cast<long long>(m.bboxMin[2]), static_cast<long long>(m.bboxMax[0]),
                          static_cast<long long>(m.bboxMax[1]), static_cast<long long>(m.bboxMax[2]),
                          m.touchesBorder ? 1 : 0);
            out << buf;
        }
    });
}

}  // namespace mitoseg
