// Issue #15 on the command line: `evaluate` and `mesh` stream, `--memory-budget` is honoured
// (and a job that cannot fit is refused with the figure before any output), `bench bigdata`.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <random>

#include "ChildProcess.h"
#include "TestSupport.h"
#include "core/base/Volume.h"
#include "core/engine/ComputePrecision.h"
#include "core/engine/Json.h"
#include "core/engine/PredictMemory.h"
#include "core/engine/Segmenter.h"
#include "core/io/TiffWriter.h"
#include "core/metrics/Metrics.h"
#include "tests/ui/CorruptTiff.h"

using namespace mitoseg;
using mitoseg::test::runChild;
using mitoseg::test::ScratchDir;

namespace {

std::string cli() { return MITOSEG_CLI_EXE; }

test::ChildResult runMitoseg(std::vector<std::string> args, std::vector<std::string> env = {}, double seconds = 120)
{
    args.insert(args.begin(), cli());
    return runChild(args, 0, seconds, [](pid_t) {}, env);
}

// Blobs stretched along z (some cross every slice), values 0/1; a different seed gives a
// different but overlapping volume.
VolumeU8 blobVolume(Shape s, unsigned seed, int count)
{
    VolumeU8 v(s, 0);
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    for (int b = 0; b < count; ++b) {
        const double cz = u(rng) * static_cast<double>(s.depth), cy = u(rng) * static_cast<double>(s.height),
                     cx = u(rng) * static_cast<double>(s.width), r = 2 + 4 * u(rng), stretch = 1 + 4 * u(rng);
        for (std::int64_t z = 0; z < s.depth; ++z)
            for (std::int64_t y = 0; y < s.height; ++y)
                for (std::int64_t x = 0; x < s.width; ++x) {
                    const double dz = (static_cast<double>(z) - cz) / stretch, dy = static_cast<double>(y) - cy,
                                 dx = static_cast<double>(x) - cx;
                    if (dz * dz + dy * dy + dx * dx <= r * r)
                        v(z, y, x) = 1;
                }
    }
    return v;
}

Json parseJson(const std::string& out) { return Json::parse(out.substr(0, out.find_last_not_of("\n") + 1)); }

}  // namespace

TEST(OutOfCoreCli, EvaluateStreamsToTheInMemoryScores)
{
    ScratchDir dir;
    const Shape shape{20, 40, 50};
    const VolumeU8 truth = blobVolume(shape, 3, 14);
    VolumeU8 pred = blobVolume(shape, 4, 5);
    for (std::size_t i = 0; i < pred.values().size(); ++i)
        if (truth.values()[i] && i % 5 != 0)
            pred.values()[i] = 1;
    writeMask(dir.path() / "pred.tif", pred);
    // The truth as uint16 (0/1000), read through the float path of the label reader.
    VolumeU16 truth16(shape);
    for (std::size_t i = 0; i < truth.values().size(); ++i)
        truth16.values()[i] = truth.values()[i] ? 1000 : 0;
    writeStack(dir.path() / "truth.tif", truth16);
    const auto r = runMitoseg({"evaluate", (dir.path() / "pred.tif").string(), (dir.path() / "truth.tif").string(), "--json",
                               "--objects", "--per-slice", "--z-range", "2-17", "--memory-budget", "1M"});
    ASSERT_TRUE(r.exited && r.exitCode == 0) << r.output;
    const Json j = parseJson(r.output);
    const OverlapScores s = overlapScores(pred, truth, 2, 2, 17);
    const ObjectScores o = objectScores(pred, truth, Connectivity::TwentySix, 0.5, 2, 17);
    const std::vector<double> per = perSliceIoU(pred, truth, 2, 17);
    EXPECT_DOUBLE_EQ(j.number("foreground_iou", -1), s.foregroundIoU);
    EXPECT_DOUBLE_EQ(j.number("dice", -1), s.dice);
    EXPECT_DOUBLE_EQ(j.number("mean_iou_2class", -1), s.meanIoU2Class);
    const Json* objects = j.find("objects");
    ASSERT_NE(objects, nullptr);
    EXPECT_GT(o.truth, 3);
    EXPECT_GT(o.matched, 0);
    EXPECT_EQ(objects->number("predicted", -1), o.predicted);
    EXPECT_EQ(objects->number("truth", -1), o.truth);
    EXPECT_EQ(objects->number("matched", -1), o.matched);
    EXPECT_DOUBLE_EQ(objects->number("f1", -1), o.f1);
    const Json* ps = j.find("per_slice_iou");
    ASSERT_NE(ps, nullptr);
    ASSERT_EQ(ps->items().size(), per.size());
    for (std::size_t i = 0; i < per.size(); ++i)
        EXPECT_DOUBLE_EQ(ps->items()[i].number(), per[i]) << i;
}

