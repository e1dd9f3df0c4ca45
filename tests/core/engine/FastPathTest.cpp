// The engine's fast inference path against the reference path (the network as trained), the
// streamed post-processing against the in-memory one, and streamed file-to-file prediction.
// Includes LibTorch through the engine's internal headers.
#include <gtest/gtest.h>

#include <ATen/core/dispatch/Dispatcher.h>

#include <random>

#include "../base/TestSupport.h"
#include "core/engine/ComputePrecision.h"
#include "core/engine/InferenceNet.h"
#include "core/engine/QuantizedOps.h"
#include "core/engine/PredictFile.h"
#include "core/engine/Segmenter.h"
#include "core/engine/StreamingPostProcess.h"
#include "core/engine/TorchModel.h"
#include "core/io/TiffSliceWriter.h"
#include "core/io/TiffStack.h"
#include "core/io/TiffWriter.h"
#include "core/metrics/Components.h"

using namespace mitoseg;
using mitoseg::test::ScratchDir;

namespace {

/// A net of `preset` with random weights and BatchNorm statistics moved off their defaults.
UNet randomNet(const std::string& preset, int inChannels = 1, Upsampling up = Upsampling::Transposed)
{
    torch::manual_seed(11);
    UNetConfig c = UNetConfig::fromPreset(preset);
    c.inChannels = inChannels;
    c.upsampling = up;
    UNet net(c);
    net->train();
    for (int i = 0; i < 3; ++i)
        net->forward(torch::randn({2, inChannels, 32, 32}) * 2 + 0.5);
    net->eval();
    return net;
}

/// A binary 2.5D model file (one neighbour a side) with randomNet's weights and the given
/// post-processing.
void saveTinyContextModel(const std::filesystem::path& path, int zSmooth, std::int64_t minObjectVoxels)
{
    ModelSpec spec;
    spec.arch = UNetConfig::fromPreset("tiny");
    spec.arch.inChannels = 3;
    spec.norm = {100.0, 30.0};
    spec.info.classNames = {"background", "mitochondria"};
    spec.info.zSmooth = zSmooth;
    spec.info.minObjectVoxels = minObjectVoxels;
    UNet net = randomNet("tiny", 3);
    saveModel(path, spec, net);
}

torch::Tensor referenceLogits(UNet& net, const torch::Tensor& x)
{
    torch::InferenceMode guard;
    net->referencePath = true;
    torch::Tensor y = net->forward(x);
    net->referencePath = false;
    return y;
}

}  // namespace

TEST(FastPath, PixelShuffleEqualsTheTransposedConvolution)
{
    UNet net = randomNet("tiny", 3);
    torch::InferenceMode guard;
    torch::Tensor x = torch::randn({2, 3, 48, 64});
    torch::Tensor fast = net->forward(x), ref = referenceLogits(net, x);
    ASSERT_EQ(fast.sizes(), ref.sizes());
    EXPECT_LT((fast - ref).abs().max().item<float>(), 1e-4f);
    // And for one layer on its own, with gradients (training uses this path).
    torch::nn::ConvTranspose2d up(torch::nn::ConvTranspose2dOptions(6, 4, 2).stride(2));
    torch::Tensor in = torch::randn({1, 6, 5, 7});
    torch::Tensor a = up->forward(in), b = transposedAsPixelShuffle(*up, in);
    EXPECT_LT((a - b).abs().max().item<float>(), 1e-5f);
}

TEST(FastPath, GradientsMatchTheTransposedConvolution)
{
    UNet net = randomNet("tiny");
    net->train();
    torch::Tensor x = torch::randn({2, 1, 32, 32});
    auto gradOf = [&](bool reference) {
        net->zero_grad();
        net->referencePath = reference;
        net->forward(x).sum().backward();
        net->referencePath = false;
        std::vector<torch::Tensor> g;
        for (const auto& p : net->parameters())
            g.push_back(p.grad().clone());
        return g;
    };
    auto a = gradOf(false), b = gradOf(true);
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i)
        EXPECT_LT((a[i] - b[i]).abs().max().item<float>(), 1e-3f * (1 + b[i].abs().max().item<float>())) << i;
}

