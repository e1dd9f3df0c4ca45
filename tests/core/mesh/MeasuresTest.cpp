#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <numbers>
#include <sstream>

#include "../base/TestSupport.h"
#include "MeshPhantoms.h"
#include "core/base/Error.h"
#include "core/mesh/SurfaceExtractor.h"

using namespace mitoseg;
using mitoseg::test::paintBox;

namespace {
MeshOptions noSurfaceWork()
{
    MeshOptions o;
    o.smoothIterations = 0;
    return o;
}
}  // namespace

TEST(MeshMeasures, BoxPhantomIsExact)
{
    VolumeU8 mask(Shape{12, 20, 40});
    paintBox(mask, 3, 5, 10, 7, 14, 29);  // 5 x 10 x 20 voxels
    Spacing sp{2.0, 0.5, 0.25, "nm"};
    MeshScene scene = buildMeshScene(mask, sp, noSurfaceWork());
    ASSERT_EQ(scene.objects.size(), 1u);
    const ObjectMeasure& m = scene.objects[0];
    EXPECT_EQ(m.id, 1u);
    EXPECT_EQ(m.voxels, 5 * 10 * 20);
    EXPECT_DOUBLE_EQ(m.volume, 1000 * 2.0 * 0.5 * 0.25);
    EXPECT_EQ(m.bboxMin, (std::array<std::int64_t, 3>{3, 5, 10}));
    EXPECT_EQ(m.bboxMax, (std::array<std::int64_t, 3>{7, 14, 29}));
    EXPECT_DOUBLE_EQ(m.centroidVoxel[0], 5.0);
    EXPECT_DOUBLE_EQ(m.centroidVoxel[1], 9.5);
    EXPECT_DOUBLE_EQ(m.centroidVoxel[2], 19.5);
    EXPECT_DOUBLE_EQ(m.centroidPhysical[0], 10.0);
    EXPECT_DOUBLE_EQ(m.centroidPhysical[1], 4.75);
    EXPECT_DOUBLE_EQ(m.centroidPhysical[2], 4.875);
    EXPECT_GT(m.surfaceArea, 0.0);
    EXPECT_EQ(m.triangles, static_cast<std::int64_t>(scene.mesh.triangleCount()));
}

TEST(MeshMeasures, ConnectivityDecidesWhetherDiagonalNeighboursMerge)
{
    VolumeU8 mask(Shape{6, 6, 6});
    paintBox(mask, 1, 1, 1, 2, 2, 2);
    paintBox(mask, 3, 3, 3, 4, 4, 4);  // touches the first box only at a corner
    MeshOptions o = noSurfaceWork();
    o.connectivity = Connectivity::Six;
    MeshScene six = buildMeshScene(mask, mask.spacing, o);
    o.connectivity = Connectivity::TwentySix;
    MeshScene twentySix = buildMeshScene(mask, mask.spacing, o);
    ASSERT_EQ(six.objects.size(), 2u);
    EXPECT_EQ(six.objects[0].voxels, 8);
    EXPECT_EQ(six.objects[1].voxels, 8);
    ASSERT_EQ(twentySix.objects.size(), 1u);
    EXPECT_EQ(twentySix.objects[0].voxels, 16);
}

TEST(MeshMeasures, MinVoxelsDropsSmallObjectsAndRenumbers)
{
    VolumeU8 mask(Shape{10, 10, 10});
    paintBox(mask, 0, 0, 0, 0, 0, 0);        // 1 voxel, first in raster order
    paintBox(mask, 4, 4, 4, 6, 6, 6);        // 27 voxels
    paintBox(mask, 8, 0, 0, 9, 1, 1);        // 8 voxels
    MeshOptions o = noSurfaceWork();
    o.minVoxels = 8;
    MeshScene scene = buildMeshScene(mask, mask.spacing, o);
    ASSERT_EQ(scene.objects.size(), 2u);
    EXPECT_EQ(scene.objects[0].id, 1u);
    EXPECT_EQ(scene.objects[0].voxels, 27);
    EXPECT_EQ(scene.objects[1].id, 2u);
    EXPECT_EQ(scene.objects[1].voxels, 8);
    for (std::uint32_t id : scene.mesh.triangleObject)
        EXPECT_TRUE(id == 1 || id == 2);
}

