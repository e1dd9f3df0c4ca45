#include "core/engine/UNetConfig.h"

#include "core/base/Error.h"

namespace mitoseg {

void UNetConfig::validate() const
{
    auto bad = [](const std::string& what) { throw Error("invalid U-Net architecture: " + what); };
    if (inChannels < 1 || inChannels > 64 || inChannels % 2 == 0)
        bad("input channels must be odd and in 1..63, got " + std::to_string(inChannels));
    if (classes < 2 || classes > 255)
        bad("classes must be in 2..255, got " + std::to_string(classes));
    if (depth < 1 || depth > 7)
        bad("depth must be in 1..7, got " + std::to_string(depth));
    if (base < 1 || base > 256)
        bad("base width must be in 1..256, got " + std::to_string(base));
    if (static_cast<std::int64_t>(base) << depth > 8192)
        bad("base << depth too large");
    if (!(dropout >= 0.0 && dropout < 1.0))
        bad("dropout must be in [0, 1)");
}

namespace {

/// Parameters, float buffers and batch-norm layers of one conv3x3-(BN)-ReLU x2 block.
struct Counts {
    std::int64_t parameters = 0, buffers = 0, batchNorms = 0;
    void add(const Counts& o)
    {
        parameters += o.parameters;
        buffers += o.buffers;
        batchNorms += o.batchNorms;
    }
};

Counts convBlock(std::int64_t in, std::int64_t out, bool batchNorm)
{
    Counts c;
    c.parameters = in * out * 9 + out + out * out * 9 + out;
    if (batchNorm) {
        c.parameters += 2 * 2 * out;   // weight and bias of two BatchNorm2d
        c.buffers += 2 * 2 * out;      // running mean and variance
        c.batchNorms += 2;
    }
    return c;
}

/// Mirrors UNetImpl's constructor (core/engine/UNet.cpp); a test keeps the two in step.
Counts countNetwork(const UNetConfig& cfg)
{
    std::vector<std::int64_t> w;
    for (int i = 0; i <= cfg.depth; ++i)
        w.push_back(static_cast<std::int64_t>(cfg.base) << i);
    Counts total;
    for (int i = 0; i < cfg.depth; ++i)
        total.add(convBlock(i == 0 ? cfg.inChannels : w[static_cast<std::size_t>(i) - 1], w[static_cast<std::size_t>(i)], cfg.batchNorm));
    total.add(convBlock(w[static_cast<std::size_t>(cfg.depth) - 1], w[static_cast<std::size_t>(cfg.depth)], cfg.batchNorm));
    for (int i = cfg.depth - 1; i >= 0; --i) {
        const std::int64_t in = w[static_cast<std::size_t>(i) + 1], out = w[static_cast<std::size_t>(i)];
        total.parameters += in * out * (cfg.upsampling == Upsampling::Transposed ? 4 : 9) + out;
        total.add(convBlock(2 * out, out, cfg.batchNorm));
    }
    total.parameters += w[0] * cfg.outputs() + cfg.outputs();
    return total;
}

}  // namespace

std::int64_t UNetConfig::parameterCount() const { return countNetwork(*this).parameters; }
std::int64_t UNetConfig::floatBufferCount() const { return countNetwork(*this).buffers; }
std::int64_t UNetConfig::batchNormLayers() const { return countNetwork(*this).batchNorms; }

UNetConfig UNetConfig::fromPreset(const std::string& name)
{
    UNetConfig c;
    c.preset = name;
    if (name == "fast") {
        c.depth = 4;
        c.base = 16;
    } else if (name == "seed") {
        c.depth = 4;
        c.base = 64;
    } else if (name == "tiny") {
        c.depth = 2;
        c.base = 4;
    } else {
        throw Error("unknown model preset '" + name + "' (known: fast, seed, tiny)");
    }
    return c;
}

std::vector<std::string> UNetConfig::presetNames() { return {"fast", "seed", "tiny"}; }

const char* upsamplingName(Upsampling u) { return u == Upsampling::Transposed ? "transposed" : "resize"; }

Upsampling parseUpsampling(const std::string& name)
{
    if (name == "transposed")
        return Upsampling::Transposed;
    if (name == "resize")
        return Upsampling::Resize;
    throw Error("unknown up-sampling '" + name + "' (known: transposed, resize)");
}

}  // namespace mitoseg
