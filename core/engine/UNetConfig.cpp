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
