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
