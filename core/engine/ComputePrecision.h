#pragma once
// Which number format the U-Net computes in by default. bfloat16 halves memory traffic and runs
// about 2-4x faster than float32 where the CPU has bfloat16 instructions (AVX512-BF16 or AMX),
// but where it has not (AVX2-only CPUs: most AMD EPYC/Ryzen before Zen 4, older Intel) oneDNN
// has no bfloat16 kernels: autocast falls back to reference loops about 60x slower than float32,
// and prepacked bfloat16 convolutions cannot be made at all. So the default follows the CPU.
// Plain C++ (no LibTorch); any thread.
#include <optional>
#include <string>

namespace mitoseg {

/// True when this CPU (and the OS) can run bfloat16 natively: AVX512-BF16, or AMX-BF16.
/// Probed once with CPUID/XGETBV; false on non-x86 builds.
bool cpuHasNativeBf16();

/// "bf16" or "fp32" from MITOSEG_PRECISION; nullopt when unset or empty. Throws Error naming the
/// variable and its value when it is set to anything else.
std::optional<bool> precisionFromEnvironment();

/// The default for every compute path (training, prediction, the studio, benchmarks):
/// MITOSEG_PRECISION when set (an invalid value is reported once on stderr and ignored),
/// else bfloat16 exactly when cpuHasNativeBf16().
bool defaultBf16();

/// One line for logs and `--help`: "bfloat16 (AVX512-BF16)" / "float32 (no bfloat16 instructions)".
std::string describeDefaultPrecision();

}  // namespace mitoseg
