#include "core/engine/Trainer.h"

#include <ATen/autocast_mode.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <deque>
#include <optional>
#include <functional>
#include <utility>
#include <sstream>

#include "core/base/AtomicFile.h"
#include "core/base/Error.h"
#include "core/dist/ProcessGroup.h"
#include "core/engine/DataParallel.h"
#include "core/engine/ModelFile.h"
#include "core/engine/PatchSampler.h"
#include "core/engine/TiledPredictor.h"
#include "core/engine/TorchModel.h"

namespace mitoseg {

namespace {

using Clock = std::chrono::steady_clock;

/// Enables CPU bfloat16 autocast on this thread for its lifetime (when `on`).
struct AutocastGuard {
    explicit AutocastGuard(bool on) : on_(on)
    {
        if (on_) {
            at::autocast::set_cpu_enabled(true);
            at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
        }
    }
    ~AutocastGuard()
    {
        if (on_)
            at::autocast::set_cpu_enabled(false);
    }
    AutocastGuard(const AutocastGuard&) = delete;
    AutocastGuard& operator=(const AutocastGuard&) = delete;
    bool on_;
};

double seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

/// Mean/std of the raw values of `slices` (sub-sampled).
Normalisation computeNormalisation(const TrainData& d, const std::vector<std::int64_t>& slices)
{
    double sum = 0, sq = 0;
    std::int64_t n = 0;
    const std::int64_t voxels = d.labels->shape().sliceVoxels();
    for (auto z : slices)
        for (std::int64_t i = 0; i < voxels; i += 7) {
            double v = d.image ? d.image->slice(z)[i] : d.imageF32->slice(z)[i];
            sum += v;
            sq += v * v;
            ++n;
        }
    Normalisation norm;
    norm.mean = n ? sum / static_cast<double>(n) : 0.0;
    double var = n ? sq / static_cast<double>(n) - norm.mean * norm.mean : 1.0;
    norm.std = std::sqrt(std::max(var, 1e-6));
    return norm;
}

/// Warm-up over the first steps, then cosine decay over the steps (or, with a time budget, over
/// the share `elapsedFraction` of it spent).
double learningRate(const TrainConfig& c, std::int64_t step, double elapsedFraction)
{
    if (step < c.warmupSteps)
        return c.learningRate * (0.1 + 0.9 * static_cast<double>(step) / static_cast<double>(c.warmupSteps));
    double t = c.maxSeconds > 0
                   ? elapsedFraction
                   : static_cast<double>(step - c.warmupSteps) / static_cast<double>(std::max<std::int64_t>(1, c.steps - c.warmupSteps));
    t = std::clamp(t, 0.0, 1.0);
    const double pi = 3.14159265358979323846;
    return c.learningRate * (c.minLrFraction + (1 - c.minLrFraction) * 0.5 * (1 + std::cos(pi * t)));
}

/// Foreground IoU (binary) or mean IoU of the non-background classes over the validation slices.
/// With a group, each rank predicts every size-th slice and the counts are summed over the ranks.
double validate(UNet& net, const TrainConfig& c, const TrainData& d, const std::vector<std::int64_t>& slices, const Normalisation& norm,
                const CancelToken& cancel)
{
    const int rank = c.group ? c.group->rank() : 0, ranks = c.group ? c.group->size() : 1;
    // The inference form in channels-last whatever the training's memory format (float32 trains
    // NCHW, but predicts faster NHWC), in int8 where predict would use it.
    const bool int8 = c.validateInt8 && !c.bf16;
    TiledPredictor pred(net, c.bf16, /*channelsLast=*/true, /*reference=*/false, int8);
    PredictOptions opt;
    opt.tile = 1024;
    const int ctx = c.arch.context();
    const std::int64_t D = d.labels->depth(), H = d.labels->height(), W = d.labels->width();
    // Slice z with its context, normalised (C, H, W).
    auto input = [&](std::int64_t z) {
        torch::Tensor in = torch::empty({c.arch.inChannels, H, W});
        for (int k = -ctx; k <= ctx; ++k) {
            std::int64_t zz = std::clamp<std::int64_t>(z + k, 0, D - 1);
            torch::Tensor s = d.image ? torch::from_blob(const_cast<std::uint8_t*>(d.image->slice(zz)), {H, W}, torch::kUInt8).to(torch::kFloat)
                                      : torch::from_blob(const_cast<float*>(d.imageF32->slice(zz)), {H, W}).clone();
            in[k + ctx] = s;
        }
        return (in - static_cast<float>(norm.mean)) / static_cast<float>(norm.std);
    };
    if (int8 && !slices.empty()) {
        // Ranges from the middle 512^2 of three validation slices spread through them (every rank
        // the same ones): validation slices and their context are read even when only some
        // labelled slices are, and a stack's own calibration slices may not be.
        const std::int64_t k = std::min<std::int64_t>(3, static_cast<std::int64_t>(slices.size()));
        std::vector<torch::Tensor> samples;
        for (std::int64_t i = 0; i < k; ++i)
            samples.push_back(input(slices[static_cast<std::size_t>((2 * i + 1) * static_cast<std::int64_t>(slices.size()) / (2 * k))]));
        pred.calibrate(torch::stack(samples), 512);
    }
    std::vector<double> inter(static_cast<std::size_t>(c.arch.classes), 0), uni(static_cast<std::size_t>(c.arch.classes), 0);
    for (std::size_t i = 0; i < slices.size(); ++i) {
        if (static_cast<int>(i % static_cast<std::size_t>(ranks)) != rank)
            continue;
        const std::int64_t z = slices[i];
        torch::Tensor in = input(z);
        torch::Tensor lab = TiledPredictor::labels(pred.predict(in, opt, &cancel), 0.5f);
        torch::Tensor truth = torch::from_blob(const_cast<std::uint8_t*>(d.labels->slice(z)), {H, W}, torch::kUInt8);
        if (c.arch.classes == 2)
            truth = (truth > 0).to(torch::kUInt8);
        for (int k = 1; k < c.arch.classes; ++k) {
            torch::Tensor p = lab == k, t = truth == k;
            inter[static_cast<std::size_t>(k)] += static_cast<double>((p & t).sum().item<std::int64_t>());
            uni[static_cast<std::size_t>(k)] += static_cast<double>((p | t).sum().item<std::int64_t>());
        }
    }
    if (c.group) {
        std::vector<double> counts = inter;
        counts.insert(counts.end(), uni.begin(), uni.end());
        c.group->allreduceSum(counts.data(), counts.size());
        std::copy(counts.begin(), counts.begin() + c.arch.classes, inter.begin());
        std::copy(counts.begin() + c.arch.classes, counts.end(), uni.begin());
    }
    double sum = 0;
    for (int k = 1; k < c.arch.classes; ++k)
        sum += uni[static_cast<std::size_t>(k)] > 0 ? inter[static_cast<std::size_t>(k)] / uni[static_cast<std::size_t>(k)] : 1.0;
    return sum / (c.arch.classes - 1);
}

/// Training mode, with batch-norm layers kept in inference mode when the config asks for it.
void setTrainingMode(UNet& net, const TrainConfig& c)
{
    net->train();
    if (!c.freezeBatchNorm)
        return;
    for (const auto& m : net->modules(/*include_self=*/false))
        if (m->as<torch::nn::BatchNorm2dImpl>())
            m->eval();
}

std::unique_ptr<torch::optim::Optimizer> makeOptimizer(const TrainConfig& c, UNet& net)
{
    if (c.optimizer == OptimizerKind::Adam)
        return std::make_unique<torch::optim::Adam>(net->parameters(), torch::optim::AdamOptions(c.learningRate).weight_decay(c.weightDecay));
    return std::make_unique<torch::optim::AdamW>(net->parameters(), torch::optim::AdamWOptions(c.learningRate).weight_decay(c.weightDecay));
}

void setLearningRate(torch::optim::Optimizer& opt, const TrainConfig& c, double lr)
{
    for (auto& group : opt.param_groups()) {
        if (c.optimizer == OptimizerKind::Adam)
            static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
        else
            static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
    }
}

/// Mutable state that a checkpoint captures besides weights and optimizer.
struct RunState {
    std::int64_t step = 0;
    double bestValIoU = -1;
    std::int64_t bestStep = 0;
    int staleValidations = 0;
    std::vector<std::pair<std::int64_t, double>> curve;
    Normalisation norm;
};

Json archJson(const UNetConfig& a)
{
    ModelSpec s;
    s.arch = a;
    return s.toJson()["architecture"];
}

/// The options that shape every step of a run, spelt as `mitoseg train` spells them. A resumed
/// run must ask for the same ones, or it would go on silently as another recipe. The run's
/// length (--steps, --minutes) may change: extending a run is what resuming is for.
Json stepSettings(const TrainConfig& c)
{
    Json j = Json::object();
    j["--batch"] = c.batch;
    j["--patch"] = c.patch;
    j["--optimizer"] = c.optimizer == OptimizerKind::Adam ? "adam" : "adamw";
    j["--lr"] = c.learningRate;
    j["--weight-decay"] = c.weightDecay;
    j["--warmup"] = c.warmupSteps;
    j["--fg-fraction"] = c.foregroundFraction;
    j["--boundary-weight"] = c.boundaryWeight;
    j["--no-augment"] = !c.augmentGeometry && !c.augmentIntensity;
    j["--freeze-bn"] = c.freezeBatchNorm;
    j["dice weight"] = c.diceWeight;
    return j;
}

/// Throws (naming the option, the checkpoint's value and the requested one) where `requested`
/// differs from the settings a checkpoint recorded. Checkpoints from before the record pass.
void checkStepSettings(const Json* recorded, const Json& requested, const std::function<IoError(std::string)>& bad)
{
    if (!recorded || !recorded->isObject())
        return;
    for (const auto& [name, value] : requested.members()) {
        const Json* was = recorded->find(name);
        if (was && was->dump() != value.dump())
            throw bad("the checkpoint was written with " + name + " " + was->dump() + ", this run asks for " +
                      value.dump() + " (resume with the interrupted run's options)");
    }
}

void writeCheckpoint(const std::filesystem::path& path, const RunState& st, UNet& net, torch::optim::Optimizer& opt,
                     PatchSampler& sampler, const TrainConfig& config)
{
    ModelContainer c;
    c.header["kind"] = "checkpoint";
    c.header["architecture"] = archJson(net->config);
    c.header["settings"] = stepSettings(config);
    c.header["step"] = st.step;
    c.header["best_val_iou"] = st.bestValIoU;
    c.header["best_step"] = st.bestStep;
    c.header["stale_validations"] = st.staleValidations;
    c.header["norm_mean"] = st.norm.mean;
    c.header["norm_std"] = st.norm.std;
    c.header["sampler_rng"] = sampler.rngState();
    c.header["date"] = utcNow();
    Json curve = Json::array();
    for (const auto& [s, v] : st.curve) {
        Json p = Json::array();
        p.push(Json(s));
        p.push(Json(v));
        curve.push(p);
    }
    c.header["val_curve"] = curve;
    c.blobs.push_back(serializeModule(*net));
    std::ostringstream os;
    torch::serialize::OutputArchive oa;
    opt.save(oa);
    oa.save_to(os);
    c.blobs.push_back(os.str());
    std::ostringstream gs;
    torch::serialize::OutputArchive ga;
    ga.write("state", at::detail::getDefaultCPUGenerator().get_state());
    ga.save_to(gs);
    c.blobs.push_back(gs.str());
    writeModelContainer(path, c);
}

void readCheckpoint(const std::filesystem::path& path, RunState& st, UNet& net, torch::optim::Optimizer& opt,
                    PatchSampler& sampler, const TrainConfig& config)
{
    ModelContainer c = readModelContainer(path);
    auto bad = [&](const std::string& what) { return IoError(IoError::Kind::BadModel, path, -1, what); };
    if (c.header.string("kind", "") != "checkpoint" || c.blobs.size() != 3)
        throw bad("not a training checkpoint");
    const Json* arch = c.header.find("architecture");
    if (!arch || arch->dump() != archJson(net->config).dump())
        throw bad("checkpoint architecture differs from the requested one (use the same --preset/options)");
    checkStepSettings(c.header.find("settings"), stepSettings(config), bad);
    try {
        st.step = static_cast<std::int64_t>(c.header.number("step", 0));
        st.bestValIoU = c.header.number("best_val_iou", -1);
        st.bestStep = static_cast<std::int64_t>(c.header.number("best_step", 0));
        st.staleValidations = static_cast<int>(c.header.number("stale_validations", 0));
        st.norm.mean = c.header.number("norm_mean", 0);
        st.norm.std = c.header.number("norm_std", 1);
        sampler.setRngState(c.header.string("sampler_rng", ""));
        st.curve.clear();
        if (const Json* curve = c.header.find("val_curve"))
            for (const auto& p : curve->items())
                st.curve.emplace_back(static_cast<std::int64_t>(p.items().at(0).number()), p.items().at(1).number());
    } catch (const IoError&) {
        throw;
    } catch (const std::exception& e) {
        throw bad(std::string("bad checkpoint header: ") + e.what());
    }
    deserializeNet(net, c.blobs[0], path);
    try {
        std::istringstream os(c.blobs[1]);
        torch::serialize::InputArchive oa;
        oa.load_from(os);
        opt.load(oa);
        std::istringstream gs(c.blobs[2]);
        torch::serialize::InputArchive ga;
        ga.load_from(gs);
        torch::Tensor state;
        ga.read("state", state);
        at::Generator gen = at::detail::getDefaultCPUGenerator();
        gen.set_state(state);
    } catch (const std::exception& e) {
        throw bad(std::string("bad optimizer/RNG state: ") + std::string(e.what()).substr(0, 300));
    }
}

}  // namespace

std::vector<std::int64_t> parseIndexList(const std::string& text)
{
    std::vector<std::int64_t> out;
    std::stringstream ss(text);
    std::string part;
    auto num = [&](const std::string& s) {
        if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos || s.size() > 9)
            throw Error("bad index list '" + text + "' (expected e.g. 0-10,20)");
        return std::stoll(s);
    };
    while (std::getline(ss, part, ',')) {
        auto dash = part.find('-');
        if (dash == std::string::npos) {
            out.push_back(num(part));
        } else {
            auto a = num(part.substr(0, dash)), b = num(part.substr(dash + 1));
            if (b < a || b - a > 10000000)
                throw Error("bad range '" + part + "' in '" + text + "'");
            for (auto i = a; i <= b; ++i)
                out.push_back(i);
        }
    }
    if (out.empty())
        throw Error("empty index list");
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

/// Copies the weights of `from` into `to` (same architecture except possibly more input
/// channels in `to`, whose first convolution then gets `from`'s kernel on its centre channel).
void copyInitialWeights(UNet& to, UNet& from, const std::filesystem::path& path)
{
    torch::NoGradGuard guard;
    auto src = from->named_parameters();
    auto srcBuffers = from->named_buffers();
    auto copyOne = [&](const std::string& name, torch::Tensor dst, const torch::Tensor& s) {
        if (s.sizes() == dst.sizes()) {
            dst.copy_(s);
            return;
        }
        // First convolution: [out, Cin_small, k, k] into [out, Cin_big, k, k].
        if (s.dim() == 4 && dst.dim() == 4 && s.size(0) == dst.size(0) && s.size(1) < dst.size(1) && s.size(2) == dst.size(2) &&
            s.size(3) == dst.size(3) && (dst.size(1) - s.size(1)) % 2 == 0) {
            dst.zero_();
            dst.narrow(1, (dst.size(1) - s.size(1)) / 2, s.size(1)).copy_(s);
            return;
        }
        throw IoError(IoError::Kind::BadModel, path, -1, "tensor '" + name + "' does not fit the requested architecture");
    };
    for (auto& p : to->named_parameters()) {
        const torch::Tensor* s = src.find(p.key());
        if (!s)
            throw IoError(IoError::Kind::BadModel, path, -1, "model has no tensor '" + p.key() + "'");
        copyOne(p.key(), p.value(), *s);
    }
    for (auto& b : to->named_buffers()) {
        const torch::Tensor* s = srcBuffers.find(b.key());
        if (!s)
            throw IoError(IoError::Kind::BadModel, path, -1, "model has no buffer '" + b.key() + "'");
        copyOne(b.key(), b.value(), *s);
    }
}

TrainResult train(const TrainConfig& configIn, const TrainData& data, const TrainCallback& onProgress, const CancelToken& cancel)
{
    const auto start = Clock::now();
    TrainConfig config = configIn;
    ProcessGroup* const group = config.group;
    const int rank = group ? group->rank() : 0;
    // Data-parallel: only rank 0 writes (the others keep the paths, never touch them).
    const bool writer = rank == 0;
    if (group)
        config.perPatchSeeds = true;
    // Outputs that cannot be written fail now, not after the training time.
    if (writer && !config.outModel.empty())
        checkWritableOutput(config.outModel);
    if (writer && !config.checkpointDir.empty()) {
        std::filesystem::create_directories(config.checkpointDir);
        checkWritableOutput(config.checkpointDir / "checkpoint.msc");
    }
    LoadedModel init;
    if (!config.initFrom.empty()) {
        init = loadModel(config.initFrom);
        // inChannels 0 means: read as many slices as the model does.
        const int wanted = config.arch.inChannels > 0 ? config.arch.inChannels : init.spec.arch.inChannels;
        if (wanted < init.spec.arch.inChannels)
            throw Error("cannot start from " + config.initFrom.string() + ": it reads " + std::to_string(init.spec.arch.inChannels) +
                        " slices per prediction, more than the " + std::to_string(wanted) + " requested");
        config.arch = init.spec.arch;
        config.arch.inChannels = wanted;
        if (config.classNames.empty())
            config.classNames = init.spec.info.classNames;
    }
    if (!data.labels || (!data.image == !data.imageF32))
        throw Error("training needs an image (uint8 or float) and labels");
    const Shape shape = data.image ? data.image->shape() : data.imageF32->shape();
    const Shape ls = data.labels->shape();
    if (!(shape == ls))
        throw Error("image is " + std::to_string(shape.depth) + "x" + std::to_string(shape.height) + "x" + std::to_string(shape.width) +
                    " but the mask is " + std::to_string(ls.depth) + "x" + std::to_string(ls.height) + "x" + std::to_string(ls.width));
    config.arch.validate();
    std::vector<std::int64_t> valSlices = data.valSlices;
    if (valSlices.empty())
        for (std::int64_t z = data.valBegin; z >= 0 && z <= data.valEnd; ++z)
            valSlices.push_back(z);
    std::sort(valSlices.begin(), valSlices.end());
    valSlices.erase(std::unique(valSlices.begin(), valSlices.end()), valSlices.end());
    const bool validation = !valSlices.empty();
    if (validation && (valSlices.front() < 0 || valSlices.back() >= shape.depth))
        throw Error("validation slice " + std::to_string(valSlices.front() < 0 ? valSlices.front() : valSlices.back()) +
                    " is outside the " + std::to_string(shape.depth) + " slices");
    std::vector<std::int64_t> trainSlices;
    for (std::int64_t z = 0; z < shape.depth; ++z) {
        bool labelled = data.labelledSlices.empty() || std::binary_search(data.labelledSlices.begin(), data.labelledSlices.end(), z);
        bool held = validation && std::binary_search(valSlices.begin(), valSlices.end(), z);
        if (labelled && !held)
            trainSlices.push_back(z);
    }
    if (trainSlices.empty())
        throw Error("no labelled slices outside the validation range");
    const int m = 1 << config.arch.depth;
    int patch = static_cast<int>(std::min<std::int64_t>({config.patch, shape.height, shape.width})) / m * m;
    if (patch < m)
        throw Error("slices are smaller than one network tile (" + std::to_string(m) + " px)");

    int threads = config.threads > 0 ? config.threads : static_cast<int>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
    torch::set_num_threads(threads);
    torch::manual_seed(config.seed);
    UNet net(config.arch);
    if (init.net)
        copyInitialWeights(net, init.net, config.initFrom);
    if (config.channelsLast)
        setChannelsLast(*net, true);
    auto opt = makeOptimizer(config, net);
    RunState st;
    st.norm = init.net ? init.spec.norm : computeNormalisation(data, trainSlices);
    PatchSampler sampler(config, data, trainSlices, st.norm, patch);
    if (!config.resumeFrom.empty()) {
        readCheckpoint(config.resumeFrom, st, net, *opt, sampler, config);
        sampler.setNormalisation(st.norm);
        if (config.channelsLast)
            setChannelsLast(*net, true);
    }
    TrainResult result;
    if (group) {
        // Every rank starts from rank 0's weights (they already agree when all seeded alike or
        // read the same checkpoint; this makes it so whatever happened), and dropout masks
        // differ between ranks.
        broadcastWeights(net, *group);
        torch::manual_seed(PatchSampler::patchSeed(config.seed ^ 0x5eedULL, st.step, -1 - rank));
    }
    const std::filesystem::path ckptPath =
        config.checkpointDir.empty() || !writer ? std::filesystem::path{} : config.checkpointDir / "checkpoint.msc";
    if (!ckptPath.empty())
        std::filesystem::create_directories(config.checkpointDir);

    auto spec = [&](double iou) {
        ModelSpec s;
        s.arch = config.arch;
        s.norm = st.norm;
        s.info.preset = config.arch.preset;
        s.info.classes = config.arch.classes;
        s.info.classNames = config.classNames;
        if (s.info.classNames.empty()) {
            s.info.classNames.push_back("background");
            for (int k = 1; k < config.arch.classes; ++k)
                s.info.classNames.push_back(config.arch.classes == 2 ? "mitochondria" : "class " + std::to_string(k));
        }
        s.info.trainedOn = config.dataDescription;
        s.info.recipe = config.recipe;
        s.info.steps = st.step;
        s.info.validationIoU = iou;
        s.info.date = utcNow();
        s.info.version = engineVersion();
        return s;
    };
    // --keep-snapshots: the model at this step, next to the checkpoint (iou -1 = not validated).
    const bool snapshots = writer && config.keepSnapshots && !config.checkpointDir.empty();
    // A checkpoint or snapshot that cannot be written (disk full) is reported and skipped: the
    // write is atomic, so the previous file stays intact, and the run goes on.
    std::string writeWarning;
    auto tryWrite = [&](const std::function<void()>& write) {
        try {
            write();
        } catch (const IoError& e) {
            ++result.failedWrites;
            result.lastWriteError = e.what();
            writeWarning = std::string(e.what()) + " (training goes on; the previous checkpoint is kept)";
        }
    };
    auto snapshot = [&](double iou) {
        tryWrite([&] { saveModel(config.checkpointDir / ("model-step" + std::to_string(st.step) + ".msm"), spec(iou), net); });
    };

    std::vector<float> inBuf;
    std::vector<std::uint8_t> tgBuf;
    std::deque<double> recentLoss, recentTime;
    auto lastCheckpoint = Clock::now();
    double lastValSeconds = 0;
    double lastVal = st.curve.empty() ? -1 : st.curve.back().second;
    const int C = config.arch.inChannels;
    auto loopStart = Clock::now();   // moved on by pauses: they do not count against the budget
    const bool budget = config.maxSeconds > 0;
    setTrainingMode(net, config);
    // Data-parallel: the elapsed time the learning rate follows (the slowest rank's, so every
    // rank uses the same rate) and a cancel seen by any rank, both from the step's last all-reduce.
    double sharedElapsed = 0;
    bool groupCancelled = false;
    std::optional<OverlappedGradients> overlapped;
    if (group && config.overlapGradients)
        overlapped.emplace(net, *group, config.arch.batchNorm && !config.freezeBatchNorm);
    while (st.step < config.steps) {
        if (config.pause && !group) {
            const double waited = config.pause->waitWhilePaused(cancel);
            loopStart += std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(waited));
        }
        if (group ? groupCancelled : cancel.cancelled()) {
            result.cancelled = true;
            break;
        }
        auto t0 = Clock::now();
        const double elapsed = group ? sharedElapsed : seconds(loopStart, t0);
        double lr = learningRate(config, st.step, budget ? elapsed / config.maxSeconds : 0.0);
        setLearningRate(*opt, config, lr);
        if (config.perPatchSeeds)
            sampler.sampleIndexed(st.step, static_cast<std::int64_t>(rank) * config.batch, config.batch, inBuf, tgBuf);
        else
            sampler.sample(config.batch, inBuf, tgBuf);
        torch::Tensor x = torch::from_blob(inBuf.data(), {config.batch, C, patch, patch});
        torch::Tensor y = torch::from_blob(tgBuf.data(), {config.batch, patch, patch}, torch::kUInt8);
        if (config.channelsLast)
            x = x.contiguous(torch::MemoryFormat::ChannelsLast);
        opt->zero_grad();
        torch::Tensor logits;
        {
            AutocastGuard autocast(config.bf16);
            logits = net->forward(x);
        }
        double lv = 0;
        torch::Tensor loss = trainingLoss(logits, y, config.arch.classes, config.diceWeight, group, lv, config.boundaryWeight);
        loss.backward();
        if (overlapped)
            result.gradientBytesPerStep = overlapped->finish();
        else if (group)
            result.gradientBytesPerStep = averageGradients(net, *group, config.arch.batchNorm && !config.freezeBatchNorm);
        opt->step();
        if (config.bf16)
            at::autocast::clear_cache();
        ++st.step;
        if (!std::isfinite(lv))
            throw Error("training diverged (loss is not finite) at step " + std::to_string(st.step) + "; try a lower learning rate");
        result.losses.push_back(lv);
        recentLoss.push_back(lv);
        recentTime.push_back(seconds(t0, Clock::now()));
        if (recentLoss.size() > 20) {
            recentLoss.pop_front();
            recentTime.pop_front();
        }
        // With a time budget, this is the last step when another one (and the closing validation)
        // would end past it.
        double stepEstimate = 0;
        for (double t : recentTime)
            stepEstimate += t;
        stepEstimate /= static_cast<double>(recentTime.size());
        const double spent = seconds(loopStart, Clock::now());
        bool lastByTime = budget && spent + stepEstimate + (validation ? lastValSeconds : 0.0) > config.maxSeconds;
        if (group) {
            // One decision for all ranks: any rank out of time or cancelled stops them all.
            double flags[3] = {lastByTime ? 1.0 : 0.0, cancel.cancelled() ? 1.0 : 0.0, spent};
            group->allreduceMax(flags, 3);
            lastByTime = flags[0] > 0;
            groupCancelled = flags[1] > 0;
            sharedElapsed = flags[2];
        }
        const bool lastStep = st.step == config.steps || lastByTime;
        bool doValidate = validation && (st.step % std::max<std::int64_t>(1, config.validateEvery) == 0 || lastStep);
        TrainProgress p;
        if (doValidate) {
            auto v0 = Clock::now();
            double iou;
            try {
                // Data-parallel: a cancel is taken together after the step, never half-way
                // through the shared validation.
                static const CancelToken never;
                iou = validate(net, config, data, valSlices, st.norm, group ? never : cancel);
            } catch (const Cancelled&) {
                setTrainingMode(net, config);
                result.cancelled = true;
                break;
            }
            setTrainingMode(net, config);
            lastValSeconds = seconds(v0, Clock::now());
            st.curve.emplace_back(st.step, iou);
            lastVal = iou;
            p.validated = true;
            if (snapshots)
                snapshot(iou);
            if (iou > st.bestValIoU) {
                st.bestValIoU = iou;
                st.bestStep = st.step;
                st.staleValidations = 0;
                if (writer && !config.outModel.empty())
                    saveModel(config.outModel, spec(iou), net);
            } else {
                ++st.staleValidations;
            }
        }
        // Without validation, --keep-snapshots still records the trajectory (for weight averaging).
        if (!validation && snapshots && (st.step % std::max<std::int64_t>(1, config.validateEvery) == 0 || lastStep))
            snapshot(-1);
        double spStep = 0, meanLoss = 0;
        for (std::size_t i = 0; i < recentLoss.size(); ++i) {
            spStep += recentTime[i];
            meanLoss += recentLoss[i];
        }
        spStep /= static_cast<double>(recentTime.size());
        meanLoss /= static_cast<double>(recentLoss.size());
        std::int64_t left = config.steps - st.step;
        if (budget) {
            const double remaining = std::max(0.0, config.maxSeconds - seconds(loopStart, Clock::now()));
            left = lastByTime ? 0 : std::min(left, static_cast<std::int64_t>(remaining / std::max(spStep, 1e-6)));
        }
        std::int64_t valsLeft = validation ? left / std::max<std::int64_t>(1, config.validateEvery) + 1 : 0;
        p.step = st.step;
        p.totalSteps = st.step + left;
        p.loss = lv;
        p.averageLoss = meanLoss;
        p.learningRate = lr;
        p.valIoU = lastVal;
        p.bestValIoU = st.bestValIoU;
        p.secondsPerStep = spStep;
        p.etaSeconds = static_cast<double>(left) * spStep + static_cast<double>(valsLeft) * lastValSeconds;
        bool stop = config.earlyStopPatience > 0 && st.staleValidations >= config.earlyStopPatience;
        if (!ckptPath.empty() && (p.validated || stop || lastStep ||
                                  seconds(lastCheckpoint, Clock::now()) >= config.checkpointSeconds)) {
            tryWrite([&] { writeCheckpoint(ckptPath, st, net, *opt, sampler, config); });
            lastCheckpoint = Clock::now();
        }
        p.warning = std::exchange(writeWarning, std::string());
        if (onProgress)
            onProgress(p);
        if (stop) {
            result.stoppedEarly = true;
            break;
        }
        if (lastByTime) {
            result.outOfTime = true;
            break;
        }
    }
    if (result.cancelled && !ckptPath.empty())
        tryWrite([&] { writeCheckpoint(ckptPath, st, net, *opt, sampler, config); });
    // Without validation the last model is the result; a run stopped before its first
    // validation still leaves the model it has so far.
    if (writer && !config.outModel.empty() && st.step > 0 && (!validation || (result.cancelled && st.bestValIoU < 0)))
        saveModel(config.outModel, spec(-1), net);
    result.steps = st.step;
    result.bestValIoU = st.bestValIoU;
    result.bestStep = st.bestStep;
    result.validationCurve = st.curve;
    result.seconds = seconds(start, Clock::now());
    if (group)
        result.communicationSeconds = group->communicationSeconds();
    return result;
}

}  // namespace mitoseg
