// Distributed `mitoseg train` and `predict` (issue #16) as real processes on 127.0.0.1: ranks
// started by packaging/mitoseg-launch (torchrun's variables, TCP store) or with explicit
// --rank/--world-size/--rendezvous file://... (FileStore). Data-parallel training must give the
// weights of one process drawing the same global batch; distributed prediction the same bytes;
// a killed rank must fail the others with a clear message, never hang.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <iterator>
#include <random>
#include <thread>

#include "ChildProcess.h"
#include "DiscStack.h"
#include "TestSupport.h"
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/engine/Json.h"
#include "core/engine/ModelAverage.h"
#include "core/io/TiffStack.h"
#include "core/io/TiffWriter.h"

using mitoseg::test::runCommand;
using mitoseg::test::ScratchDir;
using namespace mitoseg;

namespace {

std::string cli() { return MITOSEG_CLI_EXE; }
std::string launcher() { return std::string(MITOSEG_SOURCE_DIR) + "/packaging/mitoseg-launch"; }

/// 8 x 48 x 64 stack with bright discs, and its 0/255 mask.
void writeDiscStack(const std::filesystem::path& image, const std::filesystem::path& mask)
{
    test::writeDiscStack(image, mask, 8, 5, 4, 5);
}

/// "(command)" (built by appending: GCC 12 warns falsely on "(" + std::string).
std::string subshell(const std::string& command)
{
    std::string s = "(";
    s += command;
    s += ")";
    return s;
}

std::string bytesOf(const std::filesystem::path& p)
{
    std::ifstream f(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
}

/// The options every training run of these tests shares (tiny network, float32, one thread).
std::string trainArgs(const ScratchDir& dir)
{
    return " train " + (dir / "img.tif").string() + " " + (dir / "mask.tif").string() +
           " --preset tiny --base 8 --patch 32 --lr 0.01 --warmup 0 --threads 1 --fp32";
}

}  // namespace

TEST(DistCli, TwoRanksTrainLikeOneProcessWithTheGlobalBatch)
{
    ScratchDir dir;
    writeDiscStack(dir / "img.tif", dir / "mask.tif");
    // No batch norm: then nothing couples the samples of a batch except the loss, and the Dice
    // term is made global, so 2 ranks x 2 patches must give one process's 4 patches. Flips,
    // rotations and intensity augmentation stay on.
    const std::string common = trainArgs(dir) + " --no-batch-norm --no-val --steps 5";
    std::string out;
    int rc = runCommand(launcher() + " 2 " + cli() + common + " --batch 2 --out " + (dir / "two.msm").string() + " 2>&1", &out);
    ASSERT_EQ(rc, 0) << out;
    EXPECT_NE(out.find("rank 1 of 2"), std::string::npos) << out;
    EXPECT_NE(out.find("2 ranks"), std::string::npos) << out;
    rc = runCommand(cli() + common + " --batch 4 --per-patch-seeds --out " + (dir / "one.msm").string() + " 2>&1", &out);
    ASSERT_EQ(rc, 0) << out;
    rc = runCommand(cli() + common + " --batch 4 --out " + (dir / "stream.msm").string() + " 2>&1", &out);
    ASSERT_EQ(rc, 0) << out;
    const double same = maxWeightDifference(dir / "one.msm", dir / "two.msm");
    const double other = maxWeightDifference(dir / "one.msm", dir / "stream.msm");
    EXPECT_LT(same, 1e-4) << "2 ranks x 2 patches against 1 process x 4 patches";
    // The same run with other patches (the single RNG stream) lands elsewhere: the comparison sees training.
    EXPECT_GT(other, 100 * std::max(same, 1e-6)) << same << " vs " << other;
}

TEST(DistCli, FileStoreRanksResumeFromOneCheckpointAndMatchOneProcess)
{
    ScratchDir dir;
    writeDiscStack(dir / "img.tif", dir / "mask.tif");
    // Batch norm in inference mode (--freeze-bn): per-sample again. Two ranks run two steps and
    // write a checkpoint; both resume from it for two more: the same as one process doing the
    // same (its own checkpoint after two steps, resumed), patches by per-patch seeds.
    const std::string common = trainArgs(dir) + " --freeze-bn --no-val";
    auto twoRanks = [&](const std::string& extra, const std::string& store) {
        const std::string url = "file://" + (dir / store).string();
        std::string out;
        int rc = runCommand(subshell(cli() + common + extra + " --rank 1 --world-size 2 --rendezvous " + url + " > " +
                                (dir / "rank1.log").string() + " 2>&1 & " + cli() + common + extra +
                                " --rank 0 --world-size 2 --rendezvous " + url + " 2>&1; r0=$?; wait $!; r1=$?; cat " +
                                (dir / "rank1.log").string() + "; exit $((r0 + r1))"),
                            &out);
        EXPECT_EQ(rc, 0) << out;
        return out;
    };
    twoRanks(" --batch 2 --steps 2 --checkpoint-dir " + (dir / "ck2").string() + " --out " + (dir / "half.msm").string(), "store1");
    ASSERT_TRUE(std::filesystem::exists(dir / "ck2" / "checkpoint.msc"));
    std::string out = twoRanks(" --batch 2 --steps 4 --resume " + (dir / "ck2" / "checkpoint.msc").string() + " --out " +
                                   (dir / "two.msm").string(),
                               "store2");
    EXPECT_NE(out.find("rank 1: 4 steps"), std::string::npos) << out;
    const std::string one = common + " --batch 4 --per-patch-seeds";
    int rc = runCommand(cli() + one + " --steps 2 --checkpoint-dir " + (dir / "ck1").string() + " --out " + (dir / "onehalf.msm").string() +
                            " 2>&1 && " + cli() + one + " --steps 4 --resume " + (dir / "ck1" / "checkpoint.msc").string() + " --out " +
                            (dir / "one.msm").string() + " 2>&1",
                        &out);
    ASSERT_EQ(rc, 0) << out;
    EXPECT_LT(maxWeightDifference(dir / "onehalf.msm", dir / "half.msm"), 1e-4);
    EXPECT_LT(maxWeightDifference(dir / "one.msm", dir / "two.msm"), 1e-4);
    EXPECT_GT(maxWeightDifference(dir / "one.msm", dir / "half.msm"), 1e-3) << "steps 3-4 changed the weights";
}

TEST(DistCli, ThreeRanksPredictTheBytesOfOneProcess)
{
    ScratchDir dir;
    writeDiscStack(dir / "img.tif", dir / "mask.tif");
    std::string out;
    // A 2.5D model (one neighbour each side), so chunk borders need the context of the next chunk.
    int rc = runCommand(cli() + trainArgs(dir) + " --context 1 --no-val --steps 40 --batch 4 --out " + (dir / "m.msm").string() + " 2>&1",
                        &out);
    ASSERT_EQ(rc, 0) << out;
    // z-smoothing over +-1 slice and 3D small-object removal: both reach across chunk borders.
    const std::string predict = " predict " + (dir / "img.tif").string() + " --model " + (dir / "m.msm").string() +
                                " --threads 1 --z-smooth 1 --min-object 40 --threshold 0.5";
    rc = runCommand(cli() + predict + " --out " + (dir / "one.tif").string() + " --prob " + (dir / "one-p.tif").string() + " 2>&1", &out);
    ASSERT_EQ(rc, 0) << out;
    rc = runCommand(launcher() + " 3 " + cli() + predict + " --out " + (dir / "three.tif").string() + " --prob " +
                        (dir / "three-p.tif").string() + " 2>&1",
                    &out);
    ASSERT_EQ(rc, 0) << out;
    EXPECT_NE(out.find("rank 2: predicted its slices"), std::string::npos) << out;
    const std::string one = bytesOf(dir / "one.tif"), three = bytesOf(dir / "three.tif");
    ASSERT_FALSE(one.empty());
    EXPECT_TRUE(one == three) << "masks differ";
    EXPECT_TRUE(bytesOf(dir / "one-p.tif") == bytesOf(dir / "three-p.tif")) << "probabilities differ";
    // Not a trivial output: some foreground, not everything.
    VolumeU8 mask = readStackU8(dir / "one.tif");
    std::size_t fg = 0;
    for (auto v : mask.values())
        fg += v != 0;
    EXPECT_GT(fg, mask.values().size() / 50);
    EXPECT_LT(fg, mask.values().size() / 2);
    // Only rank 0 writes: no stray outputs from the others.
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path()))
        ++files;
    EXPECT_EQ(files, 7u);   // img, mask, m.msm, one, one-p, three, three-p

    // Without --prob the ranks send only thresholded labels, 8 voxels a byte; a wider
    // smoothing (+-2) needs two halo slices at each chunk end. Still the bytes of one process.
    const std::string predict2 = " predict " + (dir / "img.tif").string() + " --model " + (dir / "m.msm").string() +
                                 " --threads 1 --z-smooth 2 --min-object 40 --threshold 0.5";
    rc = runCommand(cli() + predict2 + " --out " + (dir / "one2.tif").string() + " 2>&1", &out);
    ASSERT_EQ(rc, 0) << out;
    rc = runCommand(launcher() + " 3 " + cli() + predict2 + " --out " + (dir / "three2.tif").string() + " 2>&1", &out);
    ASSERT_EQ(rc, 0) << out;
    EXPECT_TRUE(bytesOf(dir / "one2.tif") == bytesOf(dir / "three2.tif")) << "masks differ";
    EXPECT_FALSE(bytesOf(dir / "one2.tif") == one) << "the wider smoothing changed nothing: the test would not see a halo error";
    // Rank 2 holds slices 5-7 of 48 x 64: 3 slices x 384 bytes of packed labels, plus the
    // start-up barrier and the one flag all-reduce (a few bytes).
    const auto at = out.find("rank 2: predicted its slices");
    ASSERT_NE(at, std::string::npos) << out;
    const auto sent = std::stoull(out.substr(out.find("sent ", at) + 5));
    EXPECT_GE(sent, 3u * 48 * 64 / 8) << out;
    EXPECT_LT(sent, 3u * 48 * 64 / 8 + 64) << out;
}