TEST(OutOfCoreCli, MemoryBudgetTooSmallIsRefusedWithTheFigure)
{
    ScratchDir dir;
    const VolumeU8 v = blobVolume(Shape{4, 300, 400}, 1, 3);
    writeMask(dir.path() / "a.tif", v);
    // Two slices of 120000 voxels do not fit 100 KiB: refused, naming the figure to give.
    auto r = runMitoseg({"evaluate", (dir.path() / "a.tif").string(), (dir.path() / "a.tif").string(), "--memory-budget",
                         "100K"});
    EXPECT_TRUE(r.exited && r.exitCode == 1) << r.output;
    EXPECT_NE(r.output.find("memory budget of 100.0 KiB"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("--memory-budget"), std::string::npos) << r.output;
    // The same through the environment variable.
    r = runMitoseg({"evaluate", (dir.path() / "a.tif").string(), (dir.path() / "a.tif").string()},
                   {"MITOSEG_MEMORY_BUDGET=100K"});
    EXPECT_TRUE(r.exited && r.exitCode == 1) << r.output;
    EXPECT_NE(r.output.find("memory budget of 100.0 KiB"), std::string::npos) << r.output;
    // A bad size is wrong usage, for any command.
    for (const char* bad : {"lots", "0", "-5M", "2Q"}) {
        r = runMitoseg({"evaluate", (dir.path() / "a.tif").string(), (dir.path() / "a.tif").string(), "--memory-budget", bad});
        EXPECT_TRUE(r.exited && r.exitCode == 2) << bad << ": " << r.output;
        EXPECT_NE(r.output.find("is not a size"), std::string::npos) << r.output;
    }
    r = runMitoseg({"info", (dir.path() / "a.tif").string(), "--memory-budget=2G"});
    EXPECT_TRUE(r.exited && r.exitCode == 0) << r.output;
}

TEST(OutOfCoreCli, PredictRefusesATooSmallBudgetBeforeWriting)
{
    ScratchDir dir;
    writeMask(dir.path() / "img.tif", blobVolume(Shape{3, 200, 300}, 2, 3));
    const auto out = dir.path() / "mask.tif";
    auto r = runMitoseg({"predict", (dir.path() / "img.tif").string(), "--out", out.string(), "--threads", "1",
                         "--memory-budget", "2M"});
    EXPECT_TRUE(r.exited && r.exitCode == 1) << r.output;
    EXPECT_NE(r.output.find("the memory budget is 2.0 MiB: give --memory-budget"), std::string::npos) << r.output;
    EXPECT_FALSE(std::filesystem::exists(out));
    // Nothing left beside it either (no temporary output).
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), std::filesystem::directory_iterator()), 1);
}

TEST(OutOfCoreCli, PredictTakesSmallerTilesWhenOneSliceDoesNotFitTheBudget)
{
    ScratchDir dir;
    VolumeU8 img = blobVolume(Shape{2, 768, 1024}, 5, 3);
    for (auto& v : img.values())
        v = static_cast<std::uint8_t>(v ? 60 : 170);
    writeMask(dir.path() / "img.tif", img);
    auto bytes = [](const std::filesystem::path& p) {
        std::ifstream in(p, std::ios::binary);
        return std::string(std::istreambuf_iterator<char>(in), {});
    };
    // A budget between what one 512 tile and one 768 x 1024 tile need in flight (for the shipped
    // model and the number format this CPU runs by default): tiles of 512, and that is what runs.
    const ModelInfo shipped = Segmenter::load(std::string(MITOSEG_SOURCE_DIR) + "/resources/models/mito-fast.msm")->info();
    PredictOptions o;
    o.threads = 2;
    o.bf16 = defaultBf16();
    const Shape shape{2, 768, 1024};
    const std::uint64_t whole = planPredictMemory(shape, shipped, o, 1, false, 1ull << 40).minimumBytes();
    PredictOptions o512 = o;
    o512.tile = 512;
    o512.batch = 1;
    const std::uint64_t half = planPredictMemory(shape, shipped, o512, 1, false, 1ull << 40).minimumBytes();
    ASSERT_LT(half, whole);
    const std::string budget = std::to_string((half + whole) / 2 >> 20) + "M";
    const auto out = dir.path() / "auto.tif";
    auto r = runMitoseg({"predict", (dir.path() / "img.tif").string(), "--out", out.string(), "--memory-budget", budget});
    ASSERT_TRUE(r.exited && r.exitCode == 0) << r.output;
    EXPECT_NE(r.output.find("tiles of 512 (overlap 128, one per pass) instead of 1024 to fit the memory budget of"),
              std::string::npos)
        << budget << "\n" << r.output;
    const auto same = dir.path() / "same.tif";
    r = runMitoseg({"predict", (dir.path() / "img.tif").string(), "--out", same.string(), "--workers", "1", "--tile", "512",
                    "--overlap", "128", "--batch", "1"});
    ASSERT_TRUE(r.exited && r.exitCode == 0) << r.output;
    EXPECT_EQ(bytes(out), bytes(same));
    // A tiling given by the user is kept: refused with the figure instead.
    r = runMitoseg({"predict", (dir.path() / "img.tif").string(), "--out", (dir.path() / "kept.tif").string(), "--tile",
                    "1024", "--memory-budget", budget});
    EXPECT_TRUE(r.exited && r.exitCode == 1) << r.output;
    EXPECT_NE(r.output.find("or a smaller --tile or --batch"), std::string::npos) << r.output;
    EXPECT_FALSE(std::filesystem::exists(dir.path() / "kept.tif"));
}

