// The streamed mesher equals buildMeshScene object for object (numbering, measurements, meshes)
// on masks whose objects cross many slices and merge late, with budgets so small that every
// object is extracted in its own group; a budget too small for one object is refused.
#include <gtest/gtest.h>

#include <random>

#include "MeshPhantoms.h"
#include "core/base/Error.h"
#include "core/mesh/StreamingMesher.h"

using namespace mitoseg;

namespace {

// Balls, z-long rods, a U joined only on its last slice, one-voxel specks (collapsed meshes),
// a diagonal staircase (26-connected only) and a second label value.
VolumeU8 phantom()
{
    VolumeU8 v(Shape{24, 40, 48}, 0);
    v.spacing = Spacing{2.0, 1.0, 1.5, "nm"};
    test::paintBall(v, 10.0, 10.0, 12.0, 6.0);
    test::paintBall(v, 30.0, 26.0, 50.0, 5.0, 2);
    test::paintBox(v, 0, 30, 4, 23, 32, 6);          // rod through every slice, touches the border
    test::paintBox(v, 2, 4, 30, 20, 5, 31);          // U: two pillars ...
    test::paintBox(v, 2, 4, 40, 20, 5, 41);
    test::paintBox(v, 20, 4, 30, 20, 5, 41);         // ... joined on slice 20 only
    for (std::int64_t k = 0; k < 8; ++k)
        v(12 + k, 20 + k, 20 + k) = 255;             // diagonal staircase
    for (double x : {8.0, 17.0, 26.0, 35.0, 69.0})   // a row of small balls at different depths
        test::paintBall(v, 8.0 + x / 2, 37.0, x, 3.5);
    std::mt19937 rng(5);
    for (int i = 0; i < 12; ++i)
        v(static_cast<std::int64_t>(rng() % 24), static_cast<std::int64_t>(rng() % 40), static_cast<std::int64_t>(rng() % 48)) = 255;
    return v;
}

MeshScene streamed(const VolumeU8& v, const MeshOptions& o, std::uint64_t budget, SurfaceMesh* all = nullptr,
                   std::size_t* calls = nullptr)
{
    return meshStreamed(
        v.shape(), [&](std::int64_t z, std::uint8_t* dst) { std::copy(v.slice(z), v.slice(z) + v.shape().sliceVoxels(), dst); },
        v.spacing, o, budget,
        [&](const ObjectMeasure& m, const SurfaceMesh& mesh) {
            if (all)
                all->append(mesh, m.id);
            if (calls)
                ++*calls;
        });
}

void expectSameScene(const VolumeU8& v, const MeshOptions& o, std::uint64_t budget, std::size_t minGroups)
{
    const MeshScene a = buildMeshScene(v, v.spacing, o);
    SurfaceMesh mesh;
    std::size_t calls = 0;
    const MeshScene b = streamed(v, o, budget, &mesh, &calls);
    ASSERT_EQ(a.objects.size(), b.objects.size());
    EXPECT_EQ(calls, b.objects.size());
    EXPECT_GT(a.objects.size(), 3u);
    for (std::size_t i = 0; i < a.objects.size(); ++i) {
        const ObjectMeasure &x = a.objects[i], &y = b.objects[i];
        EXPECT_EQ(x.id, y.id);
        EXPECT_EQ(x.voxels, y.voxels) << i;
        EXPECT_EQ(x.bboxMin, y.bboxMin) << i;
        EXPECT_EQ(x.bboxMax, y.bboxMax) << i;
        EXPECT_EQ(x.centroidVoxel, y.centroidVoxel) << i;
        EXPECT_EQ(x.centroidPhysical, y.centroidPhysical) << i;
        EXPECT_EQ(x.volume, y.volume) << i;
        EXPECT_EQ(x.surfaceArea, y.surfaceArea) << i;
        EXPECT_EQ(x.meshVolume, y.meshVolume) << i;
        EXPECT_EQ(x.sphericity, y.sphericity) << i;
        EXPECT_EQ(x.triangles, y.triangles) << i;
        EXPECT_EQ(x.touchesBorder, y.touchesBorder) << i;
        EXPECT_EQ(x.voxelSurface, y.voxelSurface) << i;
    }
    EXPECT_EQ(a.undecimatedObjects, b.undecimatedObjects);
    EXPECT_GE(b.extractionGroups, minGroups);
    EXPECT_TRUE(b.mesh.empty());
    EXPECT_EQ(a.mesh.points, mesh.points);
    EXPECT_EQ(a.mesh.triangles, mesh.triangles);
    EXPECT_EQ(a.mesh.triangleObject, mesh.triangleObject);
}

}  // namespace

TEST(StreamingMesher, EqualsTheWholeVolumeSceneWithATinyBudget)
{
    const VolumeU8 v = phantom();
    MeshOptions o;
    o.threads = 2;
    // Room for about one object at a time: many groups, each from the runs of its own z-range.
    expectSameScene(v, o, 64u << 10, 5);
    expectSameScene(v, o, 64u << 20, 1);   // one group
    o.connectivity = Connectivity::Six;
    o.minVoxels = 3;
    o.smoothIterations = 5;
    o.decimate = 0.5;
    expectSameScene(v, o, 64u << 10, 5);
    MeshOptions label2;
    label2.label = 2;
    const MeshScene a = buildMeshScene(v, v.spacing, label2), b = streamed(v, label2, 64u << 10);
    ASSERT_EQ(a.objects.size(), 1u);
    ASSERT_EQ(b.objects.size(), 1u);
    EXPECT_EQ(a.objects[0].voxels, b.objects[0].voxels);
    EXPECT_EQ(a.objects[0].surfaceArea, b.objects[0].surfaceArea);
}

TEST(StreamingMesher, LateMergeIsOneObject)
{
    const VolumeU8 v = phantom();
    const MeshScene s = streamed(v, MeshOptions{}, 64u << 10);
    // The U (pillars x 30-31 and 40-41, bar on slice 20) is one object spanning x 30..41.
    bool found = false;
    for (const auto& m : s.objects)
        if (m.bboxMin[2] == 30 && m.bboxMax[2] == 41) {
            found = true;
            EXPECT_EQ(m.voxels, 2 * (19 * 2 * 2) + 1 * 2 * 8);
        }
    EXPECT_TRUE(found);
}

TEST(StreamingMesher, ObjectTooBigForTheBudgetIsRefusedWithTheFigure)
{
    VolumeU8 v(Shape{30, 40, 40}, 0);
    test::paintBall(v, 15, 20, 20, 14);
    std::size_t calls = 0;
    try {
        streamed(v, MeshOptions{}, 40u << 10, nullptr, &calls);
        FAIL() << "no refusal";
    } catch (const Error& e) {
        const std::string text = e.what();
        EXPECT_NE(text.find("object 1 (bounding box 29 x 29 x 29 voxels"), std::string::npos) << text;
        EXPECT_NE(text.find("memory budget is 40.0 KiB: give --memory-budget"), std::string::npos) << text;
    }
    EXPECT_EQ(calls, 0u);   // refused before any surface
    // A slice that alone does not fit is refused before reading.
    EXPECT_THROW(streamed(v, MeshOptions{}, 1000), Error);
}
