#pragma once
// The command line of mitoseg-studio: its options, --help/--version answered before any
// QApplication exists (so they need no display), and parsing what Qt left of the arguments.
// Qt's X11 session management claims `--session ID`, so a session file is opened with
// `--open-session FILE` (or `--session=FILE`, which Qt leaves alone). Any thread; no state.
#include <QString>
#include <QStringList>

#include <cstdint>
#include <optional>

namespace mitoseg::studio {

/// What the command line asked for.
struct StudioOptions {
    QString stack;          ///< positional; empty: the demo stack
    QString mask, truth, model, session, screenshot, benchStack;
    QString benchBigData;             ///< --bench-bigdata STACK
    bool json = false;                ///< --json: benches end with one JSON line
    std::uint64_t memoryBudget = 0;   ///< --memory-budget in bytes (0: not given)
    std::optional<long long> slice;   ///< 1-based, as given
    bool bench = false, ortho = false, surfaces = false;
    bool segmentSlice = false, segmentStack = false, printOptions = false;
    double benchTrainSeconds = 20;    ///< --bench: background training while measuring the event loop (0 = skip)
    int simulateRounds = 0;           ///< retraining rounds to run after loading (0 = none)
    double roundSeconds = 60;         ///< budget of a simulated round
    double firstRunSeconds = 0;       ///< --first-run: train from scratch on the demo for this long, report, quit (0 = no)
};

/// The version mitoseg-studio reports.
QString studioVersion();

/// When argv asks for --help / --version: prints it to stdout and returns 0 (an unknown option
/// next to them is an error: message on stderr, 1). Otherwise nullopt. Call before QApplication.
std::optional<int> answerHelpOrVersion(int argc, char** argv);

/// Parses `arguments` (QCoreApplication::arguments(), program name first). `sessionEatenByQt`
/// is the id Qt took from `--session ID` (QGuiApplication::sessionId, with its key): when it
/// names an existing file it is taken as the session file. nullopt and `error` on bad input.
std::optional<StudioOptions> parseStudioOptions(const QStringList& arguments, const QString& sessionEatenByQt,
                                                QString* error);

/// The options as `name=value` lines (for --print-options and tests).
QString describe(const StudioOptions& options);

}  // namespace mitoseg::studio
