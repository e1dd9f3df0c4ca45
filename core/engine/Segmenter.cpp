#include "core/engine/Segmenter.h"
#include "core/engine/PredictMemory.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>

#include "core/base/AtomicFile.h"
#include "core/base/Error.h"
#include "core/dist/ProcessGroup.h"
#include "core/engine/PostProcessPlan.h"
#include "core/engine/StreamingPostProcess.h"
#include "core/engine/TiledPredictor.h"
#include "core/engine/TorchModel.h"
#include "core/metrics/Components.h"

namespace mitoseg {

namespace {

constexpr const char* kDefaultModel = "mito-fast.msm";

/// A few threads that predict whole slices for predictStack (persistent for one stack, so the
/// torch thread setting and malloc arenas are made once, not per slice). Joins on destruction.
class SlicePool {
public:
    explicit SlicePool(int threads)
    {
        for (int i = 0; i < threads; ++i)
            threads_.emplace_back([this] { loop(); });
    }
    ~SlicePool()
    {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stop_ = true;
        }
        wake_.notify_all();
        for (auto& t : threads_)
            t.join();
    }
    SlicePool(const SlicePool&) = delete;
    SlicePool& operator=(const SlicePool&) = delete;

    std::future<torch::Tensor> submit(std::function<torch::Tensor()> job)
    {
        std::packaged_task<torch::Tensor()> task(std::move(job));
        auto future = task.get_future();
        {
            std::lock_guard<std::mutex> lock(mutex_);
            jobs_.push_back(std::move(task));
        }
        wake_.notify_one();
        return future;
    }

private:
    void loop()
    {
        for (;;) {
            std::packaged_task<torch::Tensor()> task;
            {
                std::unique_lock<std::mutex> lock(mutex_);
                wake_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
                if (jobs_.empty())
                    return;
                task = std::move(jobs_.front());
                jobs_.pop_front();
            }
            task();
        }
    }
    std::vector<std::thread> threads_;
    std::deque<std::packaged_task<torch::Tensor()>> jobs_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stop_ = false;
};

class TorchSegmenter final : public Segmenter {
public:
    explicit TorchSegmenter(LoadedModel model) : model_(std::move(model))
    {
        model_.spec.info.contextSlices = model_.spec.arch.context();
        model_.spec.info.baseWidth = model_.spec.arch.base;
    }

    const ModelInfo& info() const override { return model_.spec.info; }

    void setInt8Calibration(const Int8Calibration& c) override
    {
        if (c.empty() || c.samples * c.channels * c.height * c.width != static_cast<std::int64_t>(c.raw.size()))
            throw Error("int8 calibration: no samples, or their size does not match their shape");
        if (c.channels != model_.spec.arch.inChannels)
            throw Error("int8 calibration: the samples have " + std::to_string(c.channels) + " slices each, the model reads " +
                        std::to_string(model_.spec.arch.inChannels));
        useCalibration(c);
        calibrationFromCaller_ = true;
    }

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

    void predictSlices(const Shape& shape, const SliceReader& read, const PredictOptions& options, std::int64_t z0, std::int64_t z1,
                       const SliceCallback& onSlice, const CancelToken* cancel) override
    {
        if (z0 < 0 || z1 > shape.depth || z0 > z1)
            throw Error("slices " + std::to_string(z0) + "-" + std::to_string(z1 - 1) + " are not in a stack of " +
                        std::to_string(shape.depth));
        applyThreads(options);
        computeSlices(shape, read, options, z0, z1, cancel, [&](std::int64_t z, const torch::Tensor& p) { onSlice(z, toSlice(p)); });
    }

    void predictStack(const Shape& shape, const SliceReader& read, const PredictOptions& options, PredictionSink& sink,
                      ProgressSink* progress, const CancelToken* cancel, const SliceCallback& onSlice) override
    {
        applyThreads(options);
        auto post = makePostProcessor(shape, options, sink);
        computeSlices(shape, read, options, 0, shape.depth, cancel, [&](std::int64_t z, const torch::Tensor& p) {
            consume(shape, z, p, post.get(), sink, progress, onSlice);
        });
        if (post)
            post->finish();
    }