TEST(FastPath, InferenceNetMatchesTheReferenceInFloat32AndCloselyInBfloat16)
{
    for (Upsampling up : {Upsampling::Transposed, Upsampling::Resize}) {
        UNet net = randomNet("tiny", 5, up);
        torch::InferenceMode guard;
        torch::Tensor x = torch::randn({2, 5, 64, 96});
        torch::Tensor ref = torch::sigmoid(referenceLogits(net, x));
        for (bool prepack : {false, true}) {
            InferenceSettings s;
            s.bf16 = false;
            s.prepack = prepack;
            InferenceNet f32(net, s);
            torch::Tensor p = torch::sigmoid(f32.forward(x));
            EXPECT_LT((p - ref).abs().max().item<float>(), 1e-4f) << "fp32, prepack " << prepack;
            s.bf16 = true;
            InferenceNet bf16(net, s);
            torch::Tensor q = torch::sigmoid(bf16.forward(x));
            EXPECT_EQ(q.scalar_type(), torch::kFloat);
            EXPECT_LT((q - ref).abs().mean().item<float>(), 0.01f) << "bf16, prepack " << prepack;
            EXPECT_LT((q - ref).abs().max().item<float>(), 0.1f) << "bf16, prepack " << prepack;
        }
        // BN kept (unfolded) gives the same function.
        InferenceSettings kept;
        kept.bf16 = false;
        kept.foldBatchNorm = false;
        EXPECT_LT((torch::sigmoid(InferenceNet(net, kept).forward(x)) - ref).abs().max().item<float>(), 1e-4f);
        // A second input size through the same net (prepacked contexts are per size).
        InferenceSettings s;
        s.bf16 = false;
        InferenceNet f32(net, s);
        torch::Tensor small = torch::randn({1, 5, 32, 48});
        EXPECT_LT((torch::sigmoid(f32.forward(small)) - torch::sigmoid(referenceLogits(net, small))).abs().max().item<float>(), 1e-4f);
    }
}

// int8: the head reads the 8-bit activation in place and equals LibTorch's float convolution.
TEST(FastPathInt8, HeadEqualsLibTorchsConvolution)
{
    torch::manual_seed(5);
    torch::InferenceMode guard;
    torch::Tensor f = torch::rand({2, 12, 5, 7}) * 3 - 1;
    torch::Tensor q = torch::quantize_per_tensor(f, 4.0 / 255, 64, torch::kQUInt8).contiguous(torch::MemoryFormat::ChannelsLast);
    torch::Tensor w = torch::randn({3, 12, 1, 1}), b = torch::randn({3});
    torch::Tensor head = headQuantized(q, w, b), ref = torch::conv2d(q.dequantize(), w, b);
    ASSERT_EQ(head.sizes(), ref.sizes());
    EXPECT_LT((head - ref).abs().max().item<float>(), 1e-4f);
}

namespace {

torch::Tensor bytesOf(const torch::Tensor& q)
{
    return q.int_repr().contiguous();
}

torch::Tensor quantizedChannelsLast(const torch::Tensor& bytes, double scale, std::int64_t zeroPoint)
{
    return at::_make_per_tensor_quantized_tensor(bytes.contiguous(torch::MemoryFormat::ChannelsLast), scale, zeroPoint);
}

}  // namespace

