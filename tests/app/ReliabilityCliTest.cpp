// Issue #13 (CLI, core and file items): every command ends cleanly — an error naming the file and
// the problem, or success — on special files, absurd numbers, hostile models, unwritable or
// special outputs and signals, and within bounded memory and time.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "../data/hostile/HostileCorpus.h"
#include "ChildProcess.h"
#include "TestSupport.h"
#include "core/base/Volume.h"
#include "core/engine/ModelFile.h"
#include "core/engine/ModelSpec.h"
#include "core/io/TiffStack.h"
#include "core/io/TiffWriter.h"

using namespace mitoseg;
using mitoseg::test::runChild;
using mitoseg::test::ScratchDir;

namespace {

std::string cli() { return MITOSEG_CLI_EXE; }
std::string shippedModel() { return std::string(MITOSEG_SOURCE_DIR) + "/resources/models/mito-fast.msm"; }
constexpr std::uint64_t kGiB = std::uint64_t{1} << 30;

/// Runs `mitoseg` with `args` (no shell), 60 s at most.
test::ChildResult runMitoseg(std::vector<std::string> args, std::uint64_t addressSpace = 0, double seconds = 60)
{
    args.insert(args.begin(), cli());
    return runChild(args, addressSpace, seconds);
}

std::filesystem::path smallStack(const ScratchDir& dir, const std::string& name = "stack.tif", Shape shape = {3, 64, 64})
{
    VolumeU8 v(shape);
    for (std::size_t i = 0; i < v.values().size(); ++i)
        v.values()[i] = static_cast<std::uint8_t>((i * 13) % 200);
    writeStack(dir / name, v);
    return dir / name;
}

bool hasTempFiles(const std::filesystem::path& dir)
{
    for (const auto& e : std::filesystem::directory_iterator(dir))
        if (e.path().filename().string().rfind('.', 0) == 0)
            return true;
    return false;
}

#define EXPECT_CLEAN_FAILURE(r, code, words)                                                                   \
    do {                                                                                                        \
        EXPECT_FALSE((r).timedOut) << (r).output;                                                               \
        EXPECT_TRUE((r).exited) << "signal " << (r).signal << "\n" << (r).output;                               \
        EXPECT_EQ((r).exitCode, code) << (r).output;                                                            \
        EXPECT_EQ((r).output.find("Sanitizer"), std::string::npos) << (r).output;                               \
        for (const std::string& w : std::vector<std::string>(words))                                            \
            EXPECT_NE((r).output.find(w), std::string::npos) << "missing '" << w << "' in:\n" << (r).output;    \
    } while (0)

}  // namespace

// Item 5: a FIFO, a directory or a link to /dev/zero is refused at once, by every command that
// reads a file, with a message naming it (a FIFO used to hang `info` forever).
TEST(Reliability, SpecialInputFilesFailAtOnceNamingTheFile)
{
    ScratchDir dir;
    const auto stack = smallStack(dir);
    ASSERT_EQ(::mkfifo((dir / "pipe.tif").c_str(), 0600), 0);
    ASSERT_EQ(::mkfifo((dir / "pipe.msm").c_str(), 0600), 0);
    std::filesystem::create_directory(dir / "folder.tif");
    std::filesystem::create_symlink("/dev/zero", dir / "zero.tif");
    for (const char* name : {"pipe.tif", "folder.tif", "zero.tif"}) {
        const std::string bad = (dir / name).string();
        for (const std::vector<std::string>& args :
             {std::vector<std::string>{"info", bad}, {"evaluate", bad, stack.string()}, {"evaluate", stack.string(), bad},
              {"mesh", bad, "--stats", (dir / "s.csv").string()},
              {"predict", bad, "--model", shippedModel(), "--out", (dir / "m.tif").string()}}) {
            SCOPED_TRACE(args[0] + " " + name);
            const auto r = runMitoseg(args, 0, 20);
            EXPECT_CLEAN_FAILURE(r, 1, (std::vector<std::string>{bad, "not a regular file"}));
        }
    }
    const auto r = runMitoseg({"info", (dir / "pipe.msm").string()}, 0, 20);
    EXPECT_CLEAN_FAILURE(r, 1, (std::vector<std::string>{"pipe.msm", "FIFO"}));
    const auto p = runMitoseg({"predict", stack.string(), "--model", (dir / "pipe.msm").string(), "--out", (dir / "m.tif").string()}, 0, 20);
    EXPECT_CLEAN_FAILURE(p, 1, (std::vector<std::string>{"pipe.msm", "FIFO"}));
    EXPECT_FALSE(std::filesystem::exists(dir / "m.tif"));
}

