// `mitoseg mesh` and `mitoseg bench mesh`, run as the real binary on small generated masks.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>

#include "TestSupport.h"
#include "core/base/Volume.h"
#include "core/io/TiffWriter.h"

using mitoseg::test::runCommand;
using mitoseg::test::ScratchDir;

namespace {

std::string cli() { return MITOSEG_CLI_EXE; }
std::string q(const std::filesystem::path& p)
{
    std::string s(1, '\'');
    s.append(p.string());
    s.push_back('\'');
    return s;
}

// Two boxes (3x4x5 and 2x2x2 voxels) and one single voxel, written as a 0/255 mask (writeMask).
std::filesystem::path writeBoxes(const ScratchDir& dir, mitoseg::Spacing spacing = {})
{
    mitoseg::VolumeU8 v(mitoseg::Shape{10, 12, 14});
    v.spacing = spacing;
    for (int z = 1; z <= 3; ++z)
        for (int y = 2; y <= 5; ++y)
            for (int x = 3; x <= 7; ++x)
                v(z, y, x) = 1;
    for (int z = 6; z <= 7; ++z)
        for (int y = 8; y <= 9; ++y)
            for (int x = 10; x <= 11; ++x)
                v(z, y, x) = 1;
    v(9, 0, 13) = 1;
    auto path = dir / "boxes.tif";
    mitoseg::writeMask(path, v);
    return path;
}

std::uint32_t stlTriangles(const std::filesystem::path& p)
{
    std::ifstream in(p, std::ios::binary);
    char header[84] = {};
    in.read(header, 84);
    std::uint32_t n = 0;
    std::memcpy(&n, header + 80, 4);
    return n;
}

long long summaryValue(const std::string& out, const std::string& key)
{
    auto p = out.find(key + ": ");
    if (p == std::string::npos)
        return -1;
    return std::stoll(out.substr(p + key.size() + 2));
}

std::vector<std::string> lines(const std::filesystem::path& p)
{
    std::ifstream in(p);
    std::vector<std::string> out;
    for (std::string l; std::getline(in, l);)
        out.push_back(l);
    return out;
}

}  // namespace

TEST(MeshCli, HelpDescribesEveryOption)
{
    std::string out;
    ASSERT_EQ(runCommand(cli() + " mesh --help", &out), 0);
    for (const char* opt : {"--out", "--per-object", "--stats", "--spacing", "--smooth", "--decimate", "--connectivity",
                            "--min-voxels", "--label"})
        EXPECT_NE(out.find(opt), std::string::npos) << opt;
    ASSERT_EQ(runCommand(cli() + " bench mesh --help", &out), 0);
    EXPECT_NE(out.find("--repeats"), std::string::npos);
}

TEST(MeshCli, WritesMeshesAndStatsWithSummary)
{
    ScratchDir dir;
    auto mask = writeBoxes(dir);
    std::string out;
    const std::string cmd = cli() + " mesh " + q(mask) + " --out " + q(dir / "all.stl") + " --per-object " +
                            q(dir / "objects") + " --stats " + q(dir / "stats.csv") +
                            " --spacing 2,1,0.5 --unit nm --smooth 0 2>" + q(dir / "err.txt");
    ASSERT_EQ(runCommand(cmd, &out), 0) << out;
    EXPECT_EQ(summaryValue(out, "objects"), 3) << out;
    const long long tris = summaryValue(out, "triangles");
    EXPECT_GT(tris, 0);
    EXPECT_EQ(static_cast<long long>(stlTriangles(dir / "all.stl")), tris);
    EXPECT_NE(out.find("time: "), std::string::npos);
    std::uint32_t perObject = 0;
    for (const char* name : {"object_0001.stl", "object_0002.stl", "object_0003.stl"}) {
        ASSERT_TRUE(std::filesystem::exists(dir / "objects" / name)) << name;
        perObject += stlTriangles(dir / "objects" / name);
    }
    EXPECT_EQ(static_cast<long long>(perObject), tris);
    auto csv = lines(dir / "stats.csv");
    ASSERT_EQ(csv.size(), 4u);
    EXPECT_NE(csv[0].find("volume_nm3"), std::string::npos) << csv[0];
    // Object 1: 3*4*5 = 60 voxels of 2*1*0.5 = 1 nm^3.
    EXPECT_EQ(csv[1].rfind("1,60,60,", 0), 0u) << csv[1];
    EXPECT_EQ(csv[2].rfind("2,8,8,", 0), 0u) << csv[2];
    // The lone voxel in the corner: the area of its six faces (no mesh worth measuring), and
    // cut by the volume border (the last column; the earlier ones keep their order).
    EXPECT_EQ(csv[3].rfind("3,1,1,1,7,", 0), 0u) << csv[3];
    EXPECT_TRUE(csv[0].ends_with(",touches_border")) << csv[0];
    EXPECT_TRUE(csv[1].ends_with(",0")) << csv[1];
    EXPECT_TRUE(csv[2].ends_with(",0")) << csv[2];
    EXPECT_TRUE(csv[3].ends_with(",1")) << csv[3];
    auto err = lines(dir / "err.txt");
    EXPECT_FALSE(err.empty()) << "progress goes to stderr";
}

