// U-Net shapes, the model file container (round trip, hostile files) and tiled inference.
// Includes LibTorch through the engine's internal headers.
#include <gtest/gtest.h>

#include <fstream>

#include "../base/TestSupport.h"
#include "core/base/Error.h"
#include "core/engine/DataParallel.h"
#include "core/engine/ModelAverage.h"
#include "core/engine/ModelFile.h"
#include "core/engine/Segmenter.h"
#include "core/engine/TiledPredictor.h"
#include "core/engine/TorchModel.h"
#include "core/engine/Trainer.h"

using namespace mitoseg;
using mitoseg::test::ScratchDir;

namespace {

ModelSpec tinySpec(int classes = 2)
{
    ModelSpec s;
    s.arch = UNetConfig::fromPreset("tiny");
    s.arch.classes = classes;
    s.norm = {100.0, 20.0};
    s.info.classNames = {"background"};
    for (int k = 1; k < classes; ++k)
        s.info.classNames.push_back(std::string("class ").append(std::to_string(k)));
    s.info.threshold = 0.4f;
    s.info.zSmooth = 2;
    s.info.minObjectVoxels = 1500;
    s.info.trainedOn = "unit test \"data\"";
    s.info.recipe = "mitoseg train a.tif b.tif --boundary-weight 2 --out 'my model.msm'";
    s.info.steps = 42;
    s.info.validationIoU = 0.625;
    s.info.date = "2026-11-23T23:00:00Z";
    s.info.version = "test";
    return s;
}

/// A tiny net whose BatchNorm statistics moved away from their initial values.
UNet trainedTiny(const ModelSpec& spec)
{
    torch::manual_seed(3);
    UNet net(spec.arch);
    net->train();
    for (int i = 0; i < 3; ++i)
        net->forward(torch::randn({2, spec.arch.inChannels, 16, 16}) * 3 + 1);
    net->eval();
    return net;
}

std::string readBytes(const std::filesystem::path& p)
{
    std::ifstream f(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
}

void writeBytes(const std::filesystem::path& p, const std::string& b)
{
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f.write(b.data(), static_cast<std::streamsize>(b.size()));
}

void expectBadModel(const std::filesystem::path& p)
{
    try {
        loadModel(p);
        ADD_FAILURE() << "loaded a bad model file";
    } catch (const IoError& e) {
        EXPECT_EQ(e.kind(), IoError::Kind::BadModel) << e.what();
        EXPECT_NE(std::string(e.what()).find(p.filename().string()), std::string::npos) << e.what();
    }
}

}  // namespace

TEST(UNet, PresetsHaveExpectedShapesAndParameterCounts)
{
    torch::NoGradGuard g;
    UNet fast(UNetConfig::fromPreset("fast"));
    EXPECT_EQ(fast->parameterCount(), 1943761);   // same network as peer.py --base 16
    EXPECT_EQ(fast->forward(torch::zeros({1, 1, 64, 96})).sizes(), (std::vector<std::int64_t>{1, 1, 64, 96}));
    UNet seed(UNetConfig::fromPreset("seed"));    // construct only
    EXPECT_GT(seed->parameterCount(), 30500000);
    EXPECT_LT(seed->parameterCount(), 31500000);
    UNetConfig c = UNetConfig::fromPreset("tiny");
    c.classes = 4;
    c.inChannels = 3;
    c.upsampling = Upsampling::Resize;
    c.batchNorm = false;
    c.dropout = 0.2;
    UNet multi(c);
    EXPECT_EQ(multi->forward(torch::zeros({2, 3, 32, 16})).sizes(), (std::vector<std::int64_t>{2, 4, 32, 16}));
    c.inChannels = 2;
    EXPECT_THROW(UNet{c}, Error);
    EXPECT_THROW(UNetConfig::fromPreset("huge"), Error);
}

TEST(ModelFile, SaveLoadRoundTripsWeightsStatisticsAndMetadataExactly)
{
    ScratchDir dir;
    ModelSpec spec = tinySpec(3);
    UNet net = trainedTiny(spec);
    saveModel(dir / "m.msm", spec, net);
    LoadedModel m = loadModel(dir / "m.msm");
    auto a = net->named_parameters(), b = m.net->named_parameters();
    ASSERT_EQ(a.size(), b.size());
    for (const auto& p : a)
        EXPECT_TRUE(torch::equal(p.value(), b[p.key()])) << p.key();
    auto ab = net->named_buffers(), bb = m.net->named_buffers();
    ASSERT_EQ(ab.size(), bb.size());
    for (const auto& p : ab)
        EXPECT_TRUE(torch::equal(p.value(), bb[p.key()])) << p.key();
    torch::NoGradGuard g;
    torch::Tensor x = torch::randn({1, 1, 32, 32});
    EXPECT_TRUE(torch::equal(net->forward(x), m.net->forward(x)));
    EXPECT_EQ(m.spec.info.classNames, spec.info.classNames);
    EXPECT_EQ(m.spec.info.trainedOn, spec.info.trainedOn);
    EXPECT_EQ(m.spec.info.recipe, spec.info.recipe);
    EXPECT_EQ(m.spec.info.steps, 42);
    EXPECT_DOUBLE_EQ(m.spec.info.validationIoU, 0.625);
    EXPECT_FLOAT_EQ(m.spec.info.threshold, 0.4f);
    EXPECT_EQ(m.spec.info.zSmooth, 2);
    EXPECT_EQ(m.spec.info.minObjectVoxels, 1500);
    EXPECT_DOUBLE_EQ(m.spec.norm.mean, 100.0);
    EXPECT_EQ(m.spec.arch.classes, 3);
    EXPECT_EQ(m.spec.info.parameters, net->parameterCount());
}

namespace {

/// 1 where a pixel of `labels` (H x W) has a pixel of another label within Chebyshev distance r
/// inside the image, else 0: the boundary band, by brute force.
torch::Tensor bandByHand(const torch::Tensor& labels, int r)
{
    const auto h = labels.size(0), w = labels.size(1);
    auto l = labels.accessor<std::int64_t, 2>();
    torch::Tensor band = torch::zeros({h, w});
    auto b = band.accessor<float, 2>();
    for (std::int64_t y = 0; y < h; ++y)
        for (std::int64_t x = 0; x < w; ++x)
            for (std::int64_t v = std::max<std::int64_t>(0, y - r); v <= std::min(h - 1, y + r); ++v)
                for (std::int64_t u = std::max<std::int64_t>(0, x - r); u <= std::min(w - 1, x + r); ++u)
                    if (l[v][u] != l[y][x])
                        b[y][x] = 1;
    return band;
}

}  // namespace

TEST(TrainingLoss, BoundaryWeightCountsTheBandOnePlusWTimes)
{
    torch::manual_seed(5);
    // Two 20 x 24 label maps: a square near the border (its band is cut by the patch edge) and
    // two touching rectangles of classes 1 and 2 (a 1|2 edge is a boundary too).
    torch::Tensor target = torch::zeros({2, 20, 24}, torch::kLong);
    target[0].slice(0, 1, 9).slice(1, 0, 7).fill_(1);
    target[1].slice(0, 6, 15).slice(1, 4, 12).fill_(1);
    target[1].slice(0, 6, 15).slice(1, 12, 20).fill_(2);
    const double w = 3.0;
    torch::Tensor weights = torch::stack({bandByHand(target[0], kBoundaryBandRadius), bandByHand(target[1], kBoundaryBandRadius)}) * w + 1.0;
    ASSERT_GT(weights.eq(1.0).sum().item<std::int64_t>(), 0);
    ASSERT_GT(weights.eq(1.0 + w).sum().item<std::int64_t>(), 0);
    EXPECT_TRUE(torch::equal(boundaryWeights(target, w).squeeze(1), weights));

    // Binary (labels 0/1 only): the weighted mean of the per-pixel BCE, Dice off.
    torch::Tensor binary = target.clamp_max(1);
    torch::Tensor binaryWeights = torch::stack({bandByHand(binary[0], kBoundaryBandRadius), bandByHand(binary[1], kBoundaryBandRadius)}) * w + 1.0;
    torch::Tensor logits = torch::randn({2, 1, 20, 24});
    torch::Tensor y = binary.to(torch::kFloat).unsqueeze(1);
    torch::Tensor perPixel = -(y * torch::log_sigmoid(logits) + (1 - y) * torch::log_sigmoid(-logits));
    double reported = 0;
    torch::Tensor plain = trainingLoss(logits, binary, 2, 0.0, nullptr, reported);
    EXPECT_NEAR(plain.item<double>(), perPixel.mean().item<double>(), 1e-5);
    torch::Tensor weighted = trainingLoss(logits, binary, 2, 0.0, nullptr, reported, w);
    EXPECT_NEAR(weighted.item<double>(), (perPixel * binaryWeights.unsqueeze(1)).mean().item<double>(), 1e-5);
    EXPECT_NEAR(reported, weighted.item<double>(), 1e-9);
    // The Dice term is added unweighted.
    torch::Tensor withDice = trainingLoss(logits, binary, 2, 1.0, nullptr, reported, w);
    torch::Tensor p = torch::sigmoid(logits);
    const double dice = 1.0 - (2.0 * (p * y).sum().item<double>() + 1.0) / (p.sum().item<double>() + y.sum().item<double>() + 1.0);
    EXPECT_NEAR(withDice.item<double>(), weighted.item<double>() + dice, 1e-5);

    // Multiclass: the weighted mean of the per-pixel cross-entropy.
    torch::Tensor logits3 = torch::randn({2, 3, 20, 24});
    torch::Tensor ce = -torch::log_softmax(logits3, 1).gather(1, target.unsqueeze(1)).squeeze(1);
    torch::Tensor weighted3 = trainingLoss(logits3, target, 3, 0.0, nullptr, reported, w);
    EXPECT_NEAR(weighted3.item<double>(), (ce * weights).mean().item<double>(), 1e-5);
    EXPECT_NEAR(trainingLoss(logits3, target, 3, 0.0, nullptr, reported).item<double>(), ce.mean().item<double>(), 1e-5);

    // The gradient of a band pixel is 1 + W times what the unweighted loss gives it; elsewhere equal.
    torch::Tensor a = logits.clone().requires_grad_(true), b = logits.clone().requires_grad_(true);
    trainingLoss(a, binary, 2, 0.0, nullptr, reported, w).backward();
    trainingLoss(b, binary, 2, 0.0, nullptr, reported).backward();
    EXPECT_TRUE(torch::allclose(a.grad(), b.grad() * binaryWeights.unsqueeze(1), 1e-5, 1e-8));
}

TEST(ModelAverage, EveryTensorIsTheMeanAndMismatchedModelsAreRefused)
{
    ScratchDir dir;
    ModelSpec spec = tinySpec();
    std::vector<UNet> nets;
    for (int i = 0; i < 3; ++i) {
        UNet net = trainedTiny(spec);
        torch::NoGradGuard g;
        for (auto& p : net->parameters())
            p.add_(torch::randn(p.sizes()) * 0.1 * (i + 1));   // three different models of one architecture
        for (auto& b : net->named_buffers())
            if (b.value().is_floating_point())
                b.value().add_(static_cast<double>(i));
        spec.info.steps = 100 * (i + 1);
        saveModel(dir / ("m" + std::to_string(i) + ".msm"), spec, net);
        nets.push_back(net);
    }
    averageModels({dir / "m0.msm", dir / "m1.msm", dir / "m2.msm"}, dir / "avg.msm");
    LoadedModel avg = loadModel(dir / "avg.msm");
    for (const auto& p : avg.net->named_parameters()) {
        torch::Tensor mean = (nets[0]->named_parameters()[p.key()] + nets[1]->named_parameters()[p.key()] +
                              nets[2]->named_parameters()[p.key()]) / 3;
        EXPECT_TRUE(torch::allclose(p.value(), mean, 1e-5, 1e-6)) << p.key();
    }
    for (const auto& b : avg.net->named_buffers()) {
        if (!b.value().is_floating_point())
            continue;
        torch::Tensor mean = (nets[0]->named_buffers()[b.key()] + nets[1]->named_buffers()[b.key()] +
                              nets[2]->named_buffers()[b.key()]) / 3;
        EXPECT_TRUE(torch::allclose(b.value(), mean, 1e-5, 1e-6)) << b.key();   // batch-norm statistics too
    }
    EXPECT_EQ(avg.spec.info.steps, 300);   // the last model's header
    EXPECT_DOUBLE_EQ(avg.spec.info.validationIoU, -1);   // not measured
    EXPECT_NE(avg.spec.info.trainedOn.find("averaged over 3 models"), std::string::npos) << avg.spec.info.trainedOn;

    // A different architecture or normalisation, a single model, or a missing file: clear errors, no output.
    ModelSpec wide = tinySpec();
    wide.arch.base += 2;
    UNet wideNet(wide.arch);
    saveModel(dir / "wide.msm", wide, wideNet);
    ModelSpec renorm = tinySpec();
    renorm.norm.mean = 50;
    saveModel(dir / "renorm.msm", renorm, nets[0]);
    for (const char* other : {"wide.msm", "renorm.msm"}) {
        try {
            averageModels({dir / "m0.msm", dir / other}, dir / "bad.msm");
            ADD_FAILURE() << other;
        } catch (const IoError& e) {
            EXPECT_EQ(e.kind(), IoError::Kind::BadModel);
            EXPECT_NE(std::string(e.what()).find(other), std::string::npos) << e.what();
        }
    }
    EXPECT_THROW(averageModels({dir / "m0.msm"}, dir / "bad.msm"), Error);
    EXPECT_THROW(averageModels({dir / "m0.msm", dir / "nope.msm"}, dir / "bad.msm"), IoError);
    EXPECT_FALSE(std::filesystem::exists(dir / "bad.msm"));
}

TEST(ModelFile, CorruptTruncatedAndHostileFilesAreBadModelErrors)
{
    ScratchDir dir;
    ModelSpec spec = tinySpec();
    UNet net = trainedTiny(spec);
    saveModel(dir / "good.msm", spec, net);
    const std::string good = readBytes(dir / "good.msm");

    writeBytes(dir / "empty.msm", "");
    expectBadModel(dir / "empty.msm");
    std::string badMagic = good;
    badMagic.replace(0, 8, "NOTAMODL");
    writeBytes(dir / "magic.msm", badMagic);
    expectBadModel(dir / "magic.msm");
    for (std::size_t cut : {std::size_t{10}, std::size_t{20}, good.size() / 2, good.size() - 1}) {
        writeBytes(dir / "cut.msm", good.substr(0, cut));
        expectBadModel(dir / "cut.msm");
    }
    std::string flipped = good;
    flipped[good.size() / 2] ^= 0x5A;
    writeBytes(dir / "flip.msm", flipped);
    expectBadModel(dir / "flip.msm");
    // A header length of 4 GiB - 1 and a blob length of 2^63: rejected before allocating.
    std::string huge = good;
    for (int i = 12; i < 16; ++i)
        huge[static_cast<std::size_t>(i)] = '\xff';
    writeBytes(dir / "hugeheader.msm", huge);
    expectBadModel(dir / "hugeheader.msm");
    ModelContainer c = readModelContainer(dir / "good.msm");
    ModelContainer bigBlob = c;
    writeModelContainer(dir / "bigblob.msm", bigBlob);
    std::string bb = readBytes(dir / "bigblob.msm");
    std::size_t headerLen = static_cast<unsigned char>(bb[12]) | static_cast<unsigned char>(bb[13]) << 8 |
                            static_cast<unsigned char>(bb[14]) << 16;
    std::size_t blobLenAt = 16 + headerLen + 4;
    for (std::size_t i = 0; i < 8; ++i)
        bb[blobLenAt + i] = i == 7 ? '\x7f' : '\xff';
    writeBytes(dir / "bigblob.msm", bb);
    expectBadModel(dir / "bigblob.msm");

    // Well-formed container, but the header's architecture does not match the tensors.
    ModelContainer wrongArch = c;
    wrongArch.header["architecture"]["base"] = 8;
    writeModelContainer(dir / "arch.msm", wrongArch);
    expectBadModel(dir / "arch.msm");
    ModelContainer wrongDepth = c;
    wrongDepth.header["architecture"]["depth"] = 3;
    writeModelContainer(dir / "depth.msm", wrongDepth);
    expectBadModel(dir / "depth.msm");
    // Garbage weights blob, absurd architecture, wrong class names, not JSON.
    ModelContainer junk = c;
    junk.blobs[0] = std::string(1000, 'x');
    writeModelContainer(dir / "junk.msm", junk);
    expectBadModel(dir / "junk.msm");
    ModelContainer absurd = c;
    absurd.header["architecture"]["base"] = 1e9;
    writeModelContainer(dir / "absurd.msm", absurd);
    expectBadModel(dir / "absurd.msm");
    ModelContainer names = c;
    names.header["class_names"] = Json::array();
    names.header["class_names"].push(Json("only one"));
    writeModelContainer(dir / "names.msm", names);
    expectBadModel(dir / "names.msm");
    ModelContainer negative = c;
    negative.header["min_object_voxels"] = -5;
    writeModelContainer(dir / "minobj.msm", negative);
    expectBadModel(dir / "minobj.msm");
    EXPECT_THROW(Segmenter::load(dir / "names.msm"), IoError);
    EXPECT_THROW(Segmenter::load(dir / "missing.msm"), IoError);
}

TEST(ModelFile, WriteIsAtomicAndLeavesNoTemporaryFiles)
{
    ScratchDir dir;
    ModelSpec spec = tinySpec();
    UNet net = trainedTiny(spec);
    saveModel(dir / "m.msm", spec, net);
    saveModel(dir / "m.msm", spec, net);
    int files = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir.path()))
        files += e.is_regular_file();
    EXPECT_EQ(files, 1);
    EXPECT_THROW(saveModel(dir / "no/such/dir/m.msm", spec, net), IoError);
}

