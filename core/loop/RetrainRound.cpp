#include "core/loop/RetrainRound.h"

#include <algorithm>
#include <chrono>
#include <optional>

#include "core/base/Error.h"
#include "core/engine/ModelFile.h"

namespace mitoseg {

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::vector<std::int64_t> sortedUnique(std::vector<std::int64_t> v)
{
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
}

Shape shapeOf(const RoundData& d) { return d.image ? d.image->shape() : d.imageF32 ? d.imageF32->shape() : Shape{}; }

/// Raw slice z as float.
void readSlice(const RoundData& d, std::int64_t z, float* dst)
{
    const std::int64_t n = shapeOf(d).sliceVoxels();
    if (d.image) {
        const std::uint8_t* src = d.image->slice(z);
        for (std::int64_t i = 0; i < n; ++i)
            dst[i] = static_cast<float>(src[i]);
    } else {
        std::copy_n(d.imageF32->slice(z), n, dst);
    }
}

/// Intersection and union per class (index 1..classes-1) of predicted vs true labels.
struct Overlap {
    std::vector<double> inter, uni;
    explicit Overlap(int classes) : inter(static_cast<std::size_t>(classes), 0), uni(static_cast<std::size_t>(classes), 0) {}
    void add(const std::uint8_t* pred, const std::uint8_t* truth, std::int64_t n, bool binary)
    {
        for (std::int64_t i = 0; i < n; ++i) {
            const int p = binary ? (pred[i] != 0) : pred[i], t = binary ? (truth[i] != 0) : truth[i];
            if (p == t) {
                if (p > 0 && p < static_cast<int>(inter.size())) {
                    inter[static_cast<std::size_t>(p)] += 1;
                    uni[static_cast<std::size_t>(p)] += 1;
                }
                continue;
            }
            if (p > 0 && p < static_cast<int>(uni.size()))
                uni[static_cast<std::size_t>(p)] += 1;
            if (t > 0 && t < static_cast<int>(uni.size()))
                uni[static_cast<std::size_t>(t)] += 1;
        }
    }
    /// Mean IoU of the non-background classes (a class absent from both counts as 1).
    double iou() const
    {
        double sum = 0;
        for (std::size_t k = 1; k < inter.size(); ++k)
            sum += uni[k] > 0 ? inter[k] / uni[k] : 1.0;
        return sum / static_cast<double>(inter.size() - 1);
    }
};

}  // namespace

RetrainRound::RetrainRound(RoundSettings settings, const RoundData& data) : settings_(std::move(settings)), data_(data) {}

void RetrainRound::checkData() const
{
    if (!data_.labels || (!data_.image == !data_.imageF32))
        throw Error("a retraining round needs an image (uint8 or float) and labels");
    const Shape s = shapeOf(data_);
    if (!(data_.labels->shape() == s) || (data_.truth && !(data_.truth->shape() == s)))
        throw Error("the image, the labels and the reference of a retraining round must have the same shape");
    if (data_.corrected.empty() && data_.replay.empty())
        throw Error("nothing to retrain on: no slice is labelled");
    auto inStack = [&](std::int64_t z) { return z >= 0 && z < s.depth; };
    for (const auto* list : {&data_.corrected, &data_.replay, &data_.scoreSlices})
        for (std::int64_t z : *list)
            if (!inStack(z))
                throw Error("slice " + std::to_string(z) + " is outside the " + std::to_string(s.depth) + " slices");
    if (!data_.pseudoSlices.empty() && (!data_.pseudoLabels || !(data_.pseudoLabels->shape() == s)))
        throw Error("pseudo-labelled slices need the model's labels of the same shape");
    for (std::int64_t z : data_.pseudoSlices)
        if (!inStack(z) || std::find(data_.scoreSlices.begin(), data_.scoreSlices.end(), z) != data_.scoreSlices.end())
            throw Error("pseudo-labelled slice " + std::to_string(z) + " is outside the stack or a validation slice");
    for (std::int64_t z : data_.scoreSlices)
        if (std::find(data_.corrected.begin(), data_.corrected.end(), z) != data_.corrected.end() ||
            std::find(data_.replay.begin(), data_.replay.end(), z) != data_.replay.end())
            throw Error("slice " + std::to_string(z) + " is both a training and a validation slice");
}

