// The real EPFL training mask (165 x 768 x 1024): every object gets a closed surface, the
// measurements account for every foreground voxel, and mesh volumes agree with voxel volumes.
#include <gtest/gtest.h>

#include <cmath>

#include "../base/TestSupport.h"
#include "VtkReadBack.h"
#include "core/io/TiffStack.h"
#include "core/mesh/MeshWriter.h"
#include "core/mesh/SurfaceExtractor.h"

using namespace mitoseg;

TEST(MeshSurfaceSlow, LucchiTrainingMaskGivesClosedSurfaces)
{
    const auto path = test::lucchiFile("training_groundtruth.tif");
    ASSERT_FALSE(path.empty());
    const VolumeU8 mask = readLabels(path, true);
    std::int64_t foreground = 0;
    for (std::uint8_t v : mask.values())
        foreground += v != 0;

    MeshOptions options;
    options.decimate = 0.5;
    const Spacing spacing{5, 5, 5, "nm"};
    const MeshScene scene = buildMeshScene(mask, spacing, options);
    ASSERT_GT(scene.objects.size(), 10u);
    std::int64_t voxels = 0;
    double voxelVolume = 0;
    for (const ObjectMeasure& m : scene.objects) {
        voxels += m.voxels;
        voxelVolume += m.volume;
        EXPECT_GT(m.triangles, 0) << "object " << m.id;
        EXPECT_GT(m.sphericity, 0.1) << "object " << m.id;
        EXPECT_LT(m.sphericity, 1.0) << "object " << m.id;
        EXPECT_GT(m.meshVolume, 0.0) << "object " << m.id;
        for (int k = 0; k < 3; ++k) {
            EXPECT_GE(m.centroidVoxel[k], static_cast<double>(m.bboxMin[k]));
            EXPECT_LE(m.centroidVoxel[k], static_cast<double>(m.bboxMax[k]));
        }
    }
    EXPECT_EQ(voxels, foreground);
    EXPECT_DOUBLE_EQ(voxelVolume, static_cast<double>(foreground) * 125.0);

    test::ScratchDir dir;
    writeMesh(dir / "lucchi.ply", scene.mesh, MeshFormat::Ply);
    auto poly = test::readMeshWithVtk(dir / "lucchi.ply");
    ASSERT_TRUE(poly);
    EXPECT_EQ(static_cast<std::size_t>(poly->GetNumberOfPolys()), scene.mesh.triangleCount());
    EXPECT_EQ(test::openEdges(poly), 0);
    EXPECT_TRUE(scene.mesh.isClosed());
    // Marching cubes cuts voxel corners and smoothing shrinks a little: within 5 % of the voxels.
    EXPECT_NEAR(scene.mesh.signedVolume() / voxelVolume, 1.0, 0.05);
}