    void predictStackDistributed(const Shape& shape, const SliceReader& read, const PredictOptions& options, PredictionSink& sink,
                                 ProcessGroup& group, ProgressSink* progress, const CancelToken* cancel) override
    {
        applyThreads(options);
        const std::int64_t D = shape.depth, n = shape.sliceVoxels();
        const int ranks = group.size(), rank = group.rank();
        const bool binary = model_.spec.arch.classes == 2;
        const auto N = static_cast<std::size_t>(n);
        auto chunk = [&](int r) { return std::make_pair(D * r / ranks, D * (r + 1) / ranks); };
        // Rank 0's sink decides for everyone whether probabilities travel.
        double wants = rank == 0 && sink.wantsProbability() ? 1.0 : 0.0;
        group.allreduceMax(&wants, 1);
        const bool withProbability = wants > 0;
        const PostProcessing pp = postSettings(shape, options);
        // What a rank sends per slice: the probability (floats) when wanted, then the labels:
        // binary 0/1 packed 8 voxels a byte, multiclass one byte a voxel.
        const std::size_t labelBytes = binary ? (N + 7) / 8 : N;
        auto pack = [&](const std::uint8_t* labels, std::uint8_t* out) {
            if (!binary) {
                std::copy(labels, labels + N, out);
                return;
            }
            std::fill(out, out + labelBytes, std::uint8_t{0});
            for (std::size_t i = 0; i < N; ++i)
                out[i >> 3] |= static_cast<std::uint8_t>(labels[i] << (i & 7));
        };
        auto unpack = [&](const std::uint8_t* packed, std::uint8_t* labels) {
            if (!binary) {
                std::copy(packed, packed + N, labels);
                return;
            }
            for (std::size_t i = 0; i < N; ++i)
                labels[i] = (packed[i >> 3] >> (i & 7)) & 1;
        };
        // Predicts slices [z0, z1) and hands each one's (probability, labels) to `out` in z
        // order: binary models smoothed (from the halo around the range) and thresholded.
        std::vector<float> prob(N);
        std::vector<std::uint8_t> labels(N);
        auto predictRange = [&](std::int64_t z0, std::int64_t z1, const std::function<void(std::int64_t, const float*, const std::uint8_t*)>& out) {
            if (binary) {
                ZSmoother smoother(D, n, pp.zSmooth, z0, z1, [&](std::int64_t z, const float* smoothed) {
                    thresholdSlice(smoothed, N, pp.threshold, labels.data());
                    out(z, smoothed, labels.data());
                });
                computeSlices(shape, read, options, smoother.firstInput(), smoother.endInput(), cancel,
                              [&](std::int64_t, const torch::Tensor& p) {
                                  torch::Tensor c = p.contiguous();
                                  smoother.push(c.data_ptr<float>());
                              });
                smoother.finish();
                return;
            }
            computeSlices(shape, read, options, z0, z1, cancel, [&](std::int64_t z, const torch::Tensor& p) {
                auto [bestValues, bestIndices] = p.max(0);
                torch::Tensor lab = bestIndices.to(torch::kUInt8).contiguous();
                torch::Tensor best = bestValues.contiguous();
                out(z, best.data_ptr<float>(), lab.data_ptr<std::uint8_t>());
            });
        };
        if (rank == 0) {
            // Rank 0 predicts the first chunk, then takes the others' slices in z order: the
            // object removal and the sink see exactly the stream a single process makes.
            std::unique_ptr<StreamingPostProcessor> post;
            if (binary)
                post = std::make_unique<StreamingPostProcessor>(
                    shape, pp, nullptr, [&sink](std::int64_t z, const std::uint8_t* l) { sink.labels(z, l); });
            auto take = [&](std::int64_t z, const float* p, const std::uint8_t* l) {
                sink.probability(z, p);
                if (post)
                    post->pushThresholded(l);
                else
                    sink.labels(z, l);
                if (progress)
                    progress->progress(static_cast<double>(z + 1), static_cast<double>(D), "predicting slice " + std::to_string(z + 1));
            };
            auto [a0, b0] = chunk(0);
            predictRange(a0, b0, take);
            std::vector<std::uint8_t> packed(labelBytes);
            for (int r = 1; r < ranks; ++r) {
                auto [a, b] = chunk(r);
                for (std::int64_t z = a; z < b; ++z) {
                    if (cancel)
                        cancel->check();
                    if (withProbability)
                        group.recv(prob.data(), N, r, static_cast<int>(2 * z));
                    group.recv(packed.data(), labelBytes, r, static_cast<int>(2 * z + 1));
                    std::vector<std::uint8_t>& l = labels;
                    unpack(packed.data(), l.data());
                    take(z, prob.data(), l.data());
                }
            }
            if (post)
                post->finish();
            return;
        }
        // Other ranks: predict and post-process the chunk, keep its slices in an anonymous
        // temporary file (rank 0 is busy with its own chunk meanwhile), then send them in order.
        auto [z0, z1] = chunk(rank);
        std::unique_ptr<std::FILE, int (*)(std::FILE*)> spill(openScratchFile(), &std::fclose);
        if (!spill)
            throw Error("rank " + std::to_string(rank) + ": cannot create a temporary file for its predictions");
        std::vector<std::uint8_t> packed(labelBytes);
        auto spillFailed = [&](std::int64_t z) {
            return Error("rank " + std::to_string(rank) + ": cannot write its predictions of slice " + std::to_string(z) +
                         " to a temporary file (disk full?)");
        };
        predictRange(z0, z1, [&](std::int64_t z, const float* p, const std::uint8_t* l) {
            if (withProbability && std::fwrite(p, sizeof(float), N, spill.get()) != N)
                throw spillFailed(z);
            pack(l, packed.data());
            if (std::fwrite(packed.data(), 1, labelBytes, spill.get()) != labelBytes)
                throw spillFailed(z);
            if (progress)
                progress->progress(static_cast<double>(z - z0 + 1), static_cast<double>(z1 - z0), "predicting slice " + std::to_string(z + 1));
        });
        std::rewind(spill.get());
        for (std::int64_t z = z0; z < z1; ++z) {
            if ((withProbability && std::fread(prob.data(), sizeof(float), N, spill.get()) != N) ||
                std::fread(packed.data(), 1, labelBytes, spill.get()) != labelBytes)
                throw Error("rank " + std::to_string(rank) + ": cannot read back its predictions of slice " + std::to_string(z));
            if (withProbability)
                group.send(prob.data(), N, 0, static_cast<int>(2 * z));
            group.send(packed.data(), labelBytes, 0, static_cast<int>(2 * z + 1));
        }
    }

private:
    /// The streaming post-processing of binary models (null for multiclass).
    std::unique_ptr<StreamingPostProcessor> makePostProcessor(const Shape& shape, const PredictOptions& options, PredictionSink& sink) const
    {
        if (model_.spec.arch.classes != 2)
            return nullptr;
        return std::make_unique<StreamingPostProcessor>(
            shape, postSettings(shape, options), [&sink](std::int64_t z, const float* p) { sink.probability(z, p); },
            [&sink](std::int64_t z, const std::uint8_t* l) { sink.labels(z, l); });
    }