// Item 6: a checksummed model file declaring a 7.9 GB network over a few bytes of weights is
// refused from its header, in little memory and time (it used to build the network first).
TEST(Reliability, HugeArchitectureOverATinyBlobIsRefusedCheaply)
{
    ScratchDir dir;
    ModelSpec spec;
    spec.arch = UNetConfig::fromPreset("fast");
    spec.arch.base = 256;
    spec.arch.depth = 5;
    spec.info.classNames = {"background", "mitochondria"};
    ModelContainer c;
    c.header = spec.toJson();
    c.blobs.push_back(std::string(300, 'w'));
    writeModelContainer(dir / "huge.msm", c);
    ASSERT_LT(std::filesystem::file_size(dir / "huge.msm"), 2000u);
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"info", (dir / "huge.msm").string()},
          {"predict", smallStack(dir).string(), "--model", (dir / "huge.msm").string(), "--out", (dir / "m.tif").string()}}) {
        const auto r = runMitoseg(args, 3 * kGiB, 30);
        EXPECT_CLEAN_FAILURE(r, 1, (std::vector<std::string>{"huge.msm", "parameters", "weights blob"}));
        EXPECT_LT(r.seconds, 10.0);
        EXPECT_LT(r.maxRssKb, 1024 * 1024) << "kB";
    }
}

// Item 8: one strict parser for every numeric option: values that do not fit, negative counts,
// NaN and infinities are usage errors naming the option (exit 2), never wrapped or clamped.
TEST(Reliability, NumericOptionsAreParsedStrictly)
{
    ScratchDir dir;
    const std::string stack = smallStack(dir).string(), out = (dir / "o.tif").string();
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"predict", stack, "--out", out, "--z-smooth", "4294967297"}, "--z-smooth"},
        {{"predict", stack, "--out", out, "--threads", "-3"}, "--threads"},
        {{"predict", stack, "--out", out, "--tile", "4294967312"}, "--tile"},
        {{"predict", stack, "--out", out, "--workers", "2.5"}, "--workers"},
        {{"predict", stack, "--out", out, "--threshold", "nan"}, "--threshold"},
        {{"train", stack, stack, "--out", (dir / "m.msm").string(), "--lr", "nan"}, "--lr"},
        {{"train", stack, stack, "--out", (dir / "m.msm").string(), "--minutes", "inf"}, "--minutes"},
        {{"train", stack, stack, "--out", (dir / "m.msm").string(), "--threads", "-3"}, "--threads"},
        {{"train", stack, stack, "--out", (dir / "m.msm").string(), "--base", "4294967312"}, "--base"},
        {{"evaluate", stack, stack, "--classes", "4294967298"}, "--classes"},
        {{"evaluate", stack, stack, "--z-range", "0-4294967297"}, "--z-range"},
        {{"mesh", stack, "--stats", (dir / "s.csv").string(), "--spacing", "nan,1,1"}, "--spacing"},
        {{"mesh", stack, "--stats", (dir / "s.csv").string(), "--spacing", "1e400,1,1"}, "--spacing"},
        {{"mesh", stack, "--stats", (dir / "s.csv").string(), "--spacing", "0,1,1"}, "--spacing"},
        {{"mesh", stack, "--stats", (dir / "s.csv").string(), "--min-voxels", "9223372036854775808"}, "--min-voxels"},
        {{"demo", "--out", (dir / "demo").string(), "--threads", "-1"}, "--threads"},
    };
    for (const auto& [args, option] : cases) {
        SCOPED_TRACE(args[0] + " " + option);
        const auto r = runMitoseg(args, 0, 30);
        EXPECT_CLEAN_FAILURE(r, 2, (std::vector<std::string>{option}));
    }
    EXPECT_FALSE(std::filesystem::exists(out));
}

