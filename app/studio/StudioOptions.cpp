#include "app/studio/StudioOptions.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFileInfo>

#include <cstdio>
#include <cstring>

#include "core/base/Memory.h"

namespace mitoseg::studio {

namespace {

QString usageText()
{
    return QStringLiteral("Mitoseg Studio: view, segment and correct mitochondria in EM stacks.");
}

/// Adds every option of the studio to `cli` (the names used by optionsFrom).
void addOptions(QCommandLineParser& cli)
{
    cli.setApplicationDescription(usageText());
    cli.addHelpOption();
    cli.addVersionOption();
    cli.addPositionalArgument(QStringLiteral("stack"), QStringLiteral("TIFF stack to open (default: the demo stack)"));
    cli.addOptions({
        {QStringLiteral("mask"), QStringLiteral("Editable mask to open."), QStringLiteral("file")},
        {QStringLiteral("truth"), QStringLiteral("Reference mask for IoU/Dice."), QStringLiteral("file")},
        {QStringLiteral("model"), QStringLiteral("Model file (default: the shipped model)."), QStringLiteral("file")},
        {{QStringLiteral("open-session"), QStringLiteral("session")},
         QStringLiteral("Session file to open (--session=FILE works too; Qt takes `--session FILE` for X11 "
                        "session management)."),
         QStringLiteral("file")},
        {QStringLiteral("slice"), QStringLiteral("Slice to show first (1-based)."), QStringLiteral("z")},
        {QStringLiteral("screenshot"), QStringLiteral("Save a PNG of the window after loading, then quit."),
         QStringLiteral("png")},
        {QStringLiteral("bench"), QStringLiteral("Measure slice change and brush stamp times, print medians, quit.")},
        {QStringLiteral("stack"), QStringLiteral("Stack for --bench (default: generated 1024x768)."), QStringLiteral("file")},
        {QStringLiteral("ortho"), QStringLiteral("Show the XZ / YZ views.")},
        {QStringLiteral("3d"), QStringLiteral("Show the 3D surface view of the mask.")},
        {QStringLiteral("segment-slice"), QStringLiteral("Segment the shown slice at start (with --screenshot: wait for it).")},
        {QStringLiteral("segment-stack"),
         QStringLiteral("Segment every slice at start, then apply the model's 3D clean-up (with --screenshot: wait for it).")},
        {QStringLiteral("bench-train-seconds"),
         QStringLiteral("With --bench: seconds of background training while measuring the event-loop delay (default 20; "
                        "0 = skip)."),
         QStringLiteral("s"), QStringLiteral("20")},
        {QStringLiteral("simulate-rounds"),
         QStringLiteral("After loading (and --segment-stack): run N retraining rounds, each on the next slice to correct "
                        "with its labels from --truth."),
         QStringLiteral("n")},
        {QStringLiteral("round-seconds"), QStringLiteral("Budget of a simulated round (default 60)."), QStringLiteral("s"),
         QStringLiteral("60")},
        {QStringLiteral("first-run"),
         QStringLiteral("Train a new network from scratch on the demo stack in the Training dock for S seconds, "
                        "re-predict, print the per-class IoU on the held-out slices, quit (with --screenshot: save it)."),
         QStringLiteral("s")},
        {QStringLiteral("bench-bigdata"),
         QStringLiteral("Open STACK offscreen, browse 100 slices, paint, undo, save the mask (streamed, to a temporary "
                        "file), print peak RSS and timings, quit."),
         QStringLiteral("stack")},
        {QStringLiteral("json"), QStringLiteral("With --bench-bigdata: end with one JSON line of the figures.")},
        {QStringLiteral("memory-budget"),
         QStringLiteral("Memory the out-of-core caches may hold (e.g. 512M, 2G) for this run; else "
                        "MITOSEG_MEMORY_BUDGET, else the preference (Edit > Memory budget), else 1G."),
         QStringLiteral("size")},
        {QStringLiteral("print-options"), QStringLiteral("Print what the options resolved to, then quit.")},
    });
}

}  // namespace

QString studioVersion() { return QStringLiteral("0.1.0"); }

std::optional<int> answerHelpOrVersion(int argc, char** argv)
{
    bool asked = false;
    for (int i = 1; i < argc; ++i)
        for (const char* flag : {"-h", "--help", "-?", "--help-all", "-v", "--version"})
            asked = asked || std::strcmp(argv[i], flag) == 0;
    if (!asked)
        return std::nullopt;
    // A QCoreApplication needs no display; it is gone before the QApplication is made.
    QCoreApplication core(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("mitoseg-studio"));
    QCoreApplication::setApplicationVersion(studioVersion());
    QCommandLineParser cli;
    addOptions(cli);
    QStringList args = QCoreApplication::arguments();
    // Qt's own options (-platform X, --session ID, ...) are not the studio's: leave them out.
    for (const char* qtOption : {"-platform", "--platform", "-display", "--display", "-session", "--session"}) {
        const int at = static_cast<int>(args.indexOf(QString::fromLatin1(qtOption)));
        if (at > 0)
            args.remove(at, std::min<int>(2, static_cast<int>(args.size()) - at));
    }
    if (!cli.parse(args)) {
        std::fprintf(stderr, "mitoseg-studio: %s\n", qPrintable(cli.errorText()));
        return 1;
    }
    if (cli.isSet(QStringLiteral("help")) || cli.isSet(QStringLiteral("help-all"))) {
        std::fputs(qPrintable(cli.helpText()), stdout);
        return 0;
    }
    if (cli.isSet(QStringLiteral("version"))) {
        std::printf("mitoseg-studio %s\n", qPrintable(studioVersion()));
        return 0;
    }
    return std::nullopt;
}

std::optional<StudioOptions> parseStudioOptions(const QStringList& arguments, const QString& sessionEatenByQt,
                                                QString* error)
{
    QCommandLineParser cli;
    addOptions(cli);
    if (!cli.parse(arguments)) {
        if (error)
            *error = cli.errorText();
        return std::nullopt;
    }
    StudioOptions o;
    const QStringList positional = cli.positionalArguments();
    if (positional.size() > 1) {
        if (error)
            *error = QStringLiteral("one stack at a time (got %1)").arg(positional.join(QStringLiteral(", ")));
        return std::nullopt;
    }
    if (!positional.isEmpty())
        o.stack = positional.front();
    o.mask = cli.value(QStringLiteral("mask"));
    o.truth = cli.value(QStringLiteral("truth"));
    o.model = cli.value(QStringLiteral("model"));
    o.session = cli.value(QStringLiteral("open-session"));
    if (o.session.isEmpty() && !sessionEatenByQt.isEmpty() && QFileInfo(sessionEatenByQt).isFile())
        o.session = sessionEatenByQt;
    o.screenshot = cli.value(QStringLiteral("screenshot"));
    o.benchStack = cli.value(QStringLiteral("stack"));
    o.benchBigData = cli.value(QStringLiteral("bench-bigdata"));
    o.json = cli.isSet(QStringLiteral("json"));
    if (cli.isSet(QStringLiteral("memory-budget"))) {
        const auto bytes = parseByteSize(cli.value(QStringLiteral("memory-budget")).toStdString());
        if (!bytes) {
            if (error)
                *error = QStringLiteral("--memory-budget needs a size such as 512M or 2G (got '%1')")
                             .arg(cli.value(QStringLiteral("memory-budget")));
            return std::nullopt;
        }
        o.memoryBudget = *bytes;
    }
    if (cli.isSet(QStringLiteral("slice"))) {
        bool ok = false;
        const long long z = cli.value(QStringLiteral("slice")).toLongLong(&ok);
        if (!ok || z < 1) {
            if (error)
                *error = QStringLiteral("--slice needs a slice number from 1 (got '%1')").arg(cli.value(QStringLiteral("slice")));
            return std::nullopt;
        }
        o.slice = z;
    }
    o.bench = cli.isSet(QStringLiteral("bench"));
    o.ortho = cli.isSet(QStringLiteral("ortho"));
    o.surfaces = cli.isSet(QStringLiteral("3d"));
    o.segmentSlice = cli.isSet(QStringLiteral("segment-slice"));
    o.segmentStack = cli.isSet(QStringLiteral("segment-stack"));
    o.printOptions = cli.isSet(QStringLiteral("print-options"));
    bool okTrain = false, okRounds = true, okSeconds = false;
    o.benchTrainSeconds = cli.value(QStringLiteral("bench-train-seconds")).toDouble(&okTrain);
    if (cli.isSet(QStringLiteral("simulate-rounds")))
        o.simulateRounds = cli.value(QStringLiteral("simulate-rounds")).toInt(&okRounds);
    o.roundSeconds = cli.value(QStringLiteral("round-seconds")).toDouble(&okSeconds);
    if (cli.isSet(QStringLiteral("first-run"))) {
        bool okFirst = false;
        o.firstRunSeconds = cli.value(QStringLiteral("first-run")).toDouble(&okFirst);
        if (!okFirst || o.firstRunSeconds <= 0) {
            if (error)
                *error = QStringLiteral("--first-run needs a number of seconds > 0");
            return std::nullopt;
        }
    }
    if (!okTrain || o.benchTrainSeconds < 0 || !okRounds || o.simulateRounds < 0 || !okSeconds || o.roundSeconds <= 0) {
        if (error)
            *error = QStringLiteral("need --bench-train-seconds >= 0, --simulate-rounds >= 0 and --round-seconds > 0");
        return std::nullopt;
    }
    return o;
}

QString describe(const StudioOptions& o)
{
    QString out;
    auto line = [&out](const char* name, const QString& value) {
        out += QString::fromLatin1(name) + QLatin1Char('=') + value + QLatin1Char('\n');
    };
    auto flag = [](bool b) { return b ? QStringLiteral("yes") : QStringLiteral("no"); };
    line("stack", o.stack);
    line("mask", o.mask);
    line("truth", o.truth);
    line("model", o.model);
    line("session", o.session);
    line("slice", o.slice ? QString::number(*o.slice) : QString());
    line("screenshot", o.screenshot);
    line("bench", flag(o.bench));
    line("bench-stack", o.benchStack);
    line("bench-bigdata", o.benchBigData);
    line("json", flag(o.json));
    line("memory-budget", o.memoryBudget ? QString::number(o.memoryBudget) : QString());
    line("ortho", flag(o.ortho));
    line("3d", flag(o.surfaces));
    line("segment-slice", flag(o.segmentSlice));
    line("segment-stack", flag(o.segmentStack));
    line("bench-train-seconds", QString::number(o.benchTrainSeconds));
    line("simulate-rounds", QString::number(o.simulateRounds));
    line("round-seconds", QString::number(o.roundSeconds));
    line("first-run", QString::number(o.firstRunSeconds));
    return out;
}

}  // namespace mitoseg::studio