TEST(OutOfCoreCli, MeshWithATinyBudgetEqualsTheRoomyOne)
{
    ScratchDir dir;
    // Long blobs crossing many slices: with 400 KiB the surfaces come in many groups.
    const VolumeU8 v = blobVolume(Shape{40, 60, 70}, 9, 12);
    writeMask(dir.path() / "m.tif", v);
    auto mesh = [&](const std::string& tag, const std::string& budget) {
        const auto r = runMitoseg({"mesh", (dir.path() / "m.tif").string(), "--stats", (dir.path() / (tag + ".csv")).string(),
                                   "--out", (dir.path() / (tag + ".ply")).string(), "--per-object",
                                   (dir.path() / tag).string(), "--memory-budget", budget, "--smooth", "5"});
        EXPECT_TRUE(r.exited && r.exitCode == 0) << r.output;
        return r.output;
    };
    const std::string small = mesh("small", "400K"), big = mesh("big", "1G");
    auto groups = [](const std::string& out) {
        const auto at = out.find("extraction groups: ");
        return at == std::string::npos ? -1 : std::stoi(out.substr(at + 19));
    };
    EXPECT_GE(groups(small), 3) << small;
    EXPECT_EQ(groups(big), 1) << big;
    auto bytes = [](const std::filesystem::path& p) {
        std::ifstream in(p, std::ios::binary);
        return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    };
    EXPECT_FALSE(bytes(dir.path() / "big.csv").empty());
    EXPECT_TRUE(bytes(dir.path() / "small.csv") == bytes(dir.path() / "big.csv"));
    EXPECT_TRUE(bytes(dir.path() / "small.ply") == bytes(dir.path() / "big.ply"));
    std::size_t files = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir.path() / "big")) {
        EXPECT_TRUE(bytes(e.path()) == bytes(dir.path() / "small" / e.path().filename())) << e.path();
        ++files;
    }
    EXPECT_GT(files, 3u);
}

