#include <gtest/gtest.h>

#include "TestSupport.h"

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
