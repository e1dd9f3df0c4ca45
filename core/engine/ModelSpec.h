#pragma once
// Everything a model file says besides the weights: architecture, input normalisation,
// threshold, class names and training metadata, with its JSON form. Torch-free value type.
#include <filesystem>

#include "core/engine/Json.h"
#include "core/engine/ModelFile.h"
#include "core/engine/Segmenter.h"
#include "core/engine/UNetConfig.h"

namespace mitoseg {

/// Input normalisation: the network sees (raw - mean) / std.
struct Normalisation {
    double mean = 0.0;
    double std = 1.0;
};

/// Model description stored in the header of a .msm file.
struct ModelSpec {
    UNetConfig arch;
    Normalisation norm;
    ModelInfo info;   ///< preset, classes, classNames, threshold, metadata (parameters filled on load)

    Json toJson() const;
    /// Parses and validates a header; throws IoError(BadModel) naming `path` on missing or
    /// out-of-range fields.
    static ModelSpec fromJson(const Json& j, const std::filesystem::path& path);
    /// fromJson plus the checks a model file's weights must pass before a network is built:
    /// exactly one blob, large enough for the parameters of the header's architecture (a small
    /// file must not make the loader allocate gigabytes). Throws IoError(BadModel) naming `path`.
    /// Torch-free (the .msm fuzzer runs it).
    static ModelSpec fromContainer(const ModelContainer& container, const std::filesystem::path& path);
};

/// Software version written into model files.
const char* engineVersion();
/// Current UTC time as ISO 8601 ("2026-11-23T23:10:00Z").
std::string utcNow();

}  // namespace mitoseg
