#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include <vtkCellData.h>
#include <vtkDataArray.h>

#include "../base/TestSupport.h"
#include "MeshPhantoms.h"
#include "VtkReadBack.h"
#include "core/base/Error.h"
#include "core/base/AtomicFile.h"
#include "core/mesh/MeshWriter.h"
#include "core/mesh/SurfaceExtractor.h"

using namespace mitoseg;
using mitoseg::test::openEdges;
using mitoseg::test::paintBall;
using mitoseg::test::readMeshWithVtk;

namespace {
MeshScene twoBalls()
{
    VolumeU8 mask(Shape{24, 24, 40});
    mask.spacing = Spacing{5, 5, 5, "nm"};
    paintBall(mask, 60, 60, 50, 35);
    paintBall(mask, 60, 60, 150, 30);
    return buildMeshScene(mask, mask.spacing, MeshOptions{});
}
}  // namespace

class MeshExport : public ::testing::TestWithParam<const char*> {};

TEST_P(MeshExport, VtkReadsBackTheSameClosedTriangles)
{
    MeshScene scene = twoBalls();
    ASSERT_EQ(scene.objects.size(), 2u);
    test::ScratchDir dir;
    auto path = dir / (std::string("scene") + GetParam());
    writeMesh(path, scene.mesh, meshFormatFromPath(path));
    auto poly = readMeshWithVtk(path);
    ASSERT_TRUE(poly);
    EXPECT_EQ(static_cast<std::size_t>(poly->GetNumberOfPolys()), scene.mesh.triangleCount());
    EXPECT_EQ(openEdges(poly), 0);
    EXPECT_NEAR(test::vtkVolume(poly) / scene.mesh.signedVolume(), 1.0, 1e-4);
    // Only the written file is left (no temporary sibling).
    int entries = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
        ++entries;
        EXPECT_EQ(e.path(), path) << "temp file left: " << e.path();
    }
    EXPECT_EQ(entries, 1);
}

TEST_P(MeshExport, OneFilePerObject)
{
    MeshScene scene = twoBalls();
    test::ScratchDir dir;
    MeshFormat format = meshFormatFromPath(std::string("x") + GetParam());
    auto files = writeObjectMeshes(dir / "objects", scene.mesh, format);
    ASSERT_EQ(files.size(), 2u);
    EXPECT_EQ(files[0].filename().string(), std::string("object_0001") + GetParam());
    for (std::size_t i = 0; i < files.size(); ++i) {
        auto poly = readMeshWithVtk(files[i]);
        ASSERT_TRUE(poly);
        EXPECT_EQ(poly->GetNumberOfPolys(), scene.objects[i].triangles);
        EXPECT_EQ(openEdges(poly), 0);
    }
}

INSTANTIATE_TEST_SUITE_P(Formats, MeshExport, ::testing::Values(".stl", ".ply", ".obj"));

TEST(MeshExportPly, CarriesObjectIdsPerFace)
{
    MeshScene scene = twoBalls();
    test::ScratchDir dir;
    writeMesh(dir / "s.ply", scene.mesh, MeshFormat::Ply);
    auto poly = readMeshWithVtk(dir / "s.ply");
    ASSERT_TRUE(poly);
    EXPECT_EQ(static_cast<std::size_t>(poly->GetNumberOfPoints()), scene.mesh.pointCount());
    // The binary layout must be exact for the reader to land on the right triangle count; the
    // last face's object id is 2.
    std::ifstream in(dir / "s.ply", std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    EXPECT_NE(text.find("property int object_id"), std::string::npos);
    std::int32_t lastId = 0;
    std::memcpy(&lastId, text.data() + text.size() - 4, 4);
    EXPECT_EQ(lastId, 2);
}

TEST(MeshExportFormat, UnknownExtensionIsAnError)
{
    EXPECT_THROW(meshFormatFromPath("scene.vtk"), Error);
    EXPECT_EQ(meshFormatFromPath("A.STL"), MeshFormat::Stl);
}

TEST(MeshExportAtomic, FailedWriteLeavesExistingFileUntouched)
{
    test::ScratchDir dir;
    auto path = dir / "keep.stl";
    {
        std::ofstream(path) << "old contents";
    }
    EXPECT_THROW(writeFileAtomically(path, [](std::ostream& out) {
                     out << "partial";
                     throw Cancelled();
                 }),
                 Cancelled);
    std::ifstream in(path);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    EXPECT_EQ(text, "old contents");
    int entries = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path()))
        ++entries;
    EXPECT_EQ(entries, 1);
}

TEST(MeshExportAtomic, UnwritableTargetThrowsIoError)
{
    test::ScratchDir dir;
    SurfaceMesh empty;
    EXPECT_THROW(writeMesh(dir.path() / "missing" / "x.obj", empty, MeshFormat::Obj), IoError);
}

// --out of `mitoseg mesh` streams objects through MeshFileWriter: the file must be byte for byte
// what writeMesh gives for the same meshes appended, in every format, also when a mesh comes
// with its own object ids (objectId 0) and when an object has no triangles.
TEST_P(MeshExport, StreamedFileEqualsTheWholeMeshFile)
{
    MeshScene scene = twoBalls();
    ASSERT_EQ(scene.objects.size(), 2u);
    const SurfaceMesh a = scene.mesh.object(1), b = scene.mesh.object(2);
    test::ScratchDir dir;
    const MeshFormat format = meshFormatFromPath(std::string("x") + GetParam());
    SurfaceMesh whole;
    whole.append(a, 7);
    whole.append(SurfaceMesh{}, 8);
    whole.append(scene.mesh, 0);   // carries ids 1 and 2
    whole.append(b, 3);
    writeMesh(dir / (std::string("whole") + GetParam()), whole, format);
    {
        MeshFileWriter w(dir / (std::string("streamed") + GetParam()), format);
        w.add(a, 7);
        w.add(SurfaceMesh{}, 8);
        w.add(scene.mesh, 0);
        w.add(b, 3);
        EXPECT_EQ(w.triangles(), whole.triangleCount());
        EXPECT_FALSE(std::filesystem::exists(dir / (std::string("streamed") + GetParam())));   // nothing before finish
        w.finish();
        EXPECT_THROW(w.add(a, 9), Error);
    }
    auto bytes = [](const std::filesystem::path& p) {
        std::ifstream in(p, std::ios::binary);
        return std::string(std::istreambuf_iterator<char>(in), {});
    };
    const std::string x = bytes(dir / (std::string("whole") + GetParam())), y = bytes(dir / (std::string("streamed") + GetParam()));
    EXPECT_GT(x.size(), 1000u);
    EXPECT_TRUE(x == y) << "sizes " << x.size() << " and " << y.size();
    // A writer dropped before finish leaves nothing behind.
    {
        MeshFileWriter w(dir / (std::string("dropped") + GetParam()), format);
        w.add(a, 1);
    }
    EXPECT_FALSE(std::filesystem::exists(dir / (std::string("dropped") + GetParam())));
}
