#pragma once
// Saving and loading networks with their ModelSpec. INTERNAL to core/engine (includes LibTorch).
#include <filesystem>
#include <string>

#include "core/engine/ModelSpec.h"
#include "core/engine/UNet.h"

namespace mitoseg {

/// A network and its description, as read from a model file.
struct LoadedModel {
    ModelSpec spec;
    UNet net{nullptr};
};

/// torch::save of `module` into bytes.
std::string serializeModule(torch::nn::Module& module);
/// Loads bytes from serializeModule into `net`, then checks every parameter and buffer kept its
/// expected shape and dtype. Throws IoError(BadModel) naming `path` otherwise.
void deserializeNet(UNet& net, const std::string& bytes, const std::filesystem::path& path);

/// Writes a model file atomically. Throws IoError(WriteFailed).
void saveModel(const std::filesystem::path& path, const ModelSpec& spec, UNet& net);
/// Reads a model file (eval mode, fp32, contiguous). Throws IoError(BadModel / Unreadable).
LoadedModel loadModel(const std::filesystem::path& path);

/// Converts 4-D parameters to channels-last (or back) in place.
void setChannelsLast(torch::nn::Module& module, bool channelsLast);

}  // namespace mitoseg