TEST(Json, ParsesWhatItWritesAndRejectsMalformedText)
{
    Json j = Json::object();
    j["s"] = "a\"b\\c\n\x01";
    j["n"] = -1.25e-7;
    j["i"] = 123456789;
    j["b"] = true;
    j["a"] = Json::array();
    j["a"].push(Json("x"));
    j["a"].push(Json());
    Json k = Json::parse(j.dump(2));
    EXPECT_EQ(k.dump(), j.dump());
    EXPECT_EQ(k.string("s", ""), "a\"b\\c\n\x01");
    EXPECT_DOUBLE_EQ(k.number("n", 0), -1.25e-7);
    for (const char* bad : {"", "{", "{\"a\":}", "[1,]", "{\"a\":1} x", "\"\\q\"", "nul", "1e999"})
        EXPECT_THROW(Json::parse(bad), Error) << bad;
    EXPECT_THROW(Json::parse(std::string(100, '[') + std::string(100, ']')), Error);
}

TEST(TiledPredictor, TilesMatchWholeImageAndLeaveNoSeams)
{
    ModelSpec spec = tinySpec();
    UNet net = trainedTiny(spec);
    TiledPredictor pred(net, false, false);
    torch::manual_seed(5);
    torch::Tensor img = torch::randn({1, 200, 262});
    PredictOptions whole;
    whole.tile = 1024;
    PredictOptions tiled;
    tiled.tile = 160;
    tiled.overlap = 128;
    tiled.batch = 3;
    torch::Tensor a = pred.predict(img, whole, nullptr), b = pred.predict(img, tiled, nullptr);
    ASSERT_EQ(a.sizes(), (std::vector<std::int64_t>{1, 200, 262}));
    ASSERT_EQ(b.sizes(), a.sizes());
    // The tiny net sees ~27 px each way; the blend ignores the outer 32 px of each inner tile
    // edge and ramps over the next 64, so tiled and whole agree closely everywhere.
    EXPECT_LT((a - b).abs().max().item<float>(), 0.05f);
    EXPECT_LT((a - b).abs().mean().item<float>(), 0.005f);
    // On a constant image the whole-image pass is periodic (2x2 up-convolutions), the same in
    // every tile; away from the image borders the tiled result equals it: no seams.
    torch::Tensor flatImage = torch::full({1, 200, 262}, 0.7f);
    torch::Tensor flatTiled = pred.predict(flatImage, tiled, nullptr), flatWhole = pred.predict(flatImage, whole, nullptr);
    ASSERT_GT(flatTiled.size(2), tiled.tile);   // really several tiles
    torch::Tensor diff = (flatTiled - flatWhole).slice(1, 40, 160).slice(2, 40, 222).abs();
    EXPECT_LT(diff.max().item<float>(), 1e-5f);
    // TTA keeps shapes, stays a probability and, for a non-square image, works too.
    PredictOptions tta = tiled;
    tta.tta = true;
    torch::Tensor t = pred.predict(img, tta, nullptr);
    EXPECT_EQ(t.sizes(), a.sizes());
    EXPECT_GE(t.min().item<float>(), 0.0f);
    EXPECT_LE(t.max().item<float>(), 1.0f);
    CancelToken cancel;
    cancel.cancel();
    EXPECT_THROW(pred.predict(img, tiled, &cancel), Cancelled);
}