// int8: the byte kernels of forwardInt8 give LibTorch's bytes exactly (quantizing the input,
// pooling, pixel shuffle + concatenation with the skip connection requantized).
TEST(FastPathInt8, ByteKernelsEqualLibTorchsOps)
{
    torch::manual_seed(11);
    torch::InferenceMode guard;
    const auto cl = torch::MemoryFormat::ChannelsLast;
    // Input quantization, with exact halves (round to even) and values far outside the range.
    const double scale = 0.05;
    torch::Tensor halves = (torch::arange(-400, 400).to(torch::kFloat) + 0.5f) * static_cast<float>(scale);
    torch::Tensor f = torch::cat({torch::randn({2 * 5 * 12 * 16 - 800}) * 4, halves}).reshape({2, 5, 12, 16});
    torch::Tensor mine = quantizeChannelsLast(f, scale, 70), theirs = torch::quantize_per_tensor(f.contiguous(cl), scale, 70, torch::kQUInt8);
    EXPECT_TRUE(mine.is_contiguous(cl));
    EXPECT_DOUBLE_EQ(mine.q_scale(), scale);
    EXPECT_EQ(mine.q_zero_point(), 70);
    EXPECT_TRUE(torch::equal(bytesOf(mine), bytesOf(theirs)));
    EXPECT_GT(bytesOf(mine).eq(0).sum().item<std::int64_t>(), 0);     // both clamps were exercised
    EXPECT_GT(bytesOf(mine).eq(255).sum().item<std::int64_t>(), 0);

    // 2x2 max pooling.
    torch::Tensor q = quantizedChannelsLast(torch::randint(0, 256, {2, 24, 10, 14}).to(torch::kByte), 0.1, 9);
    torch::Tensor pooled = maxPool2Quantized(q);
    EXPECT_TRUE(pooled.is_contiguous(cl));
    EXPECT_TRUE(torch::equal(bytesOf(pooled), bytesOf(torch::max_pool2d(q, {2, 2}, {2, 2}, {0, 0}, {1, 1}))));
    EXPECT_DOUBLE_EQ(pooled.q_scale(), 0.1);

    // The blocked channel order: weights and the pixel shuffle agree on it.
    const std::int64_t C = 8, Cs = 40, h = 6, w = 9;   // 40 skip channels: LibTorch's vector and scalar loops
    std::vector<std::int64_t> perm;
    for (std::int64_t b = 0; b < 4; ++b)
        for (std::int64_t c = 0; c < C; ++c)
            perm.push_back(4 * c + b);
    const torch::Tensor permT = torch::tensor(perm, torch::kLong);
    torch::Tensor weight = torch::randn({4 * C, 5, 1, 1}), bias = torch::randn({4 * C});
    torch::Tensor bw = weight.clone(), bb = bias.clone();
    blockShuffleOrder(bw, bb);
    EXPECT_TRUE(torch::equal(bw, weight.index_select(0, permT)));
    EXPECT_TRUE(torch::equal(bb, bias.index_select(0, permT)));

    // Join: pixel shuffle of the up-sampling's output + the skip connection, requantized.
    const double catScale = 0.07, skipScale = 0.03;
    const std::int64_t catZp = 20, skipZp = 3;
    torch::Tensor upBytes = torch::randint(0, 256, {2, 4 * C, h, w}).to(torch::kByte);
    torch::Tensor up = quantizedChannelsLast(upBytes, catScale, catZp);
    torch::Tensor skip = quantizedChannelsLast(torch::randint(0, 256, {2, Cs, 2 * h, 2 * w}).to(torch::kByte), skipScale, skipZp);
    static const auto catOp = c10::Dispatcher::singleton().findSchemaOrThrow("quantized::cat", "");
    auto libtorchCat = [&](const torch::Tensor& a) {
        torch::jit::Stack stack{c10::List<torch::Tensor>({a.contiguous(cl), skip}), std::int64_t{1}, catScale, catZp};
        catOp.callBoxed(stack);
        return stack.at(0).toTensor();
    };
    const torch::Tensor table = requantTable(Cs, skipScale, skipZp, catScale, catZp);
    torch::Tensor blocked = quantizedChannelsLast(upBytes.index_select(1, permT), catScale, catZp);
    torch::Tensor joined = joinQuantized(blocked, false, skip, table);
    torch::Tensor expected = libtorchCat(torch::pixel_shuffle(up, 2));
    ASSERT_EQ(joined.sizes(), expected.sizes());
    EXPECT_TRUE(joined.is_contiguous(cl));
    EXPECT_DOUBLE_EQ(joined.q_scale(), catScale);
    EXPECT_TRUE(torch::equal(bytesOf(joined), bytesOf(expected)));
    // Already at full size (resize up-sampling): a plain concatenation.
    torch::Tensor full = quantizedChannelsLast(torch::randint(0, 256, {2, C, 2 * h, 2 * w}).to(torch::kByte), catScale, catZp);
    EXPECT_TRUE(torch::equal(bytesOf(joinQuantized(full, true, skip, table)), bytesOf(libtorchCat(full))));
    // The table is not the identity: the skip's bytes really are requantized.
    EXPECT_FALSE(torch::equal(bytesOf(joined).slice(1, C), bytesOf(skip)));
    EXPECT_THROW(joinQuantized(blocked, true, skip, table), Error);
}

