#include "core/engine/Segmenter.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>

#include "core/base/Error.h"
#include "core/engine/TiledPredictor.h"
#include "core/engine/TorchModel.h"
#include "core/metrics/Components.h"

namespace mitoseg {

namespace {

constexpr const char* kDefaultModel = "mito-fast.msm";

class TorchSegmenter final : public Segmenter {
public:
    explicit TorchSegmenter(LoadedModel model) : model_(std::move(model)) { model_.spec.info.contextSlices = model_.spec.arch.context(); }

    const ModelInfo& info() const override { return model_.spec.info; }

    SlicePrediction predictSlice(const float* raw, std::int64_t height, std::int64_t width,
                                 const PredictOptions& options, const CancelToken* cancel) override
    {
        applyThreads(options);
        torch::Tensor slice = torch::from_blob(const_cast<float*>(raw), {1, height, width}).clone();
        torch::Tensor input = normalise(slice.repeat({model_.spec.arch.inChannels, 1, 1}));
        return toSlice(predictor(options).predict(input, options, cancel));
    }

    SlicePrediction predictSliceWithContext(const std::vector<const float*>& slices, std::int64_t height, std::int64_t width,
                                            const PredictOptions& options, const CancelToken* cancel) override
    {
        const int channels = model_.spec.arch.inChannels;
        if (static_cast<int>(slices.size()) != channels)
            throw Error("the model reads " + std::to_string(channels) + " slices per prediction, got " + std::to_string(slices.size()));
        applyThreads(options);
        torch::Tensor input = torch::empty({channels, height, width});
        for (int c = 0; c < channels; ++c)
            input[c] = torch::from_blob(const_cast<float*>(slices[static_cast<std::size_t>(c)]), {height, width});
        return toSlice(predictor(options).predict(normalise(input), options, cancel));
    }

    StackPrediction predictStack(const Shape& shape, const SliceReader& read, const PredictOptions& options,
                                 ProgressSink* progress, const CancelToken* cancel, const SliceCallback& onSlice) override
    {
        applyThreads(options);
        const std::int64_t H = shape.height, W = shape.width, D = shape.depth;
        const int ctx = model_.spec.arch.context();
        StackPrediction out;
        out.probability = VolumeF32(shape);
        out.labels = VolumeU8(shape);
        // Ring of raw slices z-ctx .. z+ctx (clamped at the stack's ends).
        std::map<std::int64_t, torch::Tensor> cache;
        auto rawSlice = [&](std::int64_t z) {
            z = std::clamp<std::int64_t>(z, 0, D - 1);
            auto it = cache.find(z);
            if (it != cache.end())
                return it->second;
            torch::Tensor t = torch::empty({H, W});
            read(z, t.data_ptr<float>());
            cache[z] = t;
            return t;
        };
        TiledPredictor pred = predictor(options);
        for (std::int64_t z = 0; z < D; ++z) {
            if (cancel)
                cancel->check();
            std::vector<torch::Tensor> chans;
            for (int c = -ctx; c <= ctx; ++c)
                chans.push_back(rawSlice(z + c));
            for (auto it = cache.begin(); it != cache.end();)
                it = it->first < z - ctx ? cache.erase(it) : std::next(it);
            SlicePrediction sp = toSlice(pred.predict(normalise(torch::stack(chans)), options, cancel));
            float* prob = out.probability.slice(z);
            std::uint8_t* lab = out.labels.slice(z);
            const std::int64_t n = H * W;
            for (std::int64_t i = 0; i < n; ++i) {
                lab[i] = sp.labels[static_cast<std::size_t>(i)];
                prob[i] = sp.classes == 2 ? sp.probability(1, i) : sp.probability(lab[i], i);
            }
            if (onSlice)
                onSlice(z, sp);
            if (progress)
                progress->progress(static_cast<double>(z + 1), static_cast<double>(D), "predicting slice " + std::to_string(z + 1));
        }
        if (model_.spec.arch.classes == 2) {
            const ModelInfo& mi = model_.spec.info;
            postProcessBinary(out, options.zSmooth >= 0 ? options.zSmooth : mi.zSmooth,
                              options.threshold > 0 ? options.threshold : mi.threshold,
                              options.minObjectVoxels >= 0 ? options.minObjectVoxels : mi.minObjectVoxels);
        }
        return out;
    }

private:
    static void applyThreads(const PredictOptions& options)
    {
        int n = options.threads > 0 ? options.threads : static_cast<int>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
        if (torch::get_num_threads() != n)
            torch::set_num_threads(n);
    }
    TiledPredictor predictor(const PredictOptions& options)
    {
        if (options.channelsLast != channelsLast_) {
            setChannelsLast(*model_.net, options.channelsLast);
            channelsLast_ = options.channelsLast;
        }
        return TiledPredictor(model_.net, options.bf16, options.channelsLast);
    }
    torch::Tensor normalise(const torch::Tensor& raw) const
    {
        return (raw - static_cast<float>(model_.spec.norm.mean)) / static_cast<float>(model_.spec.norm.std);
    }
    SlicePrediction toSlice(const torch::Tensor& probs) const
    {
        SlicePrediction sp;
        sp.height = probs.size(1);
        sp.width = probs.size(2);
        sp.classes = model_.spec.arch.classes;
        torch::Tensor full = probs.size(0) == 1 ? torch::cat({1.0 - probs, probs}, 0) : probs;
        full = full.contiguous();
        sp.probabilities.assign(full.data_ptr<float>(), full.data_ptr<float>() + full.numel());
        torch::Tensor lab = TiledPredictor::labels(probs, model_.spec.info.threshold).contiguous();
        sp.labels.assign(lab.data_ptr<std::uint8_t>(), lab.data_ptr<std::uint8_t>() + lab.numel());
        return sp;
    }

