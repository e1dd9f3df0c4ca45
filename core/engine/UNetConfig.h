#pragma once
// Architecture of a 2D U-Net, without LibTorch types (stored in model files, shown in the ui).
// Plain value type: thread-safe to copy.
#include <cstdint>
#include <string>
#include <vector>

namespace mitoseg {

/// How the decoder doubles the resolution.
enum class Upsampling { Transposed, Resize };

/// Architecture of a U-Net: `depth` pooling levels, `base` channels at the top level,
/// doubling per level (base * 2^depth in the bridge).
struct UNetConfig {
    std::string preset = "fast";
    int inChannels = 1;        ///< 1, or 2*context+1 neighbouring slices (2.5D)
    int classes = 2;           ///< including background; 2 = binary (one sigmoid output)
    int depth = 4;
    int base = 16;
    bool batchNorm = true;
    double dropout = 0.0;      ///< dropout before the bridge's convolutions (0 = none)
    Upsampling upsampling = Upsampling::Transposed;

    /// Output channels of the network: 1 for binary, `classes` for multiclass.
    int outputs() const { return classes == 2 ? 1 : classes; }
    /// Slices on each side of the centre slice fed as channels (inChannels = 2*context+1).
    int context() const { return (inChannels - 1) / 2; }
    /// Throws mitoseg::Error when a field is out of range (e.g. depth 0, base 0, classes < 2).
    void validate() const;
    /// Trainable parameters of the network this describes, computed without building it (so a
    /// model file's header can be checked against its weights first). Call after validate().
    std::int64_t parameterCount() const;
    /// Float buffers of the network (batch-norm running means and variances).
    std::int64_t floatBufferCount() const;
    /// Batch-norm layers (each also holds one int64 step counter).
    std::int64_t batchNormLayers() const;

    /// Named presets: "fast" (base 16, depth 4: the CPU default, same network as the peer's
    /// benchmark) and "seed" (the original Keras notebook: 64..1024, ~31 M parameters),
    /// "tiny" (base 4, depth 2: tests). Throws mitoseg::Error on an unknown name.
    static UNetConfig fromPreset(const std::string& name);
    static std::vector<std::string> presetNames();
};

const char* upsamplingName(Upsampling u);
/// Parses "transposed" / "resize"; throws mitoseg::Error otherwise.
Upsampling parseUpsampling(const std::string& name);

}  // namespace mitoseg