TEST(DistCli, KilledRankFailsTheOtherWithAClearErrorWithinTheTimeout)
{
    ScratchDir dir;
    writeDiscStack(dir / "img.tif", dir / "mask.tif");
    const std::string url = "file://" + (dir / "store").string();
    std::vector<std::string> rank0{"/bin/sh", "-c",
                                   cli() + trainArgs(dir) + " --no-val --steps 1000000 --batch 2 --dist-timeout 20 --out " +
                                       (dir / "m.msm").string() + " --rank 0 --world-size 2 --rendezvous " + url};
    std::atomic<bool> killed{false};
    // Rank 1 trains for a few seconds, then dies by SIGKILL (no chance to say goodbye).
    std::thread other([&] {
        runCommand(subshell(cli() + trainArgs(dir) + " --no-val --steps 1000000 --batch 2 --dist-timeout 20 --out " + (dir / "m.msm").string() +
                   " --rank 1 --world-size 2 --rendezvous " + url + " > /dev/null 2>&1 & p=$!; sleep 6; kill -9 $p; wait $p"));
        killed = true;
    });
    test::ChildResult r = test::runChild(rank0, 0, 120);
    other.join();
    EXPECT_TRUE(killed);
    EXPECT_FALSE(r.timedOut) << r.output;
    ASSERT_TRUE(r.exited) << r.output;
    EXPECT_EQ(r.exitCode, 1) << r.output;
    EXPECT_NE(r.output.find("rank 0 of 2"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("another rank died or did not answer within 20 s"), std::string::npos) << r.output;
    // Killed about 6 s after the start; the error must come within the 20 s timeout after that.
    EXPECT_LT(r.seconds, 6 + 20 + 10) << r.output;
}

TEST(DistCli, KilledRankZeroWhichServesTheTcpStoreFailsTheOtherWithinTheTimeout)
{
    // Rank 0 serves the TCP store; when it dies the other rank loses the store and its peer at
    // once, and must still stop with the clear error, not hang or crash.
    ScratchDir dir;
    writeDiscStack(dir / "img.tif", dir / "mask.tif");
    int port = 0;
    {
        int s = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
        ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
        port = ntohs(a.sin_port);
        ::close(s);
    }
    const std::string url = "tcp://127.0.0.1:" + std::to_string(port);
    const std::string common = trainArgs(dir) + " --no-val --steps 1000000 --batch 2 --dist-timeout 20 --out " + (dir / "m.msm").string() +
                               " --world-size 2 --rendezvous " + url;
    std::vector<std::string> rank1{"/bin/sh", "-c", cli() + common + " --rank 1"};
    std::atomic<bool> killed{false};
    std::thread zero([&] {
        runCommand(subshell(cli() + common + " --rank 0 > /dev/null 2>&1 & p=$!; sleep 6; kill -9 $p; wait $p"));
        killed = true;
    });
    test::ChildResult r = test::runChild(rank1, 0, 120);
    zero.join();
    EXPECT_TRUE(killed);
    EXPECT_FALSE(r.timedOut) << r.output;
    ASSERT_TRUE(r.exited) << r.output;
    EXPECT_EQ(r.exitCode, 1) << r.output;
    EXPECT_NE(r.output.find("rank 1 of 2"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("another rank died or did not answer within 20 s"), std::string::npos) << r.output;
    EXPECT_LT(r.seconds, 6 + 20 + 10) << r.output;
}

TEST(DistCli, LauncherStopsTheOtherRanksWhenOneFails)
{
    std::string out;
    const auto t0 = std::chrono::steady_clock::now();
    int rc = runCommand(launcher() + " 2 sh -c 'if [ \"$RANK\" = 1 ]; then echo \"$MASTER_ADDR $WORLD_SIZE\"; exit 3; fi; sleep 60' 2>&1",
                        &out);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_EQ(rc, 3) << out;
    EXPECT_NE(out.find("127.0.0.1 2"), std::string::npos) << out;
    EXPECT_NE(out.find("rank 1 exited with status 3"), std::string::npos) << out;
    EXPECT_LT(s, 30) << "rank 0 was not stopped";
    EXPECT_EQ(runCommand(launcher() + " 0 true 2>/dev/null"), 2);
}

TEST(DistCli, BadRendezvousIsAUsageError)
{
    ScratchDir dir;
    writeDiscStack(dir / "img.tif", dir / "mask.tif");
    std::string out;
    int rc = runCommand(cli() + trainArgs(dir) + " --out " + (dir / "m.msm").string() + " --rank 0 --world-size 2 --rendezvous http://x:1 2>&1",
                        &out);
    EXPECT_EQ(rc, 2) << out;
    EXPECT_NE(out.find("bad rendezvous 'http://x:1'"), std::string::npos) << out;
    rc = runCommand("env WORLD_SIZE=2 RANK=0 MASTER_PORT=1 " + cli() + " predict " + (dir / "img.tif").string() + " --out " +
                        (dir / "p.tif").string() + " 2>&1",
                    &out);
    EXPECT_EQ(rc, 2) << out;
    EXPECT_NE(out.find("MASTER_ADDR is not set"), std::string::npos) << out;
}

TEST(DistCli, BenchScaleReportsOneAndTwoRanks)
{
    std::string out;
    int rc = runCommand(cli() + " bench scale --ranks 1,2 --steps 2 --batch 1 --patch 32 --preset tiny --threads 1 --json", &out);
    ASSERT_EQ(rc, 0) << out;
    Json rows = Json::parse(out.substr(0, out.find_last_not_of("\n") + 1));
    ASSERT_EQ(rows.items().size(), 2u) << out;
    const Json& one = rows.items()[0];
    const Json& two = rows.items()[1];
    EXPECT_EQ(one.number("ranks", 0), 1);
    EXPECT_EQ(two.number("ranks", 0), 2);
    EXPECT_GT(one.number("ms_per_step", 0), 0);
    EXPECT_EQ(one.number("allreduce_bytes_per_step", -1), 0) << "one rank all-reduces nothing";
    // Two ranks all-reduce every parameter's gradient (and BN statistics) each step.
    EXPECT_GT(two.number("allreduce_bytes_per_step", 0), 4 * 1000) << out;
    EXPECT_GT(two.number("comm_ms_per_step", 0), 0) << out;
    EXPECT_GT(two.number("patches_per_second", 0), 0) << out;
}

TEST(DistCli, TwoRanksPredictAMulticlassModelLikeOneProcess)
{
    ScratchDir dir;
    writeDiscStack(dir / "img.tif", dir / "mask.tif");
    // Three classes: discs on the left half are class 1, on the right half class 2.
    VolumeU8 mask = readStackU8(dir / "mask.tif");
    for (std::int64_t z = 0; z < mask.depth(); ++z)
        for (std::int64_t y = 0; y < mask.height(); ++y)
            for (std::int64_t x = 0; x < mask.width(); ++x)
                mask(z, y, x) = mask(z, y, x) ? (x < 32 ? 1 : 2) : 0;
    writeStack(dir / "classes.tif", mask);
    std::string out;
    int rc = runCommand(cli() + " train " + (dir / "img.tif").string() + " " + (dir / "classes.tif").string() +
                            " --classes 3 --preset tiny --base 8 --patch 32 --lr 0.01 --warmup 0 --threads 1 --fp32 --context 1 --no-val"
                            " --steps 20 --batch 4 --out " + (dir / "m.msm").string() + " 2>&1",
                        &out);
    ASSERT_EQ(rc, 0) << out;
    const std::string predict = " predict " + (dir / "img.tif").string() + " --model " + (dir / "m.msm").string() + " --threads 1";
    rc = runCommand(cli() + predict + " --out " + (dir / "one.tif").string() + " --prob " + (dir / "one-p.tif").string() + " 2>&1", &out);
    ASSERT_EQ(rc, 0) << out;
    rc = runCommand(launcher() + " 2 " + cli() + predict + " --out " + (dir / "two.tif").string() + " --prob " + (dir / "two-p.tif").string() +
                        " 2>&1",
                    &out);
    ASSERT_EQ(rc, 0) << out;
    EXPECT_TRUE(bytesOf(dir / "one.tif") == bytesOf(dir / "two.tif")) << "labels differ";
    EXPECT_TRUE(bytesOf(dir / "one-p.tif") == bytesOf(dir / "two-p.tif")) << "probabilities differ";
    VolumeU8 labels = readStackU8(dir / "one.tif");
    bool sawClass1 = false, sawClass2 = false;
    for (auto v : labels.values()) {
        sawClass1 = sawClass1 || v == 1;
        sawClass2 = sawClass2 || v == 2;
    }
    EXPECT_TRUE(sawClass1 || sawClass2) << "the model predicts only background: the comparison would be trivial";
}
