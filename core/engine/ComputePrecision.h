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

/// True when this CPU has AVX512-VNNI: oneDNN's int8 convolutions then multiply-add 8-bit
/// weights without the 16-bit intermediate sums of AVX2/AVX512 (vpmaddubsw), which saturate
/// unless the weights keep to 7 bits.
bool cpuHasAvx512Vnni();

/// True when this CPU (and the OS) has AMX-INT8 (Intel Sapphire Rapids and later).
bool cpuHasAmxInt8();

/// Why 8-bit prediction is refused on this CPU, or "" when it runs. Where the CPU has AMX-INT8,
/// oneDNN 2.6 (Debian's LibTorch 1.13) runs int8 1x1 convolutions with its AMX kernel, which
/// corrupts the heap on some small feature maps (36 and 48 pixels measured; 16, 60 and 3072 run):
/// int8 is off there (unless ONEDNN_MAX_CPU_ISA keeps oneDNN below AMX, e.g. AVX512_CORE_VNNI),
/// and bfloat16 on AMX-BF16 is the default on such CPUs anyway.
std::string int8Unavailable();

/// "bf16" (true) or "fp32"/"int8" (false) from MITOSEG_PRECISION; nullopt when unset or empty,
/// and for "int8" where int8Unavailable() (the CPU's own default then applies).
/// Throws Error naming the variable and its value when it is set to anything else.
std::optional<bool> precisionFromEnvironment();

/// The default for every compute path (training, prediction, the studio, benchmarks):
/// MITOSEG_PRECISION when set (an invalid value is reported once on stderr and ignored),
/// else bfloat16 exactly when cpuHasNativeBf16().
bool defaultBf16();

/// Whether prediction (`mitoseg predict`, `calibrate`, `bench loop`, the studio and its rounds)
/// runs in 8 bits by default (training never does): MITOSEG_PRECISION=int8, or, when it is
/// unset, no native bfloat16; never where int8Unavailable() (MITOSEG_PRECISION=int8 is then
/// reported once on stderr and the CPU's default used). oneDNN's int8
/// convolutions run about 2x faster than float32 there, with the shipped model's masks within
/// 0.0003 IoU of float32 on the EPFL stack.
bool defaultInt8();

/// One line for logs and `--help`: "bfloat16 (AVX512-BF16)" / "float32 (no bfloat16 instructions)".
std::string describeDefaultPrecision();

}  // namespace mitoseg
