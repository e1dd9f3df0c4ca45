// The hostile corpus (tests/data/hostile) through `mitoseg info / predict / evaluate / mesh` and
// the studio's open path (`mitoseg-studio FILE --screenshot`, which opens the file with the same
// FileController::openStack / openModel as File > Open), each run as a child process under a
// 3 GiB address-space cap and a time cap: every file must end with success or a clean error
// (exit 1, message naming the file) — never a signal, a hang or a runaway allocation. One test
// per command so ctest can run them side by side.
#include <gtest/gtest.h>

#include <algorithm>
#include <future>

#include "../data/hostile/HostileCorpus.h"
#include "ChildProcess.h"
#include "TestSupport.h"

using namespace mitoseg;
using mitoseg::test::ChildResult;
using mitoseg::test::runChild;

namespace {

constexpr std::uint64_t kAddressSpace = std::uint64_t{3} << 30;
constexpr double kSeconds = 30;
constexpr long kMaxRssKb = 1536 * 1024;

std::string shippedModel() { return std::string(MITOSEG_SOURCE_DIR) + "/resources/models/mito-fast.msm"; }

/// The corpus, built once for the whole test program.
class HostileCorpus : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        dir_ = new test::ScratchDir;
        files_ = hostile::buildHostileCorpus(dir_->path() / "corpus", shippedModel());
        std::filesystem::create_directory(dir_->path() / "out");
    }
    static void TearDownTestSuite()
    {
        delete dir_;
        dir_ = nullptr;
    }
    static std::vector<hostile::HostileFile> of(const std::string& kind)
    {
        std::vector<hostile::HostileFile> out;
        std::copy_if(files_.begin(), files_.end(), std::back_inserter(out), [&](const auto& f) { return f.kind == kind; });
        return out;
    }
    static std::filesystem::path valid(const std::string& ext) { return dir_->path() / "corpus" / ("valid" + ext); }
    static std::filesystem::path out(const std::string& name) { return dir_->path() / "out" / name; }

    /// A program the corpus is fed to: its path, what it adds to the environment, and the word
    /// its error messages carry.
    struct Program {
        std::string exe;
        std::vector<std::string> env;
        std::string errorWord;
    };
    static Program cli() { return {MITOSEG_CLI_EXE, {}, "error"}; }

    /// Runs `argsFor(file)` for every file, two children at a time, and checks how each ended.
    static void runAll(const std::vector<hostile::HostileFile>& files,
                       const std::function<std::vector<std::string>(const hostile::HostileFile&, std::size_t)>& argsFor,
                       const Program& program = cli())
    {
        struct Job {
            const hostile::HostileFile* file;
            std::vector<std::string> argv;
            std::future<ChildResult> result;
        };
        std::vector<Job> running;
        for (std::size_t i = 0; i < files.size(); ++i) {
            std::vector<std::string> argv = argsFor(files[i], i);
            argv.insert(argv.begin(), program.exe);
            running.push_back({&files[i], argv, std::async(std::launch::async, [argv, &program] {
                                   return runChild(argv, kAddressSpace, kSeconds, program.env);
                               })});
            if (running.size() < 2 && i + 1 < files.size())
                continue;
            for (Job& job : running) {
                const hostile::HostileFile& f = *job.file;
                const ChildResult r = job.result.get();
                SCOPED_TRACE(std::filesystem::path(job.argv[0]).filename().string() + " " + job.argv[1] + " on "
                             + f.path.filename().string() + " (" + f.why + ")");
                EXPECT_FALSE(r.timedOut) << r.output;
                EXPECT_TRUE(r.exited) << "killed by signal " << r.signal << "\n" << r.output;
                EXPECT_TRUE(r.exitCode == 0 || r.exitCode == 1) << r.output;
                // Under MITOSEG_SANITIZE a report may also end in exit 1: it must not be there.
                EXPECT_EQ(r.output.find("Sanitizer"), std::string::npos) << r.output;
                EXPECT_EQ(r.output.find("runtime error:"), std::string::npos) << r.output;
                if (r.exitCode == 1) {
                    EXPECT_NE(r.output.find(f.path.filename().string()), std::string::npos) << r.output;
                    EXPECT_NE(r.output.find(program.errorWord), std::string::npos) << r.output;
                }
                if (f.why.find("control") != std::string::npos) {
                    EXPECT_EQ(r.exitCode, 0) << r.output;
                }
                EXPECT_LT(r.maxRssKb, kMaxRssKb) << "peak RSS in kB";
            }
            running.clear();
        }
    }

    static test::ScratchDir* dir_;
    static std::vector<hostile::HostileFile> files_;
};

