#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <numbers>

#include "../base/TestSupport.h"
#include "MeshPhantoms.h"
#include "VtkReadBack.h"
#include "core/base/Error.h"
#include "core/mesh/MeshWriter.h"
#include "core/mesh/SurfaceExtractor.h"

using namespace mitoseg;
using mitoseg::test::openEdges;
using mitoseg::test::paintBall;
using mitoseg::test::paintBox;
using mitoseg::test::readMeshWithVtk;
using mitoseg::test::vtkVolume;

namespace {

struct BallCase {
    Spacing spacing;
    double radius;  // physical
};

// Builds a ball phantom, meshes it with default options, exports STL and checks the read-back mesh.
void checkBall(const BallCase& c)
{
    const Spacing& s = c.spacing;
    const double margin = c.radius + 3 * std::max({s.z, s.y, s.x});
    Shape shape{static_cast<std::int64_t>(std::ceil(2 * margin / s.z)), static_cast<std::int64_t>(std::ceil(2 * margin / s.y)),
                static_cast<std::int64_t>(std::ceil(2 * margin / s.x))};
    VolumeU8 mask(shape);
    mask.spacing = s;
    paintBall(mask, margin, margin, margin, c.radius);
    MeshScene scene = buildMeshScene(mask, s, MeshOptions{});
    ASSERT_EQ(scene.objects.size(), 1u);

    test::ScratchDir dir;
    writeMesh(dir / "ball.stl", scene.mesh, MeshFormat::Stl);
    auto poly = readMeshWithVtk(dir / "ball.stl");
    ASSERT_TRUE(poly);
    EXPECT_EQ(static_cast<std::size_t>(poly->GetNumberOfCells()), scene.mesh.triangleCount());
    EXPECT_EQ(openEdges(poly), 0);

    const double truth = 4.0 / 3.0 * std::numbers::pi * c.radius * c.radius * c.radius;
    const double vol = vtkVolume(poly);
    std::printf("ball r=%g spacing %g,%g,%g: mesh volume error %+.3f%%, sphericity %.4f, %zu triangles\n", c.radius,
                s.z, s.y, s.x, 100.0 * (vol / truth - 1.0), scene.objects[0].sphericity, scene.mesh.triangleCount());
    EXPECT_NEAR(vol / truth, 1.0, 0.02) << "mesh volume " << vol << " vs " << truth;
    EXPECT_NEAR(scene.mesh.signedVolume() / vol, 1.0, 1e-3) << "outward winding, same volume as VTK";
    EXPECT_NEAR(scene.objects[0].volume / truth, 1.0, 0.02);
    EXPECT_GT(scene.objects[0].sphericity, 0.95);
    EXPECT_LE(scene.objects[0].sphericity, 1.0);
    EXPECT_NEAR(scene.objects[0].meshVolume / vol, 1.0, 1e-3);
    EXPECT_NEAR(scene.objects[0].surfaceArea, test::vtkArea(poly), 1e-3 * scene.objects[0].surfaceArea);
    // Centroid of the ball is its centre.
    EXPECT_NEAR(scene.objects[0].centroidPhysical[0], margin, 0.05 * s.z);
    EXPECT_NEAR(scene.objects[0].centroidPhysical[2], margin, 0.05 * s.x);
}

}  // namespace

TEST(MeshSurface, SphereVolumeWithinTwoPercentIsotropic) { checkBall({Spacing{1, 1, 1, "px"}, 20.0}); }

TEST(MeshSurface, SphereVolumeWithinTwoPercentAnisotropic) { checkBall({Spacing{3.0, 1.5, 1.0, "nm"}, 30.0}); }

TEST(MeshSurface, ObjectsTouchingTheBorderAreClosed)
{
    VolumeU8 mask(Shape{10, 12, 14});
    paintBox(mask, 0, 0, 0, 9, 5, 13);   // fills half the volume, touching five faces
    paintBox(mask, 0, 8, 0, 3, 11, 3);   // a second object in a corner
    MeshOptions o;
    o.smoothIterations = 0;
    MeshScene scene = buildMeshScene(mask, mask.spacing, o);
    ASSERT_EQ(scene.objects.size(), 2u);
    test::ScratchDir dir;
    writeMesh(dir / "b.ply", scene.mesh, MeshFormat::Ply);
    auto poly = readMeshWithVtk(dir / "b.ply");
    ASSERT_TRUE(poly);
    EXPECT_EQ(openEdges(poly), 0);
    // Unsmoothed marching cubes of a box cuts its 12 edges and 8 corners; volume stays close.
    EXPECT_NEAR(vtkVolume(poly) / (10 * 6 * 14 + 4 * 4 * 4), 1.0, 0.15);
}

