#pragma once
// What a model file says about itself, as labelled lines: architecture, classes,
// post-processing, what it was trained on, steps, validation IoU, date and version. One text for
// `mitoseg info MODEL` and the studio's model view. No Qt, no torch types; any thread.
#include <filesystem>
#include <string>
#include <vector>

namespace mitoseg {

/// One line of a model's description.
struct ModelField {
    std::string label;   ///< "architecture", "classes", "trained on", ...
    std::string value;
};

/// Reads and fully validates `path` (as Segmenter::load does) and describes it. Throws
/// IoError on unreadable or bad files.
std::vector<ModelField> describeModelFile(const std::filesystem::path& path);

}  // namespace mitoseg
