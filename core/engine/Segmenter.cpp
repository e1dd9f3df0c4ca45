// Temporary: replaced by the engine implementation.
#include "core/engine/Segmenter.h"

#include "core/base/Error.h"

namespace mitoseg {

std::unique_ptr<Segmenter> Segmenter::load(const std::filesystem::path& path)
{
    throw IoError(IoError::Kind::BadModel, path, -1, "this build has no U-Net engine yet");
}

std::filesystem::path Segmenter::defaultModelPath() { return {}; }

}  // namespace mitoseg