// Whether this CPU runs int8 prediction. Where it does not (AMX-INT8: oneDNN 2.6's AMX int8
// convolution corrupts memory on small feature maps), asking for it is an Error naming why,
// before any convolution runs; the int8 numerics are then not this CPU's to check.
static bool int8Runs()
{
    const std::string why = int8Unavailable();
    if (why.empty())
        return true;
    UNet net = randomNet("tiny", 1);
    InferenceSettings s;
    s.int8 = true;
    try {
        InferenceNet refused(net, s);
        ADD_FAILURE() << "int8 accepted on a CPU where it is refused";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()), why);
    }
    return false;
}

// int8 against float32 on the same folded network: the logits follow within quantisation error,
// calibration happens once (explicitly, or on the first input), and the ranges come from the
// calibration samples (a net calibrated on other data answers differently).
TEST(FastPathInt8, FollowsFloat32WithinQuantisationError)
{
    if (!int8Runs())
        GTEST_SKIP() << int8Unavailable();
    UNet net = randomNet("fast", 5);
    torch::InferenceMode guard;
    torch::manual_seed(3);
    torch::Tensor samples = torch::randn({2, 5, 96, 128});
    torch::Tensor x = torch::randn({1, 5, 96, 128});
    InferenceSettings fs;
    fs.bf16 = false;
    InferenceSettings qs = fs;
    qs.int8 = true;
    InferenceNet fl(net, fs), i8(net, qs);
    EXPECT_FALSE(i8.calibrated());
    i8.calibrate(samples);
    EXPECT_TRUE(i8.calibrated());
    torch::Tensor a = fl.forward(x), b = i8.forward(x);
    ASSERT_EQ(a.sizes(), b.sizes());
    EXPECT_EQ(b.scalar_type(), torch::kFloat);
    const double relErr = ((a - b).abs().mean() / a.abs().mean()).item<double>();
    const double corr = torch::corrcoef(torch::stack({a.flatten(), b.flatten()}))[0][1].item<double>();
    const double signAgree = ((a > 0) == (b > 0)).to(torch::kFloat).mean().item<double>();
    EXPECT_LT(relErr, 0.08) << "corr " << corr << " sign agreement " << signAgree;
    EXPECT_GT(corr, 0.99) << "relative error " << relErr;
    EXPECT_GT(signAgree, 0.95);
    EXPECT_GT((a - b).abs().max().item<float>(), 0.0f);   // it is not running the float path

    // Uncalibrated: the first input calibrates; the same as calibrating on it explicitly.
    InferenceNet lazy(net, qs), explicitNet(net, qs);
    torch::Tensor first = lazy.forward(x);
    EXPECT_TRUE(lazy.calibrated());
    explicitNet.calibrate(x);
    EXPECT_TRUE(torch::equal(first, explicitNet.forward(x)));
    EXPECT_FALSE(torch::equal(first, b));   // calibrated on other samples: other ranges
}

// Without AVX512-VNNI, oneDNN adds pairs of 8-bit products in 16 bits: with every weight
// positive and every activation at the top of its range those sums saturate unless the
// activations keep to 7 bits. The int8 path must still follow float32 there.
TEST(FastPathInt8, NoSaturationWithLargeWeightsAndActivations)
{
    if (!int8Runs())
        GTEST_SKIP() << int8Unavailable();
    UNet net = randomNet("tiny", 5);
    {
        torch::NoGradGuard g;
        for (auto& p : net->named_parameters())
            if (p.key().find("weight") != std::string::npos && p.value().dim() == 4)
                p.value().abs_();
    }
    torch::InferenceMode guard;
    torch::Tensor x = torch::rand({1, 5, 32, 48}) * 0.05 + 1.0;   // near the top of the range everywhere
    InferenceSettings fs;
    fs.bf16 = false;
    InferenceSettings qs = fs;
    qs.int8 = true;
    InferenceNet fl(net, fs), i8(net, qs);
    i8.calibrate(x);
    torch::Tensor a = fl.forward(x), b = i8.forward(x);
    const double relErr = ((a - b).abs().mean() / a.abs().mean()).item<double>();
    EXPECT_LT(relErr, 0.02) << "float mean " << a.mean().item<double>() << " int8 mean " << b.mean().item<double>();
}

