#include <gtest/gtest.h>

#include "TestSupport.h"
#include "core/engine/ComputePrecision.h"

using mitoseg::test::runCommand;

namespace {
std::string cli() { return MITOSEG_CLI_EXE; }
}  // namespace

TEST(Cli, HelpListsEveryCommandAndExitsZero)
{
    std::string out;
    ASSERT_EQ(runCommand(cli() + " --help", &out), 0);
    for (const char* name : {"info", "train", "predict", "evaluate", "mesh", "bench load"})
        EXPECT_NE(out.find(name), std::string::npos) << name << " missing from:\n" << out;
}

TEST(Cli, UnknownCommandExitsTwoWithMessageOnStderr)
{
    std::string out;
    int rc = runCommand(cli() + " frobnicate 2>&1", &out);
    EXPECT_EQ(rc, 2);
    EXPECT_NE(out.find("unknown command 'frobnicate'"), std::string::npos) << out;
}

TEST(Cli, PrecisionFlagsAndEnvironmentAreChecked)
{
    std::string out;
    EXPECT_EQ(runCommand(cli() + " predict in.tif --out out.tif --fp32 --bf16 2>&1", &out), 2);
    EXPECT_NE(out.find("--fp32 and --bf16 exclude each other"), std::string::npos) << out;
    EXPECT_EQ(runCommand("MITOSEG_PRECISION=half " + cli() + " train a.tif b.tif --out m.msm 2>&1", &out), 2);
    EXPECT_NE(out.find("MITOSEG_PRECISION='half' is not bf16, fp32 or int8"), std::string::npos) << out;
    for (const char* other : {"--bf16", "--fp32", "--reference"}) {
        EXPECT_EQ(runCommand(cli() + " predict in.tif --out out.tif --int8 " + other + " 2>&1", &out), 2) << other;
        EXPECT_NE(out.find("--int8 excludes --bf16, --fp32 and --reference"), std::string::npos) << out;
    }
    EXPECT_EQ(runCommand(cli() + " bench predict --int8 --bf16 2>&1", &out), 2);
    EXPECT_NE(out.find("--int8 excludes --bf16 and --fp32"), std::string::npos) << out;
    // The training banner says which format runs; the environment picks it.
    EXPECT_EQ(runCommand(cli() + " train --help", &out), 0);
    EXPECT_NE(out.find("--fp32 | --bf16"), std::string::npos) << out;
}

// 8-bit prediction where the CPU runs it; where oneDNN 2.6 would take its AMX-INT8 kernels
// (which corrupt memory on small feature maps) --int8 is refused by name, MITOSEG_PRECISION=int8
// falls back to the CPU's default with a warning, and the int8 lever is left out.
TEST(Cli, Int8RunsOrIsRefusedByNameAsTheCpuAllows)
{
    std::string out;
    const std::string small = " bench predict --no-peer --repeats 1 --height 64 --width 64 --preset tiny";
    const std::string why = mitoseg::int8Unavailable();
    if (why.empty()) {
        ASSERT_EQ(runCommand(cli() + small + " --int8 2>&1", &out), 0) << out;
        EXPECT_NE(out.find("int8 + CL"), std::string::npos) << out;
        return;
    }
    EXPECT_EQ(runCommand(cli() + small + " --int8 2>&1", &out), 2) << out;
    EXPECT_NE(out.find("--int8: " + why), std::string::npos) << out;
    EXPECT_EQ(runCommand(cli() + " predict in.tif --out out.tif --int8 2>&1", &out), 2) << out;
    EXPECT_NE(out.find("--int8: " + why), std::string::npos) << out;
    ASSERT_EQ(runCommand("MITOSEG_PRECISION=int8 " + cli() + small + " --levers 2>&1", &out), 0) << out;
    EXPECT_NE(out.find("MITOSEG_PRECISION=int8 ignored: " + why), std::string::npos) << out;
    EXPECT_NE(out.find("no int8 lever"), std::string::npos) << out;
    EXPECT_EQ(out.find("int8 + CL"), std::string::npos) << out;
    EXPECT_NE(out.find("pure bf16 + CL, BN folded, prepacked"), std::string::npos) << out;   // bfloat16 on AMX
    // oneDNN kept below its AMX kernels: int8 runs on the VNNI ones.
    ASSERT_EQ(runCommand("ONEDNN_MAX_CPU_ISA=AVX512_CORE_VNNI " + cli() + small + " --int8 2>&1", &out), 0) << out;
    EXPECT_NE(out.find("int8 + CL"), std::string::npos) << out;
}