    /// The post-processing of binary stack predictions: the options' settings, else the model's,
    /// adapted to the stack (planPostProcessing).
    PostProcessing postSettings(const Shape& shape, const PredictOptions& options) const
    {
        const ModelInfo& mi = model_.spec.info;
        PostProcessing pp;
        pp.zSmooth = options.zSmooth >= 0 ? options.zSmooth : mi.zSmooth;
        pp.threshold = options.threshold > 0 ? options.threshold : mi.threshold;
        pp.minObjectVoxels = options.minObjectVoxels >= 0 ? options.minObjectVoxels : mi.minObjectVoxels;
        return planPostProcessing(pp, shape).effective;
    }

    /// Hands the network output `p` (outputs, H, W) of slice z on: to the post-processor
    /// (binary) or straight to the sink (multiclass), then to onSlice and the progress.
    void consume(const Shape& shape, std::int64_t z, const torch::Tensor& p, StreamingPostProcessor* post, PredictionSink& sink,
                 ProgressSink* progress, const SliceCallback& onSlice) const
    {
        if (post) {
            torch::Tensor c = p.contiguous();
            post->push(c.data_ptr<float>());
        } else {
            // One pass gives both the arg-max labels and the chosen class's probability.
            auto [bestValues, bestIndices] = p.max(0);
            torch::Tensor lab = bestIndices.to(torch::kUInt8).contiguous();
            torch::Tensor best = bestValues.contiguous();
            sink.probability(z, best.data_ptr<float>());
            sink.labels(z, lab.data_ptr<std::uint8_t>());
        }
        if (onSlice)
            onSlice(z, toSlice(p));
        if (progress)
            progress->progress(static_cast<double>(z + 1), static_cast<double>(shape.depth), "predicting slice " + std::to_string(z + 1));
    }