TEST(FastPath, StackPredictionWithWorkersEqualsOneSliceAtATime)
{
    ScratchDir dir;
    saveTinyContextModel(dir / "m.msm", 1, 20);
    auto seg = Segmenter::load(dir / "m.msm");
    VolumeU8 stack(Shape{7, 40, 56});
    std::mt19937 rng(4);
    for (auto& v : stack.values())
        v = static_cast<std::uint8_t>(rng() % 200);
    PredictOptions one;
    one.bf16 = false;
    one.int8 = true;
    one.threads = 2;
    one.workers = 1;
    PredictOptions two = one;
    two.workers = 2;
    // int8 (where the CPU runs it): the calibration (on one thread) gives the same scales either way.
    if (int8Runs()) {
        StackPrediction a8 = seg->predictStack(stack, one), b8 = seg->predictStack(stack, two);
        float maxDiff = 0;
        for (std::size_t i = 0; i < a8.probability.values().size(); ++i)
            maxDiff = std::max(maxDiff, std::abs(a8.probability.values()[i] - b8.probability.values()[i]));
        EXPECT_LT(maxDiff, 1e-5f);
        // Slices smaller than the network's granularity (2^depth = 4 here) are padded for the
        // calibration too: no lazy calibration on whichever slice a worker reaches first.
        VolumeU8 small(Shape{9, 3, 6});
        for (auto& v : small.values())
            v = static_cast<std::uint8_t>(rng() % 200);
        StackPrediction s1 = seg->predictStack(small, one), s2 = seg->predictStack(small, two);
        EXPECT_EQ(s1.probability.values(), s2.probability.values());
    }
    one.int8 = two.int8 = false;
    StackPrediction a = seg->predictStack(stack, one), b = seg->predictStack(stack, two);
    float maxDiff = 0;
    for (std::size_t i = 0; i < a.probability.values().size(); ++i)
        maxDiff = std::max(maxDiff, std::abs(a.probability.values()[i] - b.probability.values()[i]));
    EXPECT_LT(maxDiff, 1e-5f);
    // The reference path gives the same probabilities within float rounding.
    PredictOptions ref = one;
    ref.referencePath = true;
    StackPrediction r = seg->predictStack(stack, ref);
    maxDiff = 0;
    for (std::size_t i = 0; i < a.probability.values().size(); ++i)
        maxDiff = std::max(maxDiff, std::abs(a.probability.values()[i] - r.probability.values()[i]));
    EXPECT_LT(maxDiff, 1e-4f);
    // Cancelling with slices in flight throws and leaves the segmenter usable.
    CancelToken cancel;
    int seen = 0;
    EXPECT_THROW(seg->predictStack(stack, two, nullptr, &cancel,
                                   [&](std::int64_t, const SlicePrediction&) {
                                       if (++seen == 2)
                                           cancel.cancel();
                                   }),
                 Cancelled);
    EXPECT_EQ(seg->predictStack(stack, two).labels.values(), b.labels.values());
}

