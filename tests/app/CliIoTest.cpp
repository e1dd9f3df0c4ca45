// `mitoseg info` and `mitoseg bench load`, run as a process on generated stacks.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "TestSupport.h"
#include "core/io/TiffWriter.h"

using mitoseg::test::runCommand;
using mitoseg::test::ScratchDir;

namespace {

std::string cli() { return MITOSEG_CLI_EXE; }

/// A 3 x 20 x 30 uint16 Deflate stack with 40 x 4 x 5 nm voxels.
std::filesystem::path makeStack(const ScratchDir& dir)
{
    mitoseg::VolumeU16 v({3, 20, 30});
    for (std::size_t i = 0; i < v.values().size(); ++i)
        v.values()[i] = static_cast<std::uint16_t>(i * 37);
    v.spacing = {40.0, 4.0, 5.0, "nm"};
    const auto path = dir / "stack.tif";
    mitoseg::writeStack(path, v, {mitoseg::TiffCompression::Deflate});
    return path;
}

TEST(CliInfo, PrintsShapeTypeSpacingAndLayout)
{
    ScratchDir dir;
    const auto path = makeStack(dir);
    std::string out;
    ASSERT_EQ(runCommand(cli() + " info " + path.string(), &out), 0) << out;
    EXPECT_NE(out.find("shape:       3 x 20 x 30 (z, y, x)"), std::string::npos) << out;
    EXPECT_NE(out.find("dtype:       uint16"), std::string::npos) << out;
    EXPECT_NE(out.find("spacing:     40 x 4 x 5 nm"), std::string::npos) << out;
    EXPECT_NE(out.find("compression: deflate"), std::string::npos) << out;
    EXPECT_NE(out.find("tiled:       no"), std::string::npos) << out;
    EXPECT_NE(out.find("bigtiff:     no"), std::string::npos) << out;
    EXPECT_NE(out.find("data bytes:  3600 "), std::string::npos) << out;
    EXPECT_NE(out.find("file bytes:  " + std::to_string(std::filesystem::file_size(path))), std::string::npos) << out;
}

TEST(CliInfo, JsonHasEveryField)
{
    ScratchDir dir;
    const auto path = makeStack(dir);
    std::string out;
    ASSERT_EQ(runCommand(cli() + " info --json " + path.string(), &out), 0) << out;
    EXPECT_NE(out.find("\"shape\": [3, 20, 30]"), std::string::npos) << out;
    EXPECT_NE(out.find("\"dtype\": \"uint16\""), std::string::npos) << out;
    EXPECT_NE(out.find("\"spacing\": [40, 4, 5]"), std::string::npos) << out;
    EXPECT_NE(out.find("\"unit\": \"nm\""), std::string::npos) << out;
    EXPECT_NE(out.find("\"compression\": \"deflate\""), std::string::npos) << out;
    EXPECT_NE(out.find("\"tiled\": false"), std::string::npos) << out;
    EXPECT_NE(out.find("\"bigtiff\": false"), std::string::npos) << out;
    EXPECT_NE(out.find("\"data_bytes\": 3600"), std::string::npos) << out;
    EXPECT_NE(out.find("\"file_bytes\": " + std::to_string(std::filesystem::file_size(path))), std::string::npos) << out;
    // It is valid JSON for Python too.
    std::string check;
    EXPECT_EQ(runCommand(cli() + " info --json " + path.string() +
                             " | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d[\"shape\"], d[\"bigtiff\"])'",
                         &check),
              0);
    EXPECT_EQ(check, "[3, 20, 30] False\n");
}

TEST(CliInfo, NonTiffFailsWithMessageNamingTheFile)
{
    ScratchDir dir;
    const auto path = dir / "notes.tif";
    std::ofstream(path) << "hello, not a tiff\n";
    std::string out, err;
    EXPECT_EQ(runCommand(cli() + " info " + path.string() + " 2>/dev/null", &out), 1);
    EXPECT_EQ(out, "");
    EXPECT_EQ(runCommand(cli() + " info " + path.string() + " 2>&1 >/dev/null", &err), 1);
    EXPECT_NE(err.find(path.string()), std::string::npos) << err;
    EXPECT_NE(err.find("not a TIFF"), std::string::npos) << err;
}

TEST(CliInfo, MissingFileFailsAndWrongUsageExitsTwo)
{
    ScratchDir dir;
    std::string err;
    EXPECT_EQ(runCommand(cli() + " info " + (dir / "gone.tif").string() + " 2>&1", &err), 1);
    EXPECT_NE(err.find("gone.tif"), std::string::npos) << err;
    EXPECT_EQ(runCommand(cli() + " info 2>&1", &err), 2);
    EXPECT_EQ(runCommand(cli() + " info a.tif --frobnicate 2>&1", &err), 2);
}

TEST(CliInfo, HelpDescribesTheCommand)
{
    std::string out;
    ASSERT_EQ(runCommand(cli() + " info --help", &out), 0);
    EXPECT_NE(out.find("usage: mitoseg info STACK.tif|MODEL.msm [--json]"), std::string::npos) << out;
    ASSERT_EQ(runCommand(cli() + " bench load --help", &out), 0);
    EXPECT_NE(out.find("--repeats N"), std::string::npos) << out;
}

TEST(CliBenchLoad, ReportsTimesAndTheRatioToTifffile)
{
    ScratchDir dir;
    const auto path = makeStack(dir);
    std::string out;
    ASSERT_EQ(runCommand("MITOSEG_PEER=" + std::string(MITOSEG_PEER) + " " + cli() + " bench load " + path.string() +
                             " --repeats 1 --json",
                         &out),
              0)
        << out;
    std::smatch m;
    for (const char* key : {"open_ms", "open_first_slice_ms", "full_read_ms", "mb_per_s", "ratio_vs_peer"})
        EXPECT_TRUE(std::regex_search(out, m, std::regex(std::string("\"") + key + "\": [0-9.]+"))) << key << " in " << out;
    EXPECT_NE(out.find("\"name\": \"tifffile\""), std::string::npos) << out;
    EXPECT_NE(out.find("\"shape\": [3, 20, 30]"), std::string::npos) << out;
}

TEST(CliBenchLoad, BrokenPeerIsReportedNotFatalAndNoPeerSkipsIt)
{
    ScratchDir dir;
    const auto path = makeStack(dir);
    std::string out;
    ASSERT_EQ(runCommand("MITOSEG_PEER=" + (dir / "missing.py").string() + " " + cli() + " bench load " + path.string() +
                             " --repeats 1 2>&1",
                         &out),
              0);
    EXPECT_NE(out.find("peer not measured"), std::string::npos) << out;
    ASSERT_EQ(runCommand(cli() + " bench load " + path.string() + " --repeats 2 --no-peer", &out), 0);
    EXPECT_NE(out.find("full read:"), std::string::npos) << out;
    EXPECT_NE(out.find("skipped (--no-peer)"), std::string::npos) << out;
    EXPECT_EQ(runCommand(cli() + " bench load " + path.string() + " --repeats 0 2>&1", &out), 2);
}

}  // namespace