TEST(OutOfCoreCli, MeshRefusesAnObjectTooBigForTheBudgetBeforeWriting)
{
    ScratchDir dir;
    VolumeU8 v(Shape{30, 80, 80}, 0);
    for (std::int64_t z = 0; z < 30; ++z)
        for (std::int64_t y = 5; y < 75; ++y)
            for (std::int64_t x = 5; x < 75; ++x)
                v(z, y, x) = (x + y + z) % 3 != 0;   // one porous block: many runs
    writeMask(dir.path() / "m.tif", v);
    const auto r = runMitoseg({"mesh", (dir.path() / "m.tif").string(), "--stats", (dir.path() / "s.csv").string(),
                               "--per-object", (dir.path() / "objects").string(), "--memory-budget", "1M"});
    EXPECT_TRUE(r.exited && r.exitCode == 1) << r.output;
    EXPECT_NE(r.output.find("m.tif: object 1 (bounding box 30 x 70 x 70 voxels"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("memory budget is 1.0 MiB: give --memory-budget"), std::string::npos) << r.output;
    EXPECT_FALSE(std::filesystem::exists(dir.path() / "s.csv"));
    EXPECT_TRUE(std::filesystem::is_empty(dir.path() / "objects"));
}

TEST(OutOfCoreCli, BenchBigDataMeasuresEveryCommandAndCleansUp)
{
    ScratchDir dir;
    auto r = runMitoseg({"bench", "bigdata", "--sizes", "8M,12M", "--json", "--width", "512", "--height", "512"},
                        {"TMPDIR=" + dir.path().string()}, 300);
    ASSERT_TRUE(r.exited && r.exitCode == 0) << r.output;
    const Json j = parseJson(r.output.substr(r.output.find('{')));
    const Json* runs = j.find("runs");
    ASSERT_NE(runs, nullptr);
    ASSERT_EQ(runs->items().size(), 8u) << r.output;   // two sizes x predict, mesh, evaluate, studio
    for (const Json& run : runs->items()) {
        const std::string command = run.string("command", "");
        if (command == "studio") {
            // Skipped with a reason unless a studio with --bench-bigdata sits beside mitoseg.
            if (run.boolean("skipped", false)) {
                EXPECT_FALSE(run.string("note", "").empty());
            }
            continue;
        }
        EXPECT_TRUE(run.boolean("ok", false)) << command << ": " << run.string("note", "");
        EXPECT_GT(run.number("peak_rss_mb", 0), 50) << command;
        EXPECT_LT(run.number("peak_rss_mb", 0), 1536) << command;
        EXPECT_GT(run.number("seconds", 0), 0) << command;
    }
    EXPECT_EQ(runs->items()[0].string("size", ""), "8M");
    EXPECT_TRUE(j.find("summary")->find("mesh")->boolean("under_1_5_gb", false));
    // Everything it generated under $TMPDIR is gone.
    EXPECT_TRUE(std::filesystem::is_empty(dir.path())) << r.output;
    // Bad sizes are wrong usage.
    r = runMitoseg({"bench", "bigdata", "--sizes", "1G,lots"});
    EXPECT_TRUE(r.exited && r.exitCode == 2) << r.output;
    EXPECT_NE(r.output.find("'lots' is not a size"), std::string::npos) << r.output;
}

// `mitoseg train --labelled-slices` reads only those slices, the validation slices and their
// context neighbours: a stack whose other pages do not even decode trains, while training on
// every slice reads them all (and names the bad page). Training on every slice of a stack that
// cannot fit is refused up front with the figure and the way out.
TEST(OutOfCoreCli, TrainWithLabelledSlicesReadsOnlyWhatItUses)
{
    ScratchDir dir;
    const Shape shape{14, 30, 40};
    mitoseg::test::writeStackWithCorruptPage(dir.path() / "img.tif", shape, 10);
    VolumeU8 mask(shape, 0);
    for (std::int64_t z = 0; z < shape.depth; ++z)
        for (std::int64_t y = 8; y < 20; ++y)
            for (std::int64_t x = 10 + z; x < 24 + z; ++x)
                mask(z, y, x) = 1;
    writeMask(dir.path() / "mask.tif", mask);
    const std::vector<std::string> base{"train", (dir.path() / "img.tif").string(), (dir.path() / "mask.tif").string(),
                                        "--out", (dir.path() / "m.msm").string(), "--preset", "tiny", "--context", "1",
                                        "--patch", "16", "--batch", "2", "--steps", "3", "--threads", "1", "--fp32",
                                        "--val-z", "6-6", "--validate-every", "3"};
    auto with = [&](std::vector<std::string> extra) {
        std::vector<std::string> a = base;
        a.insert(a.end(), extra.begin(), extra.end());
        return a;
    };
    // Slices 1, 2 and 6 with one neighbour a side: 0-3 and 5-7; page 10 is never read.
    auto r = runMitoseg(with({"--labelled-slices", "1-2"}));
    ASSERT_TRUE(r.exited && r.exitCode == 0) << r.output;
    EXPECT_NE(r.output.find("reading 7 of 14 slices"), std::string::npos) << r.output;
    EXPECT_TRUE(std::filesystem::exists(dir.path() / "m.msm"));
    // A labelled slice next to the bad page reads it as a neighbour, and fails naming it.
    r = runMitoseg(with({"--labelled-slices", "9"}));
    ASSERT_TRUE(r.exited && r.exitCode != 0) << r.output;
    EXPECT_NE(r.output.find("img.tif"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("10"), std::string::npos) << r.output;
    // Every slice: the bad page is read.
    r = runMitoseg(base);
    ASSERT_TRUE(r.exited && r.exitCode != 0) << r.output;
    EXPECT_NE(r.output.find("img.tif"), std::string::npos) << r.output;
    // Every slice of a stack bigger than the memory there is: refused before reading.
    r = runMitoseg(base, {"MITOSEG_MEMORY_LIMIT=8K"});
    ASSERT_TRUE(r.exited && r.exitCode != 0) << r.output;
    EXPECT_NE(r.output.find("--labelled-slices"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("is available"), std::string::npos) << r.output;
}
