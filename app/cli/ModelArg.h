#pragma once
// The --model option shared by the commands that run a model.
#include <filesystem>

#include "app/cli/Args.h"
#include "core/base/Error.h"
#include "core/engine/Segmenter.h"

namespace mitoseg::cli {

/// --model F, else $MITOSEG_MODEL or the shipped model; throws mitoseg::Error when there is none.
inline std::filesystem::path modelPathFromArgs(const Args& args)
{
    std::filesystem::path path = args.value("model", "");
    if (path.empty())
        path = Segmenter::defaultModelPath();
    if (path.empty())
        throw Error("no model given and no shipped model found (resources/models/); use --model F");
    return path;
}

}  // namespace mitoseg::cli
