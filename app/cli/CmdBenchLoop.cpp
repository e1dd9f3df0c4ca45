#include <unistd.h>

#include <algorithm>
#include <limits>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <tuple>

#include "app/cli/Args.h"
#include "app/cli/Command.h"
#include "app/cli/ModelArg.h"
#include "app/cli/TerminalProgress.h"
#include "core/base/Error.h"
#include "core/engine/Json.h"
#include "core/io/TiffStack.h"
#include "core/loop/RetrainRound.h"
#include "core/loop/SlicePicker.h"
#include "core/metrics/Metrics.h"

namespace mitoseg::cli {

namespace {

const char* kHelp =
    "usage: mitoseg bench loop IMAGE TRUTH [--model M] [--rounds 3] [--per-round 2] [--seconds 60]\n"
    "                          [--val-z A-B] [--pick uncertain|shortfall|spread|random] [--json] [options]\n"
    "\n"
    "Simulates a user of the studio's retraining loop. Round 0 predicts the stack with M (default:\n"
    "the shipped model) and scores it. Each round then picks the --per-round slices outside the\n"
    "validation range as the studio's Next slice to correct does (--pick spread, the default: the\n"
    "IoU the model expects to miss on the slice, discounted near slices already labelled or\n"
    "picked, so picks cover the stack; --pick shortfall: that expected miss alone; --pick\n"
    "uncertain: the mean binary entropy, the studio's rule before; --pick random for comparison),\n"
    "takes their labels from TRUTH (the user's correction), fine-tunes the current model for\n"
    "--seconds on them plus the slices corrected in earlier rounds (the studio's Retrain: same\n"
    "code), re-predicts the stack and scores again.\n"
    "Prints per round: slices picked, steps, retrain and re-predict seconds (and until the first\n"
    "slice), foreground IoU on the validation slices and on every slice not corrected so far.\n"
    "\n"
    "  --val-z A-B          validation slices, never picked, nor are the model's context slices\n"
    "                       around them (default: the last 32 slices of stacks of 100+ slices,\n"
    "                       else the last 20%)\n"
    "  --keep-models DIR    write each round's model to DIR/round-N.msm (default: a temporary folder)\n"
    "  --batch N --patch N  fine-tuning patches (default 4 x 256)\n"
    "  --lr X               fine-tuning learning rate (default 1e-4)\n"
    "  --pseudo N           also replay N unlabelled slices (spread out) with the current model's\n"
    "                       own labels, against drift (default 0)\n"
    "  --train-bn           let batch-norm statistics move during fine-tuning (default: frozen)\n"
    "  --threads N          torch threads (default: all cores)\n"
    "  --seed N             seed of training and of --pick random (default 1)\n"
    "  --steps N            also stop each round after N steps (runs that compare recipes on a busy\n"
    "                       machine then train the same amount whatever the load)\n"
    "  --json               last line: one JSON object with a `rounds` array\n";

/// Foreground IoU of `pred` against `truth` over the slices where `use(z)` is true.
template <class Use>
double iouWhere(const VolumeU8& pred, const VolumeU8& truth, Use use)
{
    std::int64_t inter = 0, uni = 0;
    const std::int64_t n = truth.shape().sliceVoxels();
    for (std::int64_t z = 0; z < truth.depth(); ++z) {
        if (!use(z))
            continue;
        const std::uint8_t *p = pred.slice(z), *t = truth.slice(z);
        for (std::int64_t i = 0; i < n; ++i) {
            const bool a = p[i] != 0, b = t[i] != 0;
            inter += a && b;
            uni += a || b;
        }
    }
    return uni ? static_cast<double>(inter) / static_cast<double>(uni) : 1.0;
}

/// Where the rounds' models go: the folder asked for (kept), else a temporary one (removed).
class ScratchOrKept {
public:
    explicit ScratchOrKept(const std::filesystem::path& keep) : keep_(!keep.empty())
    {
        path_ = keep_ ? keep
                      : std::filesystem::temp_directory_path() /
                            ("mitoseg-bench-loop-" + std::to_string(::getpid()) + "-" +
                             std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
        std::filesystem::create_directories(path_);
    }
    ~ScratchOrKept()
    {
        std::error_code ec;
        if (!keep_)
            std::filesystem::remove_all(path_, ec);
    }
    ScratchOrKept(const ScratchOrKept&) = delete;
    ScratchOrKept& operator=(const ScratchOrKept&) = delete;
    const std::filesystem::path& path() const { return path_; }

private:
    bool keep_;
    std::filesystem::path path_;
};

struct RoundLine {
    int round = 0;
    std::vector<std::int64_t> slices;
    std::int64_t steps = 0;
    double retrainSeconds = 0, predictSeconds = 0, firstSliceSeconds = 0;
    double iouVal = 0, iouUncorrected = 0;
};

std::string jsonLine(const std::string& model, const std::string& pick, double seconds, std::int64_t v0, std::int64_t v1,
                     const std::vector<RoundLine>& rounds)
{
    Json j = Json::object();
    j["what"] = "bench-loop";
    j["model"] = model;
    j["pick"] = pick;
    j["seconds"] = seconds;
    Json val = Json::array();
    val.push(Json(v0));
    val.push(Json(v1));
    j["val_z"] = val;
    Json list = Json::array();
    for (const RoundLine& r : rounds) {
        Json o = Json::object();
        o["round"] = r.round;
        Json s = Json::array();
        for (auto z : r.slices)
            s.push(Json(z));
        o["slices"] = s;
        o["steps"] = r.steps;
        o["retrain_s"] = r.retrainSeconds;
        o["predict_s"] = r.predictSeconds;
        o["first_slice_s"] = r.firstSliceSeconds;
        o["iou_val"] = r.iouVal;
        o["iou_uncorrected"] = r.iouUncorrected;
        list.push(o);
    }
    j["rounds"] = list;
    return j.dump();
}

int run(const std::vector<std::string>& argv)
{
    Args args(argv, {"model", "pseudo", "rounds", "per-round", "seconds", "val-z", "pick", "keep-models", "batch", "patch", "lr", "threads", "seed", "steps"},
              {"json", "train-bn"});
    args.expectPositionals(2, 2);
    const std::filesystem::path modelPath = modelPathFromArgs(args);
    const int rounds = static_cast<int>(args.integer("rounds", 3, 0, 10000)), perRound = static_cast<int>(args.integer("per-round", 2, 1, 100000));
    const double seconds = args.number("seconds", 60, 0.0, 1e7);
    const int pseudo = static_cast<int>(args.integer("pseudo", 0, 0, 100000));
    const std::string pick = args.value("pick", "spread");
    if (pick != "uncertain" && pick != "shortfall" && pick != "spread" && pick != "random")
        throw UsageError("--pick must be uncertain, shortfall, spread or random");
    if (rounds < 0 || perRound < 1 || !(seconds > 0) || pseudo < 0)
        throw UsageError("need --rounds >= 0, --per-round >= 1 and --seconds > 0");
    RoundSettings settings;
    settings.seconds = seconds;
    settings.batch = static_cast<int>(args.integer("batch", 4, 1, 4096));
    settings.patch = static_cast<int>(args.integer("patch", 256, 16, 65536));
    settings.learningRate = args.number("lr", 1e-4, 0.0, 10.0);
    settings.threads = static_cast<int>(args.integer("threads", 0, 0, 1024));
    settings.seed = static_cast<std::uint64_t>(args.integer("seed", 1, 0, std::numeric_limits<long long>::max()));
    if (args.value("steps"))
        settings.maxSteps = args.integer("steps", 1, 1, std::numeric_limits<long long>::max());
    settings.freezeBatchNorm = !args.flag("train-bn");
    settings.scoreBefore = false;   // the previous round's stack prediction scored it
    settings.predictStack = true;
    settings.int8 = !settings.bf16 && defaultInt8();   // predicts as the studio's rounds do
    if (settings.batch < 1 || settings.patch < 16 || !(settings.learningRate > 0))
        throw UsageError("need --batch >= 1, --patch >= 16 and --lr > 0");

    const std::filesystem::path imagePath = args.positionals()[0], truthPath = args.positionals()[1];
    auto stack = TiffStack::open(imagePath);
    const Shape shape = stack->info().shape;
    VolumeU8 imageU8;
    VolumeF32 imageF32;
    RoundData data;
    if (stack->info().dtype == DType::U8) {
        imageU8 = stack->readAll<std::uint8_t>();
        data.image = &imageU8;
    } else {
        imageF32 = VolumeF32(shape);
        for (std::int64_t z = 0; z < shape.depth; ++z)
            stack->readSliceF32(z, imageF32.slice(z));
        data.imageF32 = &imageF32;
    }
    auto model = Segmenter::load(modelPath);
    if (model->info().classes != 2)
        throw Error("bench loop scores foreground IoU: it needs a binary model, and " + modelPath.string() + " has " +
                    std::to_string(model->info().classes) + " classes");
    const VolumeU8 truth = readLabels(truthPath, true);
    if (!(truth.shape() == shape))
        throw Error("image " + imagePath.string() + " and truth " + truthPath.string() + " differ in shape");
    std::int64_t v0, v1;
    if (auto vz = args.value("val-z")) {
        std::tie(v0, v1) = parseRange(*vz, "--val-z");
        if (v1 >= shape.depth)
            throw UsageError("--val-z " + *vz + " exceeds the " + std::to_string(shape.depth) + " slices");
    } else {
        const std::int64_t n = shape.depth >= 100 ? 32 : std::max<std::int64_t>(1, shape.depth / 5);
        v0 = shape.depth - n;
        v1 = shape.depth - 1;
    }
    for (std::int64_t z = v0; z <= v1; ++z)
        data.scoreSlices.push_back(z);
    VolumeU8 labels(shape);   // the simulated user's mask: truth on corrected slices
    data.labels = &labels;
    data.truth = &truth;

    ScratchOrKept dir(args.value("keep-models", ""));
    std::vector<std::int64_t> corrected;
    auto isVal = [&](std::int64_t z) { return z >= v0 && z <= v1; };
    auto uncorrected = [&](std::int64_t z) { return std::find(corrected.begin(), corrected.end(), z) == corrected.end(); };
    std::vector<RoundLine> lines;
    auto print = [&](const RoundLine& r) {
        std::string slices;
        for (auto z : r.slices) {
            if (!slices.empty())
                slices += ',';
            slices += std::to_string(z);
        }
        std::printf("round %d  slices %-12s steps %5lld  retrain %6.1f s  predict %6.1f s (first slice %5.2f s)  IoU val %.4f  "
                    "uncorrected %.4f\n",
                    r.round, slices.empty() ? "-" : slices.c_str(), static_cast<long long>(r.steps), r.retrainSeconds, r.predictSeconds,
                    r.firstSliceSeconds, r.iouVal, r.iouUncorrected);
        std::fflush(stdout);
    };

    std::cerr << "bench loop: " << modelPath.filename().string() << " on " << imagePath.filename().string() << ", " << rounds
              << " rounds of " << perRound << " slices (" << pick << "), " << seconds << " s each, validation z " << v0 << "-" << v1
              << "\n";
    PredictOptions options;
    options.threads = settings.threads;
    options.int8 = settings.int8;
    StackPrediction prediction;
    {
        RoundLine r0;
        TerminalProgress bar("predict", 30.0);
        FunctionProgress progress([&](double done, double total, const std::string&) { bar.update(done, total, "", -1, false); });
        const auto t0 = std::chrono::steady_clock::now();
        auto read = [&](std::int64_t z, float* dst) { stack->readSliceF32(z, dst); };
        prediction = model->predictStack(shape, read, options, &progress);
        bar.finish();
        r0.predictSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        r0.iouVal = iouWhere(prediction.labels, truth, isVal);
        r0.iouUncorrected = iouWhere(prediction.labels, truth, uncorrected);
        lines.push_back(r0);
        print(r0);
    }
    const std::int64_t context = model->info().contextSlices;
    const float threshold = model->info().threshold;   // the mask the shortfall is scored for
    const PickMode mode = pick == "random" ? PickMode::Random : pick == "spread" ? PickMode::Spread : PickMode::Uncertain;
    std::vector<std::int64_t> validation;
    for (std::int64_t z = v0; z <= v1; ++z)
        validation.push_back(z);
    model.reset();
    std::filesystem::path current = modelPath;
    for (int round = 1; round <= rounds; ++round) {
        std::vector<double> uncertainty = sliceUncertainty(
            prediction.probability, pick == "shortfall" || pick == "spread" ? Uncertainty::IoUShortfall : Uncertainty::Entropy, threshold);
        RoundLine line;
        line.round = round;
        // The studio's rule (SlicePicker.h): not near validation, uncertain picks spread out.
        line.slices = pickSlicesToCorrect(uncertainty, corrected, validation, perRound, static_cast<int>(context), mode,
                                          settings.seed + static_cast<std::uint64_t>(round));
        if (line.slices.empty()) {
            std::cerr << "no slice left to correct\n";
            break;
        }
        for (auto z : line.slices)
            std::copy_n(truth.slice(z), shape.sliceVoxels(), labels.slice(z));
        data.corrected = line.slices;
        data.replay = corrected;
        std::vector<std::int64_t> notPseudo = corrected;
        notPseudo.insert(notPseudo.end(), line.slices.begin(), line.slices.end());
        for (std::int64_t z = v0; z <= v1; ++z)
            notPseudo.push_back(z);
        const VolumeU8 ownLabels = prediction.labels;   // the model's own labels, before this round
        data.pseudoLabels = &ownLabels;
        data.pseudoSlices = spreadSlices(shape.depth, notPseudo, pseudo);
        settings.model = current;
        settings.outModel = dir.path() / ("round-" + std::to_string(round) + ".msm");
        settings.firstSlice = line.slices.front();
        settings.description = imagePath.filename().string() + ", loop round " + std::to_string(round);
        TerminalProgress bar("round " + std::to_string(round), 30.0);
        RoundReport report = RetrainRound(settings, data).run(
            [&](const RoundProgress& p) {
                const bool training = p.phase == RoundProgress::Phase::Training;
                bar.update(p.done, p.total, training ? "training" : "predicting", training ? p.train.etaSeconds : -1, false);
            },
            CancelToken{});
        bar.finish();
        corrected.insert(corrected.end(), line.slices.begin(), line.slices.end());
        current = settings.outModel;
        prediction = std::move(report.prediction);
        line.steps = report.steps;
        line.retrainSeconds = report.trainSeconds;
        line.predictSeconds = report.predictSeconds;
        line.firstSliceSeconds = report.firstSliceSeconds;
        line.iouVal = report.iouAfter;
        line.iouUncorrected = iouWhere(prediction.labels, truth, uncorrected);
        lines.push_back(line);
        print(line);
    }
    if (args.flag("json"))
        std::cout << jsonLine(modelPath.string(), pick, seconds, v0, v1, lines) << "\n";
    return 0;
}

}  // namespace

const Command kBenchLoopCommand{"bench loop", "simulate rounds of correcting and retraining (the studio's loop)", kHelp, &run};

}  // namespace mitoseg::cli