TEST(MeshCli, MinVoxelsConnectivityAndLabel)
{
    ScratchDir dir;
    auto mask = writeBoxes(dir);
    std::string out;
    ASSERT_EQ(runCommand(cli() + " mesh " + q(mask) + " --stats " + q(dir / "s.csv") + " --min-voxels 8 2>/dev/null", &out), 0);
    EXPECT_EQ(summaryValue(out, "objects"), 2) << out;
    ASSERT_EQ(runCommand(cli() + " mesh " + q(mask) + " --stats " + q(dir / "s.csv") + " --label 255 --connectivity 6 2>/dev/null", &out), 0);
    EXPECT_EQ(summaryValue(out, "objects"), 3) << out;
    ASSERT_EQ(runCommand(cli() + " mesh " + q(mask) + " --stats " + q(dir / "s.csv") + " --label 7 2>/dev/null", &out), 0);
    EXPECT_EQ(summaryValue(out, "objects"), 0) << out;
}

TEST(MeshCli, BadUseExitsTwoAndBadFilesExitOne)
{
    ScratchDir dir;
    auto mask = writeBoxes(dir);
    std::string out;
    EXPECT_EQ(runCommand(cli() + " mesh " + q(mask) + " 2>&1", &out), 2) << "no output requested";
    EXPECT_EQ(runCommand(cli() + " mesh " + q(mask) + " --out x.stl --decimate 1.5 2>&1", &out), 2);
    EXPECT_EQ(runCommand(cli() + " mesh " + q(mask) + " --out x.stl --connectivity 8 2>&1", &out), 2);
    EXPECT_EQ(runCommand(cli() + " mesh " + q(mask) + " --out x.stl --spacing 1,2 2>&1", &out), 2);
    EXPECT_EQ(runCommand(cli() + " mesh " + q(mask) + " --out " + q(dir / "x.vtk") + " 2>&1", &out), 1);
    EXPECT_NE(out.find("x.vtk"), std::string::npos) << out;
    EXPECT_EQ(runCommand(cli() + " mesh " + q(dir / "missing.tif") + " --out " + q(dir / "x.stl") + " 2>&1", &out), 1);
    EXPECT_NE(out.find("missing.tif"), std::string::npos) << out;
    EXPECT_EQ(runCommand(cli() + " mesh " + q(mask) + " --out " + q(dir / "no" / "x.stl") + " 2>&1", &out), 1);
    EXPECT_NE(out.find("x.stl"), std::string::npos) << out;
    EXPECT_FALSE(std::filesystem::exists(dir / "x.stl"));
}

TEST(MeshCli, BenchPrintsMediansAndPeerRatio)
{
    ScratchDir dir;
    auto mask = writeBoxes(dir);
    std::string out;
    ASSERT_EQ(runCommand(cli() + " bench mesh " + q(mask) + " --repeats 1 2>/dev/null", &out), 0) << out;
    EXPECT_NE(out.find("scikit-image"), std::string::npos) << out;
    EXPECT_NE(out.find("\"ratio_whole\""), std::string::npos) << out;
    EXPECT_NE(out.find("\"objects\": 3"), std::string::npos) << out;
    ASSERT_EQ(runCommand(cli() + " bench mesh " + q(mask) + " --repeats 2 --no-peer 2>/dev/null", &out), 0) << out;
    EXPECT_EQ(out.find("\"peer_s\""), std::string::npos) << out;
}

TEST(MeshCliSlow, LucchiTrainingMask)
{
    auto mask = mitoseg::test::lucchiFile("training_groundtruth.tif");
    ASSERT_FALSE(mask.empty());
    ScratchDir dir;
    std::string out;
    ASSERT_EQ(runCommand(cli() + " mesh " + q(mask) + " --spacing 5,5,5 --unit nm --decimate 0.5 --out " +
                             q(dir / "mito.ply") + " --stats " + q(dir / "mito.csv") + " 2>/dev/null",
                         &out),
              0)
        << out;
    const long long objects = summaryValue(out, "objects");
    EXPECT_GT(objects, 10) << out;
    EXPECT_EQ(static_cast<long long>(lines(dir / "mito.csv").size()), objects + 1);
    EXPECT_GT(std::filesystem::file_size(dir / "mito.ply"), 1000000u);
}