    /// Runs the network on slices z0 .. z1-1 of the stack (reading the 2.5D context around
    /// them, clamped at the stack's ends) and calls `out(z, outputs)` in z order on this thread.
    /// The work per slice (workers, torch threads) depends on the options and the stack's
    /// depth only, never on the range, so a slice's output is the same whichever range holds it.
    void computeSlices(const Shape& shape, const SliceReader& read, const PredictOptions& options, std::int64_t z0, std::int64_t z1,
                       const CancelToken* cancel, const std::function<void(std::int64_t, const torch::Tensor&)>& out)
    {
        const std::int64_t H = shape.height, W = shape.width, D = shape.depth;
        const int ctx = model_.spec.arch.context();
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
        if (usesInt8(options) && !calibrationFromCaller_)
            useCalibration(int8CalibrationOf(shape, ctx, read));   // this stack's, whatever was predicted before
        TiledPredictor& pred = predictor(options);
        // Whole slices in flight on `workers` threads of one torch thread each (two slices on two
        // cores beat one slice on two: the memory-bound layers do not scale with threads).
        const int threads = resolvedThreads(options);
        // Default: one more worker than cores, so the main thread's reading, post-processing and
        // writing overlap with two slices computing (measured: 26 s for the EPFL stack, 28-30 s
        // with two workers, 27 s with four).
        const int workers = sliceWorkers(options, D);
        const bool parallel = workers > 1;
        if (parallel)
            torch::set_num_threads(1);
        auto predictOne = [&pred, &options, cancel, parallel](torch::Tensor input) {
            if (parallel)
                torch::set_num_threads(1);
            return pred.predict(input, options, cancel);   // (outputs, H, W)
        };
        std::deque<std::future<torch::Tensor>> inFlight;
        SlicePool pool(parallel ? workers : 0);
        auto finishOne = [&](std::int64_t z) {
            torch::Tensor p = inFlight.front().get();
            inFlight.pop_front();
            out(z, p);
        };
        try {
            std::int64_t done = z0;
            for (std::int64_t z = z0; z < z1; ++z) {
                if (cancel)
                    cancel->check();
                std::vector<torch::Tensor> chans;
                for (int c = -ctx; c <= ctx; ++c)
                    chans.push_back(rawSlice(z + c));
                for (auto it = cache.begin(); it != cache.end();)
                    it = it->first < z + 1 - ctx ? cache.erase(it) : std::next(it);
                torch::Tensor input = normalise(torch::stack(chans));
                if (!parallel) {
                    inFlight.push_back(std::async(std::launch::deferred, predictOne, input));
                } else {
                    inFlight.push_back(pool.submit([predictOne, input] { return predictOne(input); }));
                    if (static_cast<int>(inFlight.size()) < workers)
                        continue;
                }
                finishOne(done++);
            }
            while (!inFlight.empty())
                finishOne(done++);
        } catch (...) {
            for (auto& f : inFlight)
                if (f.valid())
                    f.wait();
            if (parallel)
                torch::set_num_threads(threads);
            throw;
        }
        if (parallel)
            torch::set_num_threads(threads);
    }