double RetrainRound::scoreSlices(Segmenter& model, const RoundData& data, const std::vector<std::int64_t>& slices,
                                 const PredictOptions& options, const CancelToken* cancel)
{
    if (slices.empty())
        return -1;
    const Shape s = shapeOf(data);
    const VolumeU8& truth = data.truth ? *data.truth : *data.labels;
    const int ctx = model.info().contextSlices, classes = model.info().classes;
    Overlap overlap(classes);
    std::vector<std::vector<float>> raw(static_cast<std::size_t>(2 * ctx + 1), std::vector<float>(static_cast<std::size_t>(s.sliceVoxels())));
    std::vector<const float*> ptrs;
    for (const auto& r : raw)
        ptrs.push_back(r.data());
    for (std::int64_t z : slices) {
        for (int k = -ctx; k <= ctx; ++k)
            readSlice(data, std::clamp<std::int64_t>(z + k, 0, s.depth - 1), raw[static_cast<std::size_t>(k + ctx)].data());
        SlicePrediction p = model.predictSliceWithContext(ptrs, s.height, s.width, options, cancel);
        overlap.add(p.labels.data(), truth.slice(z), s.sliceVoxels(), classes == 2);
    }
    return overlap.iou();
}

void RetrainRound::keepPostProcessing() const
{
    // The fine-tuned model keeps the current model's threshold and 3D clean-up, so rounds
    // compare like with like (and the studio's overlay does not change its meaning).
    const ModelContainer base = readModelContainer(settings_.model);
    ModelContainer out = readModelContainer(settings_.outModel);
    for (const char* key : {"threshold", "z_smooth", "min_object_voxels"})
        if (const Json* v = base.header.find(key))
            out.header[key] = *v;
    writeModelContainer(settings_.outModel, out);
}