TEST(FastPathInt8, OneCalibrationForTheStackMakesEverySlicePredictionAgree)
{
    if (!int8Runs())
        GTEST_SKIP() << int8Unavailable();
    // The studio segments slice by slice in any order and scores rounds on a few slices held in
    // memory; `mitoseg predict` runs the whole file. With the stack's calibration set, all of
    // them predict a slice the same.
    ScratchDir dir;
    saveTinyContextModel(dir / "m.msm", 0, 0);
    VolumeU8 stack(Shape{9, 40, 56});
    std::mt19937 rng(5);
    for (std::int64_t z = 0; z < stack.depth(); ++z)
        for (std::int64_t i = 0; i < stack.shape().sliceVoxels(); ++i)   // brighter with depth: ranges differ by slice
            stack.slice(z)[i] = static_cast<std::uint8_t>(rng() % (60 + 20 * z));
    auto read = [&](std::int64_t z, float* dst) { std::copy_n(stack.slice(z), stack.shape().sliceVoxels(), dst); };
    PredictOptions o;
    o.bf16 = false;
    o.int8 = true;
    o.threads = 2;
    o.workers = 1;
    o.zSmooth = 0;
    o.minObjectVoxels = 0;
    std::vector<std::vector<float>> whole(9);
    auto seg = Segmenter::load(dir / "m.msm");
    seg->predictStack(stack, o, nullptr, nullptr, [&](std::int64_t z, const SlicePrediction& p) { whole[static_cast<std::size_t>(z)] = p.probabilities; });

    const Int8Calibration c = int8CalibrationOf(stack.shape(), 1, read);
    EXPECT_EQ(c.samples, 3);
    EXPECT_EQ(c.channels, 3);
    EXPECT_EQ(c.raw.size(), static_cast<std::size_t>(3 * 3 * 40 * 56));
    EXPECT_EQ(c.raw[0], static_cast<float>(stack.slice(0)[0]));   // sample 0 is slice 1 with slices 0 and 2
    EXPECT_EQ(c.raw[static_cast<std::size_t>(3 * 40 * 56)], static_cast<float>(stack.slice(3)[0]));   // sample 1: slice 4
    auto maxDiff = [](const std::vector<float>& a, const std::vector<float>& b) {
        float d = 0;
        for (std::size_t i = 0; i < a.size(); ++i)
            d = std::max(d, std::abs(a[i] - b[i]));
        return d;
    };
    auto sliceAlone = [&](Segmenter& m, std::int64_t z) {
        std::vector<const float*> ptrs;
        std::vector<std::vector<float>> raw;
        for (int k = -1; k <= 1; ++k) {
            raw.emplace_back(static_cast<std::size_t>(stack.shape().sliceVoxels()));
            read(std::clamp<std::int64_t>(z + k, 0, 8), raw.back().data());
        }
        for (const auto& r : raw)
            ptrs.push_back(r.data());
        return m.predictSliceWithContext(ptrs, 40, 56, o).probabilities;
    };
    // Without it, a slice alone calibrates on itself: the darkest slice differs from the stack's
    // by far more than the agreement below.
    auto lazy = Segmenter::load(dir / "m.msm");
    EXPECT_GT(maxDiff(sliceAlone(*lazy, 0), whole[0]), 1e-4f);
    // With it, any slice in any order equals the stack's.
    auto studio = Segmenter::load(dir / "m.msm");
    studio->setInt8Calibration(c);
    for (std::int64_t z : {8, 0, 4})
        EXPECT_LT(maxDiff(sliceAlone(*studio, z), whole[static_cast<std::size_t>(z)]), 1e-5f) << "slice " << z;
    // A stack of a few of its slices (a round's subset) predicts them as the whole stack does.
    VolumeU8 part(Shape{3, 40, 56});
    for (std::int64_t z = 0; z < 3; ++z)
        std::copy_n(stack.slice(5 + z), stack.shape().sliceVoxels(), part.slice(z));
    std::vector<float> middle;
    studio->predictStack(part, o, nullptr, nullptr, [&](std::int64_t z, const SlicePrediction& p) {
        if (z == 1)
            middle = p.probabilities;
    });
    EXPECT_LT(maxDiff(middle, whole[6]), 1e-5f);
    // Samples that do not fit the model are refused.
    Int8Calibration wrong = c;
    wrong.channels = 1;
    wrong.samples = 9;
    EXPECT_THROW(studio->setInt8Calibration(wrong), Error);
    EXPECT_THROW(studio->setInt8Calibration(Int8Calibration{}), Error);
}

