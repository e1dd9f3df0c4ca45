#pragma once
// --fp32 / --bf16: the number format of a command's U-Net (default: core's defaultBf16(), which
// follows the CPU and MITOSEG_PRECISION).
#include "app/cli/Args.h"
#include "core/base/Error.h"
#include "core/engine/ComputePrecision.h"

namespace mitoseg::cli {

/// true = bfloat16. Both flags at once is a UsageError; a bad MITOSEG_PRECISION too.
inline bool bf16FromArgs(const Args& args)
{
    if (args.flag("fp32") && args.flag("bf16"))
        throw UsageError("--fp32 and --bf16 exclude each other");
    if (args.flag("fp32"))
        return false;
    if (args.flag("bf16"))
        return true;
    try {
        if (auto env = precisionFromEnvironment())
            return *env;
    } catch (const Error& e) {
        throw UsageError(e.what());
    }
    return cpuHasNativeBf16();
}

}  // namespace mitoseg::cli
