// Rendezvous resolution (options, torchrun and Slurm environments) and the Slurm node-list
// parser: pure functions, no process group.
#include <gtest/gtest.h>

#include <map>

#include "core/base/Error.h"
#include "core/dist/Rendezvous.h"

using namespace mitoseg;

namespace {

EnvLookup env(std::map<std::string, std::string> vars)
{
    return [vars](const std::string& name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end())
            return std::nullopt;
        return it->second;
    };
}

std::string errorOf(const DistOptions& o, const EnvLookup& e)
{
    try {
        resolveRendezvous(o, e);
    } catch (const Error& err) {
        return err.what();
    }
    return "";
}

}  // namespace

TEST(SlurmNodelist, ExpandsRangesListsAndPadding)
{
    EXPECT_EQ(expandSlurmNodelist("node[01-03,07]"), (std::vector<std::string>{"node01", "node02", "node03", "node07"}));
    EXPECT_EQ(expandSlurmNodelist("gpu5"), (std::vector<std::string>{"gpu5"}));
    EXPECT_EQ(expandSlurmNodelist("a[8-10],b1,c[2]"), (std::vector<std::string>{"a8", "a9", "a10", "b1", "c2"}));
    EXPECT_EQ(expandSlurmNodelist("r[1-2]n[3-4]"), (std::vector<std::string>{"r1n3", "r1n4", "r2n3", "r2n4"}));
    EXPECT_EQ(expandSlurmNodelist("cn[009-011]-ib"), (std::vector<std::string>{"cn009-ib", "cn010-ib", "cn011-ib"}));
    EXPECT_EQ(expandSlurmNodelist("node[01-03,07]").front(), "node01");
}

TEST(SlurmNodelist, RejectsBadSyntaxAndHugeLists)
{
    for (const char* bad : {"", "node[01-03", "node01]", "node[]", "node[3-1]", "node[a-b]", "a,,b", "node[1-2,]"})
        EXPECT_THROW(expandSlurmNodelist(bad), Error) << bad;
    EXPECT_THROW(expandSlurmNodelist("n[0-999999999]", 1000), Error);
}

TEST(Rendezvous, ExplicitOptionsTcpAndFile)
{
    DistOptions o;
    o.rank = 1;
    o.worldSize = 3;
    o.rendezvous = "tcp://10.0.0.5:29501";
    Rendezvous r = resolveRendezvous(o, env({{"WORLD_SIZE", "8"}}));   // options win over the environment
    EXPECT_EQ(r.kind, Rendezvous::Kind::Tcp);
    EXPECT_EQ(r.rank, 1);
    EXPECT_EQ(r.worldSize, 3);
    EXPECT_EQ(r.host, "10.0.0.5");
    EXPECT_EQ(r.port, 29501);
    EXPECT_EQ(r.source, "options");
    EXPECT_TRUE(r.distributed());
    o.rendezvous = "file:///shared/job/store";
    r = resolveRendezvous(o, env({}));
    EXPECT_EQ(r.kind, Rendezvous::Kind::File);
    EXPECT_EQ(r.path, "/shared/job/store");
    o.rendezvous = "tcp://[::1]:80";
    EXPECT_EQ(resolveRendezvous(o, env({})).host, "::1");
    // One rank needs no rendezvous.
    DistOptions one;
    one.rank = 0;
    one.worldSize = 1;
    EXPECT_FALSE(resolveRendezvous(one, env({})).distributed());
}

TEST(Rendezvous, BadOptionsSayWhatIsWrong)
{
    DistOptions o;
    o.rank = 0;
    o.worldSize = 2;
    EXPECT_NE(errorOf(o, env({})).find("--rendezvous is missing"), std::string::npos);
    for (const char* url : {"http://host:1", "tcp://host", "tcp://:5", "tcp://host:0", "tcp://host:65536", "tcp://host:12x",
                            "file://relative/path", "file:///dir/", "host:29500"}) {
        o.rendezvous = url;
        EXPECT_NE(errorOf(o, env({})).find("rendezvous"), std::string::npos) << url;
    }
    o.rendezvous = "tcp://h:1";
    o.rank = 2;
    EXPECT_NE(errorOf(o, env({})).find("rank 2 is outside 0..1"), std::string::npos);
    DistOptions half;
    half.rank = 0;
    EXPECT_NE(errorOf(half, env({})).find("--world-size is missing"), std::string::npos);
    DistOptions noRank;
    noRank.worldSize = 2;
    EXPECT_NE(errorOf(noRank, env({})).find("--rank is missing"), std::string::npos);
}

TEST(Rendezvous, TorchrunEnvironment)
{
    Rendezvous r = resolveRendezvous({}, env({{"RANK", "2"}, {"WORLD_SIZE", "4"}, {"MASTER_ADDR", "node7"}, {"MASTER_PORT", "29400"}}));
    EXPECT_EQ(r.source, "torchrun environment");
    EXPECT_EQ(r.rank, 2);
    EXPECT_EQ(r.worldSize, 4);
    EXPECT_EQ(r.host, "node7");
    EXPECT_EQ(r.port, 29400);
    EXPECT_NE(errorOf({}, env({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_PORT", "1"}})).find("MASTER_ADDR is not set"),
              std::string::npos);
    EXPECT_NE(errorOf({}, env({{"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}, {"MASTER_PORT", "1"}})).find("RANK is not set"),
              std::string::npos);
    EXPECT_NE(errorOf({}, env({{"RANK", "x"}, {"WORLD_SIZE", "2"}})).find("RANK must be a whole number"), std::string::npos);
    EXPECT_NE(errorOf({}, env({{"RANK", "5"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}, {"MASTER_PORT", "1"}})).find("outside"),
              std::string::npos);
}

TEST(Rendezvous, SlurmEnvironmentUsesTheFirstHost)
{
    Rendezvous r = resolveRendezvous(
        {}, env({{"SLURM_PROCID", "3"}, {"SLURM_NTASKS", "4"}, {"SLURM_JOB_NODELIST", "cn[012-013,020]"}, {"SLURM_JOB_ID", "77"}}));
    EXPECT_EQ(r.source, "Slurm environment");
    EXPECT_EQ(r.rank, 3);
    EXPECT_EQ(r.worldSize, 4);
    EXPECT_EQ(r.host, "cn012");
    EXPECT_EQ(r.port, 29500);
    // srun's step task count wins over the job's; MASTER_ADDR / MASTER_PORT override.
    r = resolveRendezvous({}, env({{"SLURM_PROCID", "1"}, {"SLURM_NTASKS", "8"}, {"SLURM_STEP_NUM_TASKS", "2"},
                                   {"SLURM_JOB_NODELIST", "a1"}, {"MASTER_ADDR", "head"}, {"MASTER_PORT", "1234"}}));
    EXPECT_EQ(r.worldSize, 2);
    EXPECT_EQ(r.host, "head");
    EXPECT_EQ(r.port, 1234);
    EXPECT_NE(errorOf({}, env({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "2"}})).find("SLURM_JOB_NODELIST is not set"), std::string::npos);
    // Nothing set: a single process.
    EXPECT_FALSE(resolveRendezvous({}, env({})).distributed());
    EXPECT_EQ(resolveRendezvous({}, env({})).source, "single process");
}
