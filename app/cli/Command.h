#pragma once
// A `mitoseg` sub-command: its name(s), one-line summary, full help and entry point.
// Commands print results on stdout, errors on stderr, and return the process exit code.
#include <string>
#include <vector>

namespace mitoseg::cli {

struct Command {
    std::string name;      ///< "info", or "bench load" for a two-word command
    std::string summary;   ///< one line for `mitoseg --help`
    std::string help;      ///< full usage for `mitoseg NAME --help`
    int (*run)(const std::vector<std::string>& args);
};

/// Every command, in the order `mitoseg --help` lists them. Each is defined in its own file.
extern const Command kInfoCommand;
extern const Command kDemoCommand;
extern const Command kTrainCommand;
extern const Command kPredictCommand;
extern const Command kCalibrateCommand;
extern const Command kAverageCommand;
extern const Command kEvaluateCommand;
extern const Command kMeshCommand;
extern const Command kBenchLoadCommand;
extern const Command kBenchLoopCommand;
extern const Command kBenchTrainCommand;
extern const Command kBenchPredictCommand;
extern const Command kBenchMeshCommand;
extern const Command kBenchScaleCommand;
extern const Command kBenchBigDataCommand;

const std::vector<const Command*>& allCommands();

/// Runs the CLI (what main() does); exposed so tests can drive it in-process.
int runCli(int argc, char** argv);

}  // namespace mitoseg::cli