    /// Keeps `c` (normalised) for every int8 predictor made from now on.
    void useCalibration(const Int8Calibration& c)
    {
        calibration_ = normalise(torch::from_blob(const_cast<float*>(c.raw.data()), {c.samples, c.channels, c.height, c.width}));
        predictor_.reset();
    }

    /// int8 applies to the fast float path only: bfloat16 and the reference path keep theirs.
    static bool usesInt8(const PredictOptions& options) { return options.int8 && !options.bf16 && !options.referencePath; }

    static int resolvedThreads(const PredictOptions& options)
    {
        return options.threads > 0 ? options.threads : static_cast<int>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
    }
    static void applyThreads(const PredictOptions& options)
    {
        const int n = resolvedThreads(options);
        if (torch::get_num_threads() != n)
            torch::set_num_threads(n);
    }
    /// The predictor for `options`' compute settings, made once and kept while they hold.
    TiledPredictor& predictor(const PredictOptions& options)
    {
        const bool int8 = usesInt8(options);
        const int calibrationTile = int8 ? std::min(options.tile, 512) : 0;   // 512^2 middles: ~1.5 s on one thread
        const std::array<int, 5> key{options.bf16, options.channelsLast, options.referencePath, int8, calibrationTile};
        if (!predictor_ || key != predictorKey_) {
            predictor_ = std::make_unique<TiledPredictor>(model_.net, options.bf16, options.channelsLast, options.referencePath, int8);
            predictorKey_ = key;
            if (int8 && calibration_.defined())
                predictor_->calibrate(calibration_, calibrationTile);
        }
        return *predictor_;
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
    std::unique_ptr<TiledPredictor> predictor_;
    std::array<int, 5> predictorKey_{};
    torch::Tensor calibration_;            ///< int8 samples, normalised (B, C, h, w); undefined = none yet
    bool calibrationFromCaller_ = false;   ///< set by setInt8Calibration: predictStack keeps it
};

}  // namespace

Int8Calibration int8CalibrationOf(const Shape& shape, int contextSlices, const SliceReader& read)
{
    const std::int64_t D = shape.depth, H = shape.height, W = shape.width, k = std::min<std::int64_t>(3, D);
    Int8Calibration c;
    c.samples = k;
    c.channels = 2 * contextSlices + 1;
    c.height = std::min<std::int64_t>(512, H);
    c.width = std::min<std::int64_t>(512, W);
    const std::int64_t y0 = (H - c.height) / 2, x0 = (W - c.width) / 2;
    c.raw.resize(static_cast<std::size_t>(c.samples * c.channels * c.height * c.width));
    std::vector<float> slice(static_cast<std::size_t>(H * W));
    float* dst = c.raw.data();
    for (std::int64_t i = 0; i < k; ++i) {
        const std::int64_t z = (2 * i + 1) * D / (2 * k);
        for (int n = -contextSlices; n <= contextSlices; ++n) {
            read(std::clamp<std::int64_t>(z + n, 0, D - 1), slice.data());
            for (std::int64_t y = 0; y < c.height; ++y, dst += c.width)
                std::copy_n(slice.data() + (y0 + y) * W + x0, c.width, dst);
        }
    }
    return c;
}

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

StackPrediction Segmenter::predictStack(const Shape& shape, const SliceReader& read, const PredictOptions& options,
                                        ProgressSink* progress, const CancelToken* cancel, const SliceCallback& onSlice)
{
    struct Collect final : PredictionSink {
        StackPrediction out;
        std::int64_t n = 0;
        void probability(std::int64_t z, const float* v) override { std::copy(v, v + n, out.probability.slice(z)); }
        void labels(std::int64_t z, const std::uint8_t* v) override { std::copy(v, v + n, out.labels.slice(z)); }
    } collect;
    collect.out.probability = VolumeF32(shape);
    collect.out.labels = VolumeU8(shape);
    collect.n = shape.sliceVoxels();
    predictStack(shape, read, options, collect, progress, cancel, onSlice);
    return std::move(collect.out);
}

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