TEST(MeshSurface, WholeMaskExtractionMatchesPerObjectExtraction)
{
    VolumeU8 mask(Shape{30, 30, 30});
    mask.spacing = Spacing{2, 1, 1, "nm"};
    paintBall(mask, 20, 10, 10, 7);
    paintBall(mask, 40, 20, 20, 6);
    MeshOptions o;
    o.smoothIterations = 0;
    MeshScene scene = buildMeshScene(mask, mask.spacing, o);
    SurfaceMesh whole = extractMaskSurface(mask, mask.spacing);
    ASSERT_EQ(scene.objects.size(), 2u);
    EXPECT_EQ(whole.triangleCount(), scene.mesh.triangleCount());
    EXPECT_NEAR(whole.signedVolume(), scene.mesh.signedVolume(), 1e-6 * scene.mesh.signedVolume());
    EXPECT_NEAR(whole.area(), scene.mesh.area(), 1e-6 * scene.mesh.area());
}

TEST(MeshSurface, DecimationReducesTrianglesAndKeepsSurfacesClosed)
{
    VolumeU8 mask(Shape{40, 40, 40});
    paintBall(mask, 20, 20, 20, 15);
    MeshOptions o;
    MeshScene full = buildMeshScene(mask, mask.spacing, o);
    o.decimate = 0.75;
    MeshScene reduced = buildMeshScene(mask, mask.spacing, o);
    const double ratio = double(reduced.mesh.triangleCount()) / double(full.mesh.triangleCount());
    EXPECT_LT(ratio, 0.35);
    EXPECT_GT(ratio, 0.15);
    test::ScratchDir dir;
    writeMesh(dir / "d.stl", reduced.mesh, MeshFormat::Stl);
    auto poly = readMeshWithVtk(dir / "d.stl");
    ASSERT_TRUE(poly);
    EXPECT_EQ(openEdges(poly), 0);
    EXPECT_NEAR(vtkVolume(poly) / full.mesh.signedVolume(), 1.0, 0.03);
}

TEST(MeshSurface, CancelledTokenStopsTheJob)
{
    VolumeU8 mask(Shape{20, 20, 20});
    paintBall(mask, 10, 10, 10, 6);
    CancelToken cancel;
    cancel.cancel();
    EXPECT_THROW(buildMeshScene(mask, mask.spacing, MeshOptions{}, nullptr, &cancel), Cancelled);
    EXPECT_THROW(extractMaskSurface(mask, mask.spacing, -1, &cancel), Cancelled);
}

TEST(MeshSurface, ProgressReachesTheEnd)
{
    VolumeU8 mask(Shape{20, 20, 20});
    paintBall(mask, 5, 5, 5, 3);
    paintBall(mask, 14, 14, 14, 3);
    double lastDone = -1, lastTotal = -1;
    int calls = 0;
    FunctionProgress sink([&](double done, double total, const std::string&) {
        lastDone = done;
        lastTotal = total;
        ++calls;
    });
    buildMeshScene(mask, mask.spacing, MeshOptions{}, &sink);
    EXPECT_GT(calls, 3);
    EXPECT_EQ(lastDone, lastTotal);
}

TEST(MeshSurface, BadOptionsAreErrors)
{
    VolumeU8 mask(Shape{4, 4, 4});
    MeshOptions o;
    o.decimate = 1.0;
    EXPECT_THROW(buildMeshScene(mask, mask.spacing, o), Error);
    EXPECT_THROW(buildMeshScene(mask, Spacing{0, 1, 1, "nm"}, MeshOptions{}), Error);
}

TEST(MeshSurface, IsClosedDetectsHolesAndNonManifoldEdges)
{
    SurfaceMesh tetra;
    tetra.points = {0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1};
    tetra.triangles = {0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3};
    tetra.triangleObject = {1, 1, 1, 1};
    EXPECT_TRUE(tetra.isClosed());
    EXPECT_NEAR(tetra.signedVolume(), 1.0 / 6.0, 1e-9);
    SurfaceMesh open = tetra;
    open.triangles.resize(9);
    open.triangleObject.resize(3);
    EXPECT_FALSE(open.isClosed());
    SurfaceMesh fin = tetra;  // a fifth triangle on edge 0-1 makes it non-manifold
    fin.points.insert(fin.points.end(), {0.5f, -1, 0});
    fin.triangles.insert(fin.triangles.end(), {0, 1, 4});
    fin.triangleObject.push_back(1);
    EXPECT_FALSE(fin.isClosed());
    EXPECT_FALSE(SurfaceMesh{}.isClosed());
}