TEST(MeshMeasures, LabelOptionSelectsOneValue)
{
    VolumeU8 mask(Shape{8, 8, 8});
    paintBox(mask, 1, 1, 1, 2, 2, 2, 1);
    paintBox(mask, 5, 5, 5, 6, 6, 7, 2);
    MeshOptions o = noSurfaceWork();
    o.label = 2;
    MeshScene scene = buildMeshScene(mask, mask.spacing, o);
    ASSERT_EQ(scene.objects.size(), 1u);
    EXPECT_EQ(scene.objects[0].voxels, 12);
    EXPECT_EQ(scene.objects[0].bboxMin[0], 5);
}

TEST(MeshMeasures, EmptyMaskGivesNoObjects)
{
    VolumeU8 mask(Shape{4, 5, 6});
    MeshScene scene = buildMeshScene(mask, mask.spacing, MeshOptions{});
    EXPECT_TRUE(scene.objects.empty());
    EXPECT_TRUE(scene.mesh.empty());
}

TEST(MeshMeasures, CsvHasUnitsInHeaderAndOneRowPerObject)
{
    VolumeU8 mask(Shape{10, 10, 10});
    paintBox(mask, 1, 1, 1, 2, 3, 4);
    paintBox(mask, 6, 6, 6, 8, 8, 8);
    Spacing sp{5, 5, 5, "nm"};
    MeshScene scene = buildMeshScene(mask, sp, noSurfaceWork());
    test::ScratchDir dir;
    writeMeasuresCsv(dir / "m.csv", scene.objects, sp);
    std::ifstream in(dir / "m.csv");
    std::string header, line;
    std::getline(in, header);
    EXPECT_NE(header.find("volume_nm3"), std::string::npos) << header;
    EXPECT_NE(header.find("surface_area_nm2"), std::string::npos) << header;
    EXPECT_NE(header.find("centroid_z_nm"), std::string::npos) << header;
    std::vector<std::string> rows;
    while (std::getline(in, line))
        rows.push_back(line);
    ASSERT_EQ(rows.size(), 2u);
    // Second object: 27 voxels of 125 nm^3.
    std::stringstream ss(rows[1]);
    std::string id, voxels, volume;
    std::getline(ss, id, ',');
    std::getline(ss, voxels, ',');
    std::getline(ss, volume, ',');
    EXPECT_EQ(id, "2");
    EXPECT_EQ(voxels, "27");
    EXPECT_DOUBLE_EQ(std::stod(volume), 27 * 125.0);
}