test::ScratchDir* HostileCorpus::dir_ = nullptr;
std::vector<hostile::HostileFile> HostileCorpus::files_;

}  // namespace

TEST_F(HostileCorpus, GeneratorBuildsEveryKindOfFile)
{
    EXPECT_GE(of("tiff").size(), 20u);
    EXPECT_GE(of("model").size(), 10u);
    for (const auto& f : files_)
        EXPECT_TRUE(std::filesystem::exists(std::filesystem::symlink_status(f.path))) << f.path;
}

TEST_F(HostileCorpus, InfoOnEveryFile)
{
    runAll(files_, [](const hostile::HostileFile& f, std::size_t) { return std::vector<std::string>{"info", f.path.string()}; });
}

TEST_F(HostileCorpus, PredictOnEveryStackAndWithEveryModel)
{
    runAll(of("tiff"), [](const hostile::HostileFile& f, std::size_t i) {
        return std::vector<std::string>{"predict", f.path.string(), "--model", shippedModel(), "--threads", "1", "--out",
                                        out(std::string("p") + std::to_string(i) + ".tif").string()};
    });
    runAll(of("model"), [](const hostile::HostileFile& f, std::size_t i) {
        return std::vector<std::string>{"predict", valid(".tif").string(), "--model", f.path.string(), "--threads", "1", "--out",
                                        out(std::string("m") + std::to_string(i) + ".tif").string()};
    });
}

TEST_F(HostileCorpus, EvaluateAndMeshOnEveryStack)
{
    runAll(of("tiff"), [](const hostile::HostileFile& f, std::size_t) {
        return std::vector<std::string>{"evaluate", f.path.string(), valid(".tif").string()};
    });
    runAll(of("tiff"), [](const hostile::HostileFile& f, std::size_t i) {
        return std::vector<std::string>{"mesh", f.path.string(), "--stats", out(std::string("s") + std::to_string(i) + ".csv").string()};
    });
}

#ifdef MITOSEG_STUDIO_EXE
// The studio's open path: File > Open stack and Open model call FileController::openStack /
// openModel, which is what `mitoseg-studio FILE [--model M] --screenshot PNG` runs before it takes
// the screenshot (and it exits 1, naming the file, when the open fails). Offscreen, with its own
// settings folder so the recent-files list of the user running the tests is left alone.
TEST_F(HostileCorpus, StudioOpensEveryStackAndEveryModel)
{
    const std::string home = (dir_->path() / "studio-home").string();
    const Program studio{MITOSEG_STUDIO_EXE,
                         {"QT_QPA_PLATFORM=offscreen", "XDG_CONFIG_HOME=" + home + "/config", "XDG_DATA_HOME=" + home + "/data",
                          "XDG_CACHE_HOME=" + home + "/cache", "XDG_RUNTIME_DIR=" + home + "/run"},
                         "mitoseg-studio: "};
    std::filesystem::create_directories(home + "/run");
    std::filesystem::permissions(home + "/run", std::filesystem::perms::owner_all, std::filesystem::perm_options::replace);
    runAll(of("tiff"), [](const hostile::HostileFile& f, std::size_t i) {
        return std::vector<std::string>{f.path.string(), "--screenshot", out("studio-s" + std::to_string(i) + ".png").string()};
    }, studio);
    runAll(of("model"), [](const hostile::HostileFile& f, std::size_t i) {
        return std::vector<std::string>{valid(".tif").string(), "--model", f.path.string(), "--screenshot",
                                        out("studio-m" + std::to_string(i) + ".png").string()};
    }, studio);
    // The controls opened and were drawn.
    const auto tiffs = of("tiff"), models = of("model");
    for (std::size_t i = 0; i < tiffs.size(); ++i) {
        if (tiffs[i].path.filename() == "valid.tif") {
            EXPECT_TRUE(std::filesystem::exists(out("studio-s" + std::to_string(i) + ".png")));
        }
    }
    for (std::size_t i = 0; i < models.size(); ++i) {
        if (models[i].path.filename() == "valid.msm") {
            EXPECT_TRUE(std::filesystem::exists(out("studio-m" + std::to_string(i) + ".png")));
        }
    }
}
#endif