TEST(Segmenter, PredictsStacksWithCallbacksAndFindsTheModelFromTheEnvironment)
{
    ScratchDir dir;
    ModelSpec spec = tinySpec();
    UNet net = trainedTiny(spec);
    saveModel(dir / "m.msm", spec, net);
    auto seg = Segmenter::load(dir / "m.msm");
    EXPECT_EQ(seg->info().classes, 2);
    VolumeU8 stack(Shape{3, 40, 24});
    for (std::size_t i = 0; i < stack.values().size(); ++i)
        stack.values()[i] = static_cast<std::uint8_t>((i * 37) % 251);
    PredictOptions o;
    o.bf16 = false;
    o.channelsLast = false;
    o.zSmooth = 0;            // no post-processing here: the model's own is checked below
    o.minObjectVoxels = 0;
    std::vector<std::int64_t> seen;
    StackPrediction p = seg->predictStack(stack, o, nullptr, nullptr, [&](std::int64_t z, const SlicePrediction& s) {
        seen.push_back(z);
        EXPECT_EQ(s.height, 40);
        EXPECT_EQ(s.width, 24);
    });
    EXPECT_EQ(seen, (std::vector<std::int64_t>{0, 1, 2}));
    ASSERT_EQ(p.labels.shape(), stack.shape());
    // The stack result equals predicting each slice alone, and labels follow the threshold.
    std::vector<float> raw(40 * 24);
    for (std::size_t i = 0; i < raw.size(); ++i)
        raw[i] = stack.slice(1)[i];
    SlicePrediction s1 = seg->predictSlice(raw.data(), 40, 24, o);
    for (std::size_t i = 0; i < raw.size(); ++i) {
        EXPECT_FLOAT_EQ(p.probability.slice(1)[i], s1.probability(1, static_cast<std::int64_t>(i)));
        EXPECT_EQ(p.labels.slice(1)[i], p.probability.slice(1)[i] > 0.4f ? 1 : 0);
    }
    // Default options apply the model's post-processing (z-smoothing +-2, objects >= 1500 voxels).
    PredictOptions modelDefaults = o;
    modelDefaults.zSmooth = -1;
    modelDefaults.minObjectVoxels = -1;
    StackPrediction d = seg->predictStack(stack, modelDefaults);
    StackPrediction manual = p;
    postProcessBinary(manual, 2, 0.4f, 1500);
    EXPECT_EQ(d.labels.values(), manual.labels.values());
    EXPECT_EQ(d.probability.values(), manual.probability.values());
    // bf16 + channels-last (the fast path) stays close to float32.
    PredictOptions fast;
    fast.zSmooth = 0;
    fast.minObjectVoxels = 0;
    StackPrediction q = seg->predictStack(stack, fast);
    float maxDiff = 0;
    for (std::size_t i = 0; i < q.probability.values().size(); ++i)
        maxDiff = std::max(maxDiff, std::abs(q.probability.values()[i] - p.probability.values()[i]));
    EXPECT_LT(maxDiff, 0.1f);

    setenv("MITOSEG_MODEL", (dir / "m.msm").c_str(), 1);
    EXPECT_EQ(Segmenter::defaultModelPath(), dir / "m.msm");
    unsetenv("MITOSEG_MODEL");
}