// Smoothing shrinks the surface of an object of one or two voxels to almost nothing (it was
// listed with area 0); such objects get the area of their exposed voxel faces, scaled by the
// spacing, and the sphericity that goes with it.
TEST(MeshMeasures, TinyObjectsGetTheAreaOfTheirVoxelFaces)
{
    VolumeU8 mask(Shape{9, 9, 9});
    paintBox(mask, 2, 2, 2, 2, 2, 2);        // one voxel
    paintBox(mask, 6, 6, 5, 6, 6, 6);        // two voxels along x
    paintBox(mask, 1, 5, 1, 3, 7, 3);        // 27 voxels: keeps its mesh
    for (const MeshOptions& o : {MeshOptions{}, noSurfaceWork()}) {
        MeshScene unit = buildMeshScene(mask, Spacing{1, 1, 1, "px"}, o);
        ASSERT_EQ(unit.objects.size(), 3u);
        for (const ObjectMeasure& m : unit.objects) {
            EXPECT_GT(m.surfaceArea, 0.0) << "object " << m.id;
            EXPECT_GT(m.sphericity, 0.0) << "object " << m.id;
            EXPECT_LE(m.sphericity, 1.0) << "object " << m.id;
            if (m.voxels > 2) {
                EXPECT_FALSE(m.voxelSurface) << "object " << m.id << " of " << m.voxels << " voxels";
            }
        }
    }
    const Spacing sp{2.0, 1.0, 0.5, "nm"};
    MeshScene scene = buildMeshScene(mask, sp, MeshOptions{});   // the studio's defaults: smoothed
    ASSERT_EQ(scene.objects.size(), 3u);
    const ObjectMeasure& lone = scene.objects[1];   // raster order: the box (z = 1) comes first
    const ObjectMeasure& pair = scene.objects[2];
    ASSERT_EQ(lone.voxels, 1);
    ASSERT_EQ(pair.voxels, 2);
    EXPECT_GT(lone.triangles, 0) << "the (shrunken) mesh is still drawn";
    // Two faces of each orientation: z faces are y*x, y faces z*x, x faces z*y.
    EXPECT_DOUBLE_EQ(lone.surfaceArea, 2 * (1.0 * 0.5) + 2 * (2.0 * 0.5) + 2 * (2.0 * 1.0));
    EXPECT_DOUBLE_EQ(lone.meshVolume, lone.volume);
    // Four z faces, four y faces and the two x end faces.
    EXPECT_DOUBLE_EQ(pair.surfaceArea, 4 * (1.0 * 0.5) + 4 * (2.0 * 0.5) + 2 * (2.0 * 1.0));
    EXPECT_TRUE(lone.voxelSurface);
    EXPECT_TRUE(pair.voxelSurface);
    EXPECT_FALSE(scene.objects[0].voxelSurface);

    // A lone cube voxel has the sphericity of a cube: (pi/6)^(1/3).
    ObjectMeasure cube;
    cube.voxels = 1;
    cube.volume = 1.0;
    cube.bboxMin = cube.bboxMax = {2, 2, 2};
    Components c = connectedComponents(mask, Connectivity::TwentySix);
    setVoxelSurfaceMeasures(cube, exposedFaceArea(c.labels, c.labels(2, 2, 2), cube, Spacing{}));
    EXPECT_DOUBLE_EQ(cube.surfaceArea, 6.0);
    EXPECT_NEAR(cube.sphericity, std::cbrt(std::numbers::pi / 6.0), 1e-12);
}

TEST(MeshMeasures, ObjectsCutByTheVolumeBorderAreFlagged)
{
    VolumeU8 mask(Shape{10, 12, 14});
    paintBox(mask, 0, 3, 3, 2, 5, 5);        // touches z = 0
    paintBox(mask, 4, 4, 4, 6, 6, 6);        // inside
    paintBox(mask, 4, 8, 10, 6, 10, 13);     // touches x = width - 1
    paintBox(mask, 8, 10, 1, 9, 11, 2);      // touches z and y maxima
    MeshScene scene = buildMeshScene(mask, Spacing{5, 5, 5, "nm"}, noSurfaceWork());
    ASSERT_EQ(scene.objects.size(), 4u);
    EXPECT_TRUE(scene.objects[0].touchesBorder);
    EXPECT_FALSE(scene.objects[1].touchesBorder);
    EXPECT_TRUE(scene.objects[2].touchesBorder);
    EXPECT_TRUE(scene.objects[3].touchesBorder);

    // The CSV keeps its columns and appends touches_border last.
    test::ScratchDir dir;
    writeMeasuresCsv(dir / "m.csv", scene.objects, scene.spacing);
    std::ifstream in(dir / "m.csv");
    std::string header, line;
    std::getline(in, header);
    EXPECT_EQ(header.substr(0, header.find(",volume")), "id,voxels");
    ASSERT_GE(header.size(), std::string(",bbox_x_max_voxel,touches_border").size());
    EXPECT_TRUE(header.ends_with(",bbox_x_max_voxel,touches_border")) << header;
    std::vector<std::string> last;
    while (std::getline(in, line))
        last.push_back(line.substr(line.rfind(',') + 1));
    EXPECT_EQ(last, (std::vector<std::string>{"1", "0", "1", "1"}));
}

TEST(MeshMeasures, CsvIntoMissingFolderThrowsIoErrorNamingTheFile)
{
    test::ScratchDir dir;
    auto target = dir.path() / "no" / "such" / "m.csv";
    try {
        writeMeasuresCsv(target, {}, Spacing{});
        FAIL() << "expected IoError";
    } catch (const IoError& e) {
        EXPECT_EQ(e.kind(), IoError::Kind::WriteFailed);
        EXPECT_NE(std::string(e.what()).find("m.csv"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(std::filesystem::exists(target));
}