RoundReport RetrainRound::run(const RoundCallback& onProgress, const CancelToken& cancel)
{
    checkData();
    RoundReport report;
    report.trainedOn = data_.corrected;
    report.trainedOn.insert(report.trainedOn.end(), data_.replay.begin(), data_.replay.end());
    report.trainedOn = sortedUnique(report.trainedOn);
    PredictOptions options;
    options.bf16 = settings_.bf16;
    options.channelsLast = settings_.channelsLast;
    options.threads = settings_.threads;
    options.int8 = settings_.int8;
    // int8: one calibration for every prediction of the round (before, after, whole stack).
    std::optional<Int8Calibration> ownCalibration;
    auto calibrate = [&](Segmenter& model) {
        if (!options.int8 || options.bf16)
            return;
        if (data_.int8Calibration)
            return model.setInt8Calibration(*data_.int8Calibration);
        if (!ownCalibration)
            ownCalibration = int8CalibrationOf(shapeOf(data_), model.info().contextSlices,
                                               [&](std::int64_t z, float* dst) { readSlice(data_, z, dst); });
        model.setInt8Calibration(*ownCalibration);
    };
    auto emit = [&](RoundProgress::Phase phase, double done, double total, const TrainProgress& tp = {}) {
        if (!onProgress)
            return;
        RoundProgress p;
        p.phase = phase;
        p.done = done;
        p.total = total;
        p.train = tp;
        onProgress(p);
    };

    if (settings_.scoreBefore && !data_.scoreSlices.empty()) {
        emit(RoundProgress::Phase::ScoringBefore, 0, 1);
        auto before = Segmenter::load(settings_.model);
        calibrate(*before);
        report.iouBefore = scoreSlices(*before, data_, data_.scoreSlices, options, &cancel);
    }

    TrainConfig config;
    config.arch.inChannels = 0;   // the model's own input slices
    config.initFrom = settings_.model;
    config.outModel = settings_.outModel;
    config.steps = settings_.maxSteps;
    config.maxSeconds = settings_.seconds;
    config.batch = settings_.batch;
    config.patch = settings_.patch;
    config.learningRate = settings_.learningRate;
    config.warmupSteps = settings_.warmupSteps;
    config.validateEvery = settings_.maxSteps + 1;
    config.threads = settings_.threads;
    config.seed = settings_.seed;
    config.bf16 = settings_.bf16;
    config.validateInt8 = settings_.int8;
    config.channelsLast = settings_.channelsLast;
    config.freezeBatchNorm = settings_.freezeBatchNorm;
    config.dataDescription = settings_.description;
    config.pause = settings_.pause;
    TrainData train;
    train.image = data_.image;
    train.imageF32 = data_.imageF32;
    train.labels = data_.labels;
    train.labelledSlices = report.trainedOn;
    std::vector<std::int64_t> pseudo;
    for (std::int64_t z : data_.pseudoSlices)
        if (!std::binary_search(report.trainedOn.begin(), report.trainedOn.end(), z))
            pseudo.push_back(z);
    if (!pseudo.empty()) {
        mixed_ = *data_.labels;
        for (std::int64_t z : pseudo)
            std::copy_n(data_.pseudoLabels->slice(z), mixed_.shape().sliceVoxels(), mixed_.slice(z));
        train.labels = &mixed_;
        train.labelledSlices.insert(train.labelledSlices.end(), pseudo.begin(), pseudo.end());
        train.labelledSlices = sortedUnique(train.labelledSlices);
    }
    if (!data_.replay.empty() || !pseudo.empty())
        train.focusSlices = sortedUnique(data_.corrected);
    train.focusFraction = settings_.correctedShare;
    const auto t0 = Clock::now();
    TrainResult r = mitoseg::train(config, train,
                                   [&](const TrainProgress& p) {
                                       emit(RoundProgress::Phase::Training, static_cast<double>(p.step),
                                            static_cast<double>(p.totalSteps), p);
                                   },
                                   cancel);
    report.trainSeconds = since(t0);
    report.steps = r.steps;
    report.losses = std::move(r.losses);
    report.cancelled = r.cancelled;
    if (r.steps == 0)
        return report;   // cancelled before the first step: no model written
    keepPostProcessing();
    if (report.cancelled)
        return report;

    const auto p0 = Clock::now();
    auto after = Segmenter::load(settings_.outModel);
    calibrate(*after);
    const Shape s = shapeOf(data_);
    if (settings_.predictStack) {
        // The shown slice first (what the user waits for), then the whole stack.
        emit(RoundProgress::Phase::Predicting, 0, static_cast<double>(s.depth) + 1);
        scoreSlices(*after, data_, {std::clamp<std::int64_t>(settings_.firstSlice, 0, s.depth - 1)}, options, &cancel);
        report.firstSliceSeconds = since(p0);
        auto read = [&](std::int64_t z, float* dst) { readSlice(data_, z, dst); };
        FunctionProgress progress([&](double done, double total, const std::string&) {
            emit(RoundProgress::Phase::Predicting, done + 1, total + 1);
        });
        report.prediction = after->predictStack(s, read, options, &progress, &cancel);
        if (!data_.scoreSlices.empty()) {
            const VolumeU8& truth = data_.truth ? *data_.truth : *data_.labels;
            Overlap overlap(after->info().classes);
            for (std::int64_t z : data_.scoreSlices)
                overlap.add(report.prediction.labels.slice(z), truth.slice(z), s.sliceVoxels(), after->info().classes == 2);
            report.iouAfter = overlap.iou();
        }
    } else if (!data_.scoreSlices.empty()) {
        emit(RoundProgress::Phase::ScoringAfter, 0, 1);
        report.iouAfter = scoreSlices(*after, data_, data_.scoreSlices, options, &cancel);
    }
    report.predictSeconds = since(p0);
    return report;
}

}  // namespace mitoseg