TEST(StreamingPostProcess, EqualsTheWholeVolumePostProcessing)
{
    std::mt19937 rng(7);
    for (std::int64_t depth : {1, 2, 3, 9}) {
        for (int radius : {0, 1, 2}) {
            for (std::int64_t minObject : {0, 1, 6, 40}) {
                // Smooth random blobs: a coarse random field, bilinearly upsampled.
                Shape s{depth, 23, 31};
                StackPrediction p;
                p.probability = VolumeF32(s);
                p.labels = VolumeU8(s);
                for (std::int64_t z = 0; z < depth; ++z)
                    for (std::int64_t y = 0; y < s.height; ++y)
                        for (std::int64_t x = 0; x < s.width; ++x) {
                            double v = std::sin(0.5 * x + 0.3 * z + rng() % 3) * std::cos(0.45 * y - 0.2 * z);
                            p.probability.slice(z)[y * s.width + x] = static_cast<float>(0.5 + 0.5 * v);
                        }
                StackPrediction whole = p;
                postProcessBinary(whole, radius, 0.55f, minObject);
                VolumeF32 prob(s);
                VolumeU8 labels(s);
                std::int64_t probCalls = 0, labelCalls = 0;
                PostProcessing pp{radius, 0.55f, minObject};
                StreamingPostProcessor post(
                    s, pp,
                    [&](std::int64_t z, const float* v) {
                        EXPECT_EQ(z, probCalls++);
                        std::copy(v, v + s.sliceVoxels(), prob.slice(z));
                    },
                    [&](std::int64_t z, const std::uint8_t* v) {
                        EXPECT_EQ(z, labelCalls++);
                        std::copy(v, v + s.sliceVoxels(), labels.slice(z));
                    });
                for (std::int64_t z = 0; z < depth; ++z)
                    post.push(p.probability.slice(z));
                post.finish();
                EXPECT_EQ(probCalls, depth);
                EXPECT_EQ(labelCalls, depth);
                EXPECT_EQ(prob.values(), whole.probability.values()) << depth << " " << radius << " " << minObject;
                EXPECT_EQ(labels.values(), whole.labels.values()) << depth << " " << radius << " " << minObject;

                // As a distributed run does it: each of up to 3 z-chunks smoothed on its own from
                // its halo (ZSmoother) and thresholded, the object removal fed the thresholded
                // slices in order (pushThresholded). Same probabilities and labels.
                const std::int64_t chunks = std::min<std::int64_t>(3, depth);
                VolumeF32 prob2(s);
                VolumeU8 labels2(s);
                std::int64_t labelCalls2 = 0;
                StreamingPostProcessor objects(s, pp, {}, [&](std::int64_t z, const std::uint8_t* v) {
                    EXPECT_EQ(z, labelCalls2++);
                    std::copy(v, v + s.sliceVoxels(), labels2.slice(z));
                });
                std::vector<std::uint8_t> binary(static_cast<std::size_t>(s.sliceVoxels()));
                for (std::int64_t c = 0; c < chunks; ++c) {
                    const std::int64_t z0 = depth * c / chunks, z1 = depth * (c + 1) / chunks;
                    std::int64_t next = z0;
                    ZSmoother smoother(depth, s.sliceVoxels(), radius, z0, z1, [&](std::int64_t z, const float* v) {
                        EXPECT_EQ(z, next++);
                        std::copy(v, v + s.sliceVoxels(), prob2.slice(z));
                        thresholdSlice(v, binary.size(), 0.55f, binary.data());
                        objects.pushThresholded(binary.data());
                    });
                    EXPECT_EQ(smoother.firstInput(), std::max<std::int64_t>(0, z0 - radius));
                    EXPECT_EQ(smoother.endInput(), std::min<std::int64_t>(depth, z1 + radius));
                    for (std::int64_t z = smoother.firstInput(); z < smoother.endInput(); ++z)
                        smoother.push(p.probability.slice(z));
                    smoother.finish();
                    EXPECT_EQ(next, z1);
                }
                objects.finish();
                EXPECT_EQ(prob2.values(), whole.probability.values()) << "chunked " << depth << " " << radius << " " << minObject;
                EXPECT_EQ(labels2.values(), whole.labels.values()) << "chunked " << depth << " " << radius << " " << minObject;
            }
        }
    }
}

TEST(StreamingPostProcess, MemoryDoesNotGrowWithDepthAndMissingSlicesAreAnError)
{
    Shape s{200, 64, 64};
    PostProcessing pp{2, 0.5f, 50};
    std::vector<float> slice(static_cast<std::size_t>(s.sliceVoxels()));
    for (std::size_t i = 0; i < slice.size(); ++i)
        slice[i] = ((i / 64) % 16 < 8 && (i % 64) % 16 < 8) ? 0.9f : 0.1f;   // 16 squares per slice, joined along z
    std::size_t at20 = 0, at200 = 0;
    std::int64_t foreground = 0;
    StreamingPostProcessor post(s, pp, {}, [&](std::int64_t, const std::uint8_t* v) {
        for (std::int64_t i = 0; i < s.sliceVoxels(); ++i)
            foreground += v[i];
    });
    for (std::int64_t z = 0; z < s.depth; ++z) {
        post.push(slice.data());
        if (z == 19)
            at20 = post.memoryBytes();
    }
    at200 = post.memoryBytes();
    post.finish();
    EXPECT_EQ(foreground, 16 * 64 * 200);
    // Only the bookkeeping grows: 12 bytes per 2D component (16 a slice here) and 12 per slice
    // (x2 for vector capacity), nothing of the slices themselves; far below the volume's size.
    EXPECT_LT(at200 - at20, 2u * 180 * (16 * 12 + 12));
    EXPECT_LT(at200, static_cast<std::size_t>(s.voxels()) * sizeof(float) / 10);
    StreamingPostProcessor partial(s, pp, {}, {});
    partial.push(slice.data());
    EXPECT_THROW(partial.finish(), Error);
}