    LoadedModel model_;
    bool channelsLast_ = false;
};

}  // namespace

VolumeF32 averageAlongZ(const VolumeF32& p, int radius)
{
    if (radius <= 0)
        return p;
    const Shape s = p.shape();
    const std::int64_t n = s.sliceVoxels();
    VolumeF32 out(s);
    out.spacing = p.spacing;
    for (std::int64_t z = 0; z < s.depth; ++z) {
        float* dst = out.slice(z);
        std::int64_t z0 = std::max<std::int64_t>(0, z - radius), z1 = std::min<std::int64_t>(s.depth - 1, z + radius);
        for (std::int64_t k = z0; k <= z1; ++k) {
            const float* src = p.slice(k);
            for (std::int64_t i = 0; i < n; ++i)
                dst[i] += src[i];
        }
        const float inv = 1.0f / static_cast<float>(z1 - z0 + 1);
        for (std::int64_t i = 0; i < n; ++i)
            dst[i] *= inv;
    }
    return out;
}

void smoothAlongZ(StackPrediction& p, int radius, float threshold)
{
    if (radius > 0)
        p.probability = averageAlongZ(p.probability, radius);
    auto& lab = p.labels.values();
    const auto& prob = p.probability.values();
    for (std::size_t i = 0; i < lab.size(); ++i)
        lab[i] = prob[i] > threshold ? 1 : 0;
}

void postProcessBinary(StackPrediction& p, int radius, float threshold, std::int64_t minObjectVoxels)
{
    smoothAlongZ(p, radius, threshold);
    removeSmallComponents(p.labels, minObjectVoxels);
}

namespace {

std::filesystem::path exeDir()
{
    std::error_code ec;
    auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    return ec ? std::filesystem::path{} : exe.parent_path();
}

}  // namespace

std::unique_ptr<Segmenter> Segmenter::load(const std::filesystem::path& path)
{
    return std::make_unique<TorchSegmenter>(loadModel(path));
}

std::filesystem::path Segmenter::defaultModelPath()
{
    if (const char* env = std::getenv("MITOSEG_MODEL"); env && *env)
        return env;
    std::filesystem::path dir = exeDir();
    if (dir.empty())
        return {};
    // Build tree: <build>/app/mitoseg or <build>/tests/core/core_tests -> <source>/resources/models
    // (the build folder lives inside the source tree); installed: <prefix>/bin -> share/mitoseg/models.
    std::vector<std::filesystem::path> candidates = {
        dir / "../share/mitoseg/models" / kDefaultModel,
        dir / "../../resources/models" / kDefaultModel,
        dir / "../../../resources/models" / kDefaultModel,
        dir / "resources/models" / kDefaultModel,
    };
    for (const auto& c : candidates) {
        std::error_code ec;
        if (std::filesystem::is_regular_file(c, ec))
            return std::filesystem::weakly_canonical(c, ec);
    }
    return {};
}

}  // namespace mitoseg
