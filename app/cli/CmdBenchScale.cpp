// `mitoseg bench scale`: data-parallel training steps with 1, 2, ... local ranks (each a child
// process of this one, meeting over TCP on 127.0.0.1), timed per step with the time spent in the
// ranks' collectives and the bytes all-reduced. Thin: training is core's train().
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "app/cli/Args.h"
#include "app/cli/Precision.h"
#include "app/cli/Command.h"
#include "app/cli/DistArgs.h"
#include "core/base/Error.h"
#include "core/demo/DemoStack.h"
#include "core/engine/Benchmark.h"
#include "core/engine/Json.h"
#include "core/engine/Trainer.h"

extern char** environ;

namespace mitoseg::cli {

namespace {

const char* kHelp =
    "usage: mitoseg bench scale [--ranks 1,2] [--steps 10] [--batch 4] [--patch 256]\n"
    "                           [--threads 1] [--preset fast] [--fp32|--bf16] [--no-overlap] [--json]\n"
    "\n"
    "Times data-parallel training steps (the `train` code path, on the generated demo stack) with\n"
    "each number of local ranks in --ranks, each rank a process with --threads torch threads and\n"
    "--batch patches per step. Reports per rank count: ms per step (median, after 2 warm-up\n"
    "steps), patches per second over all ranks, ms per step inside collectives (gradient\n"
    "all-reduce, the loss sums, the stop flags) and the bytes all-reduced per step. On one host\n"
    "the ranks share its cores: give each rank cores of its own (ranks x threads <= cores).\n"
    "Gradient buckets are all-reduced during backward, as each one is ready (as `train` does);\n"
    "--no-overlap all-reduces them in one pass after backward, for comparison. The collectives\n"
    "time is the time a rank waits for them.\n";

int freeLoopbackPort()
{
    int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (s < 0 || ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0)
        throw Error("bench scale: no free port on 127.0.0.1");
    ::close(s);
    return ntohs(a.sin_port);
}

/// One rank: trains `steps` + 2 steps and (rank 0) writes its timings as JSON to `report`.
int runWorker(const Args& args, int batch, int patch, int steps, int threads)
{
    std::unique_ptr<ProcessGroup> group = openProcessGroup(args);
    DemoOptions demo;
    demo.depth = 16;
    DemoStack stack = generateDemoStack(demo);
    VolumeU8 labels(stack.labels.shape());
    for (std::size_t i = 0; i < labels.values().size(); ++i)
        labels.values()[i] = stack.labels.values()[i] == kDemoMitochondrion ? 1 : 0;
    TrainData data;
    data.image = &stack.image;
    data.labels = &labels;
    TrainConfig c;
    c.arch = UNetConfig::fromPreset(args.value("preset", "fast"));
    c.steps = steps + 2;
    c.batch = batch;
    c.patch = patch;
    c.threads = threads;
    c.bf16 = bf16FromArgs(args);
    c.warmupSteps = 0;
    c.group = group.get();
    c.perPatchSeeds = true;
    c.overlapGradients = !args.flag("no-overlap");
    std::vector<double> stepSeconds, commSeconds;
    auto last = std::chrono::steady_clock::now();
    double lastComm = 0;
    CancelToken never;
    TrainResult r = train(c, data,
                          [&](const TrainProgress& p) {
                              const auto now = std::chrono::steady_clock::now();
                              const double comm = group ? group->communicationSeconds() : 0.0;
                              if (p.step > 2) {
                                  stepSeconds.push_back(std::chrono::duration<double>(now - last).count());
                                  commSeconds.push_back(comm - lastComm);
                              }
                              last = now;
                              lastComm = comm;
                          },
                          never);
    if (group && group->rank() != 0)
        return 0;
    Json j = Json::object();
    j["ranks"] = group ? group->size() : 1;
    j["ms_per_step"] = 1000 * median(stepSeconds);
    j["comm_ms_per_step"] = 1000 * median(commSeconds);
    j["allreduce_bytes_per_step"] = static_cast<double>(r.gradientBytesPerStep);
    j["patches_per_second"] = (group ? group->size() : 1) * batch / median(stepSeconds);
    std::ofstream(args.value("report", "/dev/stdout")) << j.dump() << "\n";
    return 0;
}

int runBenchScale(const std::vector<std::string>& argv)
{
    std::vector<std::string> valueOptions{"ranks", "steps", "batch", "patch", "threads", "preset", "report"};
    valueOptions.insert(valueOptions.end(), distValueOptions().begin(), distValueOptions().end());
    Args args(argv, valueOptions, {"fp32", "bf16", "json", "worker", "no-overlap"});
    args.expectPositionals(0, 0);
    const int batch = static_cast<int>(args.integer("batch", 4, 1, 4096));
    const int patch = static_cast<int>(args.integer("patch", 256, 16, 65536));
    const int steps = static_cast<int>(args.integer("steps", 10, 1, 1000000));
    const int threads = static_cast<int>(args.integer("threads", 1, 1, 1024));
    if (args.flag("worker"))
        return runWorker(args, batch, patch, steps, threads);

    std::vector<int> rankCounts;
    {
        std::stringstream ss(args.value("ranks", "1,2"));
        std::string part;
        while (std::getline(ss, part, ','))
            rankCounts.push_back(static_cast<int>(parseInteger(part, "--ranks", 1, 256)));
    }
    char exe[4096];
    const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        throw Error("bench scale: cannot find its own executable");
    exe[n] = 0;
    char tmpl[] = "/tmp/mitoseg-scale-XXXXXX";
    if (!::mkdtemp(tmpl))
        throw Error("bench scale: cannot make a temporary folder");
    const std::string report = std::string(tmpl) + "/report.json";
    std::cerr << "bench scale: " << args.value("preset", "fast") << " U-Net, " << batch << "x" << patch << "^2 per rank, " << threads
              << " thread(s) per rank, " << steps << " timed steps\n";
    Json all = Json::array();
    for (int ranks : rankCounts) {
        const std::string url = "tcp://127.0.0.1:" + std::to_string(freeLoopbackPort());
        std::vector<pid_t> pids;
        for (int r = 0; r < ranks; ++r) {
            std::vector<std::string> a{exe, "bench", "scale", "--worker", "--rank", std::to_string(r), "--world-size", std::to_string(ranks),
                                       "--rendezvous", url, "--report", report, "--batch", std::to_string(batch), "--patch",
                                       std::to_string(patch), "--steps", std::to_string(steps), "--threads", std::to_string(threads),
                                       "--preset", args.value("preset", "fast"), "--dist-timeout", "300"};
            a.push_back(bf16FromArgs(args) ? "--bf16" : "--fp32");
            if (args.flag("no-overlap"))
                a.push_back("--no-overlap");
            std::vector<char*> cargs;
            for (auto& s : a)
                cargs.push_back(s.data());
            cargs.push_back(nullptr);
            pid_t pid;
            if (::posix_spawn(&pid, exe, nullptr, nullptr, cargs.data(), environ) != 0)
                throw Error("bench scale: cannot start a rank");
            pids.push_back(pid);
        }
        bool ok = true;
        for (pid_t pid : pids) {
            int status = 0;
            ::waitpid(pid, &status, 0);
            ok = ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
        }
        if (!ok)
            throw Error("bench scale: a rank of the " + std::to_string(ranks) + "-rank run failed");
        std::ifstream in(report);
        std::string text((std::istreambuf_iterator<char>(in)), {});
        Json j = Json::parse(text.substr(0, text.find_last_not_of("\n") + 1));
        if (!args.flag("json"))
            std::printf("ranks %3d  ms/step %8.1f  patches/s %7.2f  collectives ms/step %7.2f  all-reduced %6.2f MB/step\n", ranks,
                        j.number("ms_per_step", 0), j.number("patches_per_second", 0), j.number("comm_ms_per_step", 0),
                        j.number("allreduce_bytes_per_step", 0) / 1e6);
        all.push(j);
    }
    std::filesystem::remove_all(tmpl);
    if (args.flag("json"))
        std::cout << all.dump() << "\n";
    return 0;
}

}  // namespace

const Command kBenchScaleCommand{"bench scale", "data-parallel training steps with 1, 2, ... local ranks", kHelp, &runBenchScale};

}  // namespace mitoseg::cli
