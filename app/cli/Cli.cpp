#include <cstring>
#include <exception>
#include <iostream>

#include "app/cli/Args.h"
#include "app/cli/Command.h"
#include "core/base/Error.h"
#include "core/base/Memory.h"

namespace mitoseg::cli {

const std::vector<const Command*>& allCommands()
{
    static const std::vector<const Command*> commands = {
        &kInfoCommand,      &kDemoCommand,      &kTrainCommand,       &kPredictCommand,      &kCalibrateCommand,
        &kAverageCommand,   &kEvaluateCommand,  &kMeshCommand,      &kBenchLoadCommand,   &kBenchLoopCommand,  &kBenchTrainCommand,
        &kBenchPredictCommand, &kBenchMeshCommand, &kBenchScaleCommand, &kBenchBigDataCommand,
    };
    return commands;
}

namespace {

void printOverview(std::ostream& out)
{
    out << "mitoseg - segment mitochondria in electron-microscopy stacks (headless Mitoseg Studio)\n\n"
           "usage: mitoseg COMMAND [ARGS...]\n"
           "       mitoseg COMMAND --help\n\n"
           "commands:\n";
    for (const Command* c : allCommands()) {
        std::string pad(c->name.size() < 16 ? 16 - c->name.size() : 1, ' ');
        out << "  " << c->name << pad << c->summary << "\n";
    }
    out << "\nEvery command takes --memory-budget SIZE (512M, 2G; default MITOSEG_MEMORY_BUDGET, else 1G):\n"
           "what predict, mesh and evaluate may hold in memory; a job that cannot fit is refused with the figure.\n"
           "\nExit status: 0 on success, 1 when the job failed, 2 on wrong usage.\n";
}

// Removes `--memory-budget SIZE` (or `--memory-budget=SIZE`) from `args`, any command, and sets
// the process's budget (core/base/Memory) from it. Throws UsageError on a bad size.
void takeMemoryBudget(std::vector<std::string>& args)
{
    static const std::string kName = "--memory-budget";
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string text;
        std::size_t words = 1;
        if (args[i] == kName) {
            if (i + 1 >= args.size())
                throw UsageError("--memory-budget needs a size, e.g. 512M or 2G");
            text = args[i + 1];
            words = 2;
        } else if (args[i].rfind(kName + "=", 0) == 0) {
            text = args[i].substr(kName.size() + 1);
        } else {
            continue;
        }
        const auto bytes = parseByteSize(text);
        if (!bytes)
            throw UsageError("--memory-budget: '" + text + "' is not a size (bytes, or with K, M, G or T: 512M, 2G)");
        setMemoryBudget(*bytes);
        args.erase(args.begin() + static_cast<std::ptrdiff_t>(i), args.begin() + static_cast<std::ptrdiff_t>(i + words));
        --i;
    }
}

bool wantsHelp(const std::vector<std::string>& args)
{
    for (const auto& a : args)
        if (a == "--help" || a == "-h")
            return true;
    return false;
}

}  // namespace

int runCli(int argc, char** argv)
{
    std::vector<std::string> words(argv + 1, argv + argc);
    if (words.empty() || words[0] == "--help" || words[0] == "-h" || words[0] == "help") {
        printOverview(words.empty() ? std::cerr : std::cout);
        return words.empty() ? 2 : 0;
    }
    if (words[0] == "--version") {
        std::cout << "mitoseg 0.1.0\n";
        return 0;
    }
    const Command* found = nullptr;
    std::size_t used = 0;
    for (const Command* c : allCommands()) {
        // Two-word commands ("bench load") match the first two words.
        std::size_t space = c->name.find(' ');
        if (space == std::string::npos) {
            if (words[0] == c->name) { found = c; used = 1; break; }
        } else if (words.size() >= 2 && words[0] == c->name.substr(0, space) && words[1] == c->name.substr(space + 1)) {
            found = c; used = 2; break;
        }
    }
    if (!found) {
        // "mitoseg bench" alone, or with an unknown benchmark: list the benchmarks.
        std::cerr << "mitoseg: unknown command '" << words[0] << (words.size() > 1 && words[0] == "bench" ? " " + words[1] : "")
                  << "'\n\n";
        printOverview(std::cerr);
        return 2;
    }
    std::vector<std::string> rest(words.begin() + static_cast<std::ptrdiff_t>(used), words.end());
    if (wantsHelp(rest)) {
        std::cout << found->help;
        return 0;
    }
    try {
        takeMemoryBudget(rest);
        return found->run(rest);
    } catch (const UsageError& e) {
        std::cerr << "mitoseg " << found->name << ": " << e.what() << "\n\n" << found->help;
        return 2;
    } catch (const Cancelled&) {
        std::cerr << "mitoseg " << found->name << ": cancelled\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "mitoseg " << found->name << ": error: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace mitoseg::cli