// Item 7: evaluate compares the headers before reading any voxel: a shape mismatch is reported
// naming both files and shapes even when one file's pixels could not be decoded.
TEST(Reliability, EvaluateComparesShapesBeforeReading)
{
    ScratchDir dir;
    const auto pred = smallStack(dir, "pred.tif", Shape{3, 200, 300});
    VolumeU8 t(Shape{2, 200, 200});   // noise: the compressed pixels come first and are large
    for (std::size_t i = 0; i < t.values().size(); ++i)
        t.values()[i] = static_cast<std::uint8_t>((i * 2654435761u) >> 13);
    writeStack(dir / "truth.tif", t, {TiffCompression::Deflate});
    {
        std::fstream f(dir / "truth.tif", std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(8);
        const std::string junk(24, '\xA5');
        f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
    }
    const auto r = runMitoseg({"evaluate", pred.string(), (dir / "truth.tif").string()});
    EXPECT_CLEAN_FAILURE(r, 1, (std::vector<std::string>{"pred.tif", "truth.tif", "3 x 200 x 300", "2 x 200 x 200"}));
}

// Item 7: mesh estimates the memory it needs from the mask's header and refuses, with the
// figure, when the process cannot have it (here: a 400 MB mask under a 2 GiB address space).
TEST(Reliability, MeshRefusesAMaskItHasNoMemoryFor)
{
#ifdef MITOSEG_SANITIZE
    GTEST_SKIP() << "needs RLIMIT_AS, which ASan's shadow memory rules out";
#endif
    ScratchDir dir;
    hostile::writeSparseZeroStack(dir / "big.tif", 4, 10000, 10000);
    const auto r = runMitoseg({"mesh", (dir / "big.tif").string(), "--stats", (dir / "s.csv").string()}, 2 * kGiB, 60);
    EXPECT_CLEAN_FAILURE(r, 1, (std::vector<std::string>{"big.tif", "memory", "needs about"}));
    EXPECT_LT(r.maxRssKb, 300 * 1024) << "kB: refused before reading the mask";
    EXPECT_FALSE(std::filesystem::exists(dir / "s.csv"));
}

// Item 9: an output that is a FIFO or device is refused (never replaced by rename); an output
// that is a symbolic link is written through to its target, and the link stays.
TEST(Reliability, SpecialOutputsAreRefusedAndLinksWrittenThrough)
{
    ScratchDir dir;
    const std::string stack = smallStack(dir).string();
    ASSERT_EQ(::mkfifo((dir / "pipe.tif").c_str(), 0600), 0);
    auto r = runMitoseg({"predict", stack, "--model", shippedModel(), "--out", (dir / "pipe.tif").string()});
    EXPECT_CLEAN_FAILURE(r, 1, (std::vector<std::string>{"pipe.tif", "not a regular file"}));
    EXPECT_TRUE(std::filesystem::is_fifo(std::filesystem::symlink_status(dir / "pipe.tif")));
    // The probability output is a FIFO: the mask is not written either (checked before the job).
    r = runMitoseg({"predict", stack, "--model", shippedModel(), "--out", (dir / "m.tif").string(), "--prob",
                 (dir / "pipe.tif").string()});
    EXPECT_CLEAN_FAILURE(r, 1, (std::vector<std::string>{"pipe.tif"}));
    EXPECT_FALSE(std::filesystem::exists(dir / "m.tif"));
    r = runMitoseg({"predict", stack, "--model", shippedModel(), "--out", (dir / "m.tif").string(), "--prob", (dir / "m.tif").string()});
    EXPECT_CLEAN_FAILURE(r, 2, (std::vector<std::string>{"--prob"}));
    std::filesystem::create_symlink("/dev/null", dir / "null.tif");
    r = runMitoseg({"mesh", stack, "--stats", (dir / "null.tif").string()});
    EXPECT_CLEAN_FAILURE(r, 1, (std::vector<std::string>{"null.tif", "not a regular file"}));
    EXPECT_TRUE(std::filesystem::is_symlink(dir / "null.tif"));

    std::filesystem::create_directory(dir / "real");
    std::ofstream(dir / "real" / "mask.tif") << "old";
    std::filesystem::create_symlink(dir / "real" / "mask.tif", dir / "link.tif");
    r = runMitoseg({"predict", stack, "--model", shippedModel(), "--out", (dir / "link.tif").string()});
    ASSERT_TRUE(r.exited && r.exitCode == 0) << r.output;
    EXPECT_TRUE(std::filesystem::is_symlink(dir / "link.tif"));
    EXPECT_EQ(TiffStack::open(dir / "real" / "mask.tif")->info().shape, (Shape{3, 64, 64}));
    EXPECT_FALSE(hasTempFiles(dir / "real"));
    EXPECT_FALSE(hasTempFiles(dir.path()));
}

// Item 9: an output folder that does not exist (or cannot be written) fails before the job:
// training does not run for its steps first, mesh writes none of its outputs.
TEST(Reliability, UnwritableOutputFolderFailsBeforeTheJob)
{
    ScratchDir dir;
    const std::string stack = smallStack(dir, "img.tif", Shape{4, 64, 64}).string();
    auto r = runMitoseg({"train", stack, stack, "--out", (dir / "no" / "m.msm").string(), "--preset", "tiny", "--steps",
                      "1000000", "--no-val"},
                     0, 30);
    EXPECT_CLEAN_FAILURE(r, 1, (std::vector<std::string>{(dir / "no").string()}));
    r = runMitoseg({"train", stack, stack, "--out", (dir / "m.msm").string(), "--checkpoint-dir", "/proc/m", "--preset", "tiny",
                 "--steps", "1000000", "--no-val"},
                0, 30);
    EXPECT_CLEAN_FAILURE(r, 1, (std::vector<std::string>{"/proc/m"}));
    r = runMitoseg({"mesh", stack, "--out", (dir / "ok.stl").string(), "--stats", (dir / "no" / "s.csv").string()});
    EXPECT_CLEAN_FAILURE(r, 1, (std::vector<std::string>{(dir / "no").string()}));
    EXPECT_FALSE(std::filesystem::exists(dir / "ok.stl"));
    r = runMitoseg({"predict", stack, "--model", shippedModel(), "--out", (dir / "m.tif").string(), "--prob",
                 (dir / "no" / "p.tif").string()});
    EXPECT_CLEAN_FAILURE(r, 1, (std::vector<std::string>{(dir / "no").string()}));
    EXPECT_FALSE(std::filesystem::exists(dir / "m.tif"));
    EXPECT_FALSE(hasTempFiles(dir.path()));
}

// Item 9: SIGTERM or SIGINT during `predict` removes the temporary output files, then the
// process still dies of the signal (its parent sees why).
TEST(Reliability, SignalsRemoveTheTemporaryOutputs)
{
    ScratchDir dir;
    const std::string stack = smallStack(dir, "img.tif", Shape{40, 256, 256}).string();
    std::filesystem::create_directory(dir / "out");
    for (int sig : {SIGTERM, SIGINT}) {
        bool sawTemp = false;
        const auto r = runChild({cli(), "predict", stack, "--model", shippedModel(), "--out", (dir / "out" / "m.tif").string(),
                                 "--prob", (dir / "out" / "p.tif").string(), "--tta", "--threads", "1", "--workers", "1"},
                                0, 60, [&](pid_t pid) {
                                    const auto t0 = std::chrono::steady_clock::now();
                                    while (std::chrono::steady_clock::now() - t0 < std::chrono::seconds(30)) {
                                        if (hasTempFiles(dir / "out")) {
                                            sawTemp = true;
                                            std::this_thread::sleep_for(std::chrono::milliseconds(100));
                                            ::kill(pid, sig);
                                            return;
                                        }
                                        std::this_thread::sleep_for(std::chrono::milliseconds(5));
                                    }
                                });
        ASSERT_TRUE(sawTemp) << r.output;
        EXPECT_FALSE(r.exited) << r.output;
        EXPECT_EQ(r.signal, sig) << r.output;
        EXPECT_FALSE(hasTempFiles(dir / "out"));
        EXPECT_FALSE(std::filesystem::exists(dir / "out" / "m.tif"));
    }
}
