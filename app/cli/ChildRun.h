#pragma once
// A command run as a child process for the benchmarks: wall time, peak RSS (wait4), output and,
// when it fails, why. Used by `bench bigdata` and `bench predict --rss`.
#include <filesystem>
#include <string>
#include <vector>

namespace mitoseg::cli {

struct ChildRun {
    bool ok = false;
    std::string reason;    ///< why it failed (exit status and the last line of its output)
    double seconds = 0;
    double peakRssMb = 0;
    std::string output;    ///< stdout and stderr together
};

/// This program's own executable.
std::filesystem::path selfPath();

/// Runs `argv` (argv[0] a path) with `env` added; stdout and stderr captured; wait4's peak RSS.
ChildRun runChild(const std::vector<std::string>& argv, const std::vector<std::string>& env = {});

}  // namespace mitoseg::cli