TEST(TiffSliceWriter, WritesPageByPageAndReplacesOnlyOnCommit)
{
    ScratchDir dir;
    Shape s{3, 5, 7};
    Spacing sp{40, 5, 5, "nm"};
    {
        TiffSliceWriter w(dir / "a.tif", SampleType::F32, s, sp, {}, std::make_pair(0.0, 1.0));
        std::vector<float> page(35);
        for (int z = 0; z < 3; ++z) {
            for (std::size_t i = 0; i < page.size(); ++i)
                page[i] = static_cast<float>(z * 100 + static_cast<int>(i)) / 400.0f;
            w.write(page.data());
        }
        EXPECT_EQ(w.written(), 3);
        EXPECT_THROW(w.write(page.data()), IoError);
        w.commit();
    }
    auto stack = TiffStack::open(dir / "a.tif");
    EXPECT_EQ(stack->info().shape, s);
    EXPECT_DOUBLE_EQ(stack->info().spacing.z, 40);
    std::vector<float> back(35);
    stack->readSliceF32(2, back.data());
    EXPECT_FLOAT_EQ(back[4], 204.0f / 400.0f);
    // An abandoned or short writer leaves the existing file as it was.
    const auto before = std::filesystem::file_size(dir / "a.tif");
    {
        TiffSliceWriter w(dir / "a.tif", SampleType::U8, s, sp);
        std::vector<std::uint8_t> page(35, 9);
        w.write(page.data());
        EXPECT_THROW(w.commit(), IoError);
    }
    EXPECT_EQ(std::filesystem::file_size(dir / "a.tif"), before);
    EXPECT_EQ(TiffStack::open(dir / "a.tif")->info().shape, s);
    std::size_t entries = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path()))
        ++entries;
    EXPECT_EQ(entries, 1u) << "a temporary file was left behind";
}

TEST(PredictFile, StreamsTheSameMaskAsTheInMemoryPrediction)
{
    ScratchDir dir;
    ModelSpec spec;
    spec.arch = UNetConfig::fromPreset("tiny");
    spec.norm = {100.0, 30.0};
    spec.info.classNames = {"background", "mitochondria"};
    spec.info.threshold = 0.45f;
    spec.info.zSmooth = 1;
    spec.info.minObjectVoxels = 30;
    UNet net = randomNet("tiny");
    saveModel(dir / "m.msm", spec, net);
    auto seg = Segmenter::load(dir / "m.msm");
    VolumeU8 stack(Shape{25, 48, 40});
    std::mt19937 rng(9);
    for (auto& v : stack.values())
        v = static_cast<std::uint8_t>(rng() % 256);
    stack.spacing = {30, 6, 6, "nm"};
    writeStack(dir / "in.tif", stack);
    PredictFileRequest r;
    r.stack = dir / "in.tif";
    r.mask = dir / "mask.tif";
    r.probability = dir / "prob.tif";
    r.probabilityType = ProbabilityType::Uint8;
    r.options.threads = 2;
    PredictFileReport report = predictFile(*seg, r);
    EXPECT_EQ(report.shape, stack.shape());
    StackPrediction p = seg->predictStack(stack, r.options);
    VolumeU8 mask = TiffStack::open(dir / "mask.tif")->readAll<std::uint8_t>();
    VolumeU8 prob = TiffStack::open(dir / "prob.tif")->readAll<std::uint8_t>();
    ASSERT_EQ(mask.shape(), stack.shape());
    std::int64_t fg = 0;
    for (std::size_t i = 0; i < mask.values().size(); ++i) {
        ASSERT_EQ(mask.values()[i], p.labels.values()[i] ? 255 : 0) << i;
        ASSERT_EQ(prob.values()[i], static_cast<std::uint8_t>(std::lround(255.0f * p.probability.values()[i]))) << i;
        fg += mask.values()[i] != 0;
    }
    EXPECT_EQ(report.foregroundVoxels, fg);
    EXPECT_GT(fg, 0);
    EXPECT_DOUBLE_EQ(TiffStack::open(dir / "mask.tif")->info().spacing.z, 30);
}
