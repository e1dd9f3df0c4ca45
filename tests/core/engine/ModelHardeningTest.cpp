// Hostile model files that the container checks cannot catch: non-finite weights, and
// architectures that the weights blob cannot possibly hold (issue #13, items 6 and 8).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>

#include "../base/TestSupport.h"
#include "core/base/Error.h"
#include "core/engine/ModelFile.h"
#include "core/engine/TorchModel.h"

using namespace mitoseg;
using mitoseg::test::ScratchDir;

namespace {

ModelSpec tinySpec()
{
    ModelSpec s;
    s.arch = UNetConfig::fromPreset("tiny");
    s.info.classNames = {"background", "mitochondria"};
    return s;
}

std::string loadError(const std::filesystem::path& p)
{
    try {
        loadModel(p);
    } catch (const IoError& e) {
        EXPECT_EQ(e.kind(), IoError::Kind::BadModel) << e.what();
        return e.what();
    }
    ADD_FAILURE() << "loaded " << p;
    return {};
}

}  // namespace

// The parameter count computed from the header alone equals the built network's, for every
// shape of network the header can describe.
TEST(ModelHardening, ArchitectureParameterCountMatchesTheNetwork)
{
    torch::NoGradGuard g;
    for (int depth : {1, 2, 3})
        for (int base : {1, 4, 6})
            for (bool bn : {false, true})
                for (Upsampling up : {Upsampling::Transposed, Upsampling::Resize})
                    for (int classes : {2, 5})
                        for (int in : {1, 3}) {
                            UNetConfig c = UNetConfig::fromPreset("tiny");
                            c.depth = depth;
                            c.base = base;
                            c.batchNorm = bn;
                            c.upsampling = up;
                            c.classes = classes;
                            c.inChannels = in;
                            UNet net(c);
                            std::int64_t buffers = 0;
                            for (const auto& b : net->buffers())
                                buffers += b.numel();
                            EXPECT_EQ(c.parameterCount(), net->parameterCount())
                                << "depth " << depth << " base " << base << " bn " << bn << " classes " << classes;
                            EXPECT_EQ(c.floatBufferCount() + c.batchNormLayers(), buffers);
                        }
    EXPECT_EQ(UNetConfig::fromPreset("fast").parameterCount(), 1943761);
}

// A well-formed, checksummed file whose header asks for a 7.9 GB network over a tiny blob is
// refused at once, before the network is built.
TEST(ModelHardening, ArchitectureLargerThanTheWeightsIsRefusedBeforeBuilding)
{
    ScratchDir dir;
    ModelSpec spec = tinySpec();
    UNet net(spec.arch);
    saveModel(dir / "good.msm", spec, net);
    ModelContainer c = readModelContainer(dir / "good.msm");
    c.header["architecture"]["base"] = 256;
    c.header["architecture"]["depth"] = 5;
    writeModelContainer(dir / "huge.msm", c);
    const auto t0 = std::chrono::steady_clock::now();
    const std::string what = loadError(dir / "huge.msm");
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 1.0);
    EXPECT_NE(what.find("huge.msm"), std::string::npos) << what;
    EXPECT_NE(what.find("parameters"), std::string::npos) << what;
}

TEST(ModelHardening, NaNOrInfiniteWeightsAreRefused)
{
    ScratchDir dir;
    ModelSpec spec = tinySpec();
    for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
        UNet net(spec.arch);
        {
            torch::NoGradGuard g;
            net->head->weight.view(-1)[0] = bad;
        }
        saveModel(dir / "nan.msm", spec, net);
        const std::string what = loadError(dir / "nan.msm");
        EXPECT_NE(what.find("nan.msm"), std::string::npos) << what;
        EXPECT_NE(what.find("head.weight"), std::string::npos) << what;
        EXPECT_NE(what.find("not finite"), std::string::npos) << what;
    }
    // A NaN in a batch-norm statistic (a buffer, not a parameter) too.
    UNet net(spec.arch);
    {
        torch::NoGradGuard g;
        for (auto& b : net->named_buffers())
            if (b.key().find("running_var") != std::string::npos) {
                b.value().fill_(std::numeric_limits<float>::quiet_NaN());
                break;
            }
    }
    saveModel(dir / "nanbuf.msm", spec, net);
    EXPECT_NE(loadError(dir / "nanbuf.msm").find("running_var"), std::string::npos);
}