TEST(Trainer, FrozenBatchNormKeepsTheStartingModelsStatistics)
{
    ScratchDir dir;
    const ModelSpec spec = tinySpec();
    UNet start = trainedTiny(spec);
    saveModel(dir / "start.msm", spec, start);
    VolumeU8 image(Shape{2, 32, 32}), labels(Shape{2, 32, 32});
    for (std::size_t i = 0; i < image.values().size(); ++i) {
        image.values()[i] = static_cast<std::uint8_t>((i * 37) % 200);
        labels.values()[i] = image.values()[i] > 120 ? 1 : 0;
    }
    auto fineTune = [&](bool freeze, const std::string& name) {
        TrainConfig c;
        c.arch.inChannels = 0;
        c.initFrom = dir / "start.msm";
        c.outModel = dir / name;
        c.steps = 5;
        c.batch = 2;
        c.patch = 16;
        c.threads = 1;
        c.bf16 = c.channelsLast = false;
        c.freezeBatchNorm = freeze;
        TrainData d{&image, nullptr, &labels, {}, -1, -1};
        train(c, d, {}, CancelToken{});
        return loadModel(dir / name).net;
    };
    UNet frozen = fineTune(true, "frozen.msm"), moving = fineTune(false, "moving.msm");
    auto startBuffers = start->named_buffers(), frozenBuffers = frozen->named_buffers(), movingBuffers = moving->named_buffers();
    int stats = 0, moved = 0;
    for (const auto& b : startBuffers) {
        if (b.key().find("running_") == std::string::npos)
            continue;
        ++stats;
        EXPECT_TRUE(torch::equal(b.value(), frozenBuffers[b.key()])) << b.key();
        moved += !torch::equal(b.value(), movingBuffers[b.key()]);
    }
    EXPECT_GT(stats, 0);
    EXPECT_EQ(moved, stats);   // without freezing, training moves every statistic
    // The weights did train.
    EXPECT_FALSE(torch::equal(start->named_parameters()[0].value(), frozen->named_parameters()[0].value()));
}
