#include "core/engine/ComputePrecision.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "core/base/Error.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace mitoseg {

namespace {

struct CpuBf16 {
    bool avx512Bf16 = false;
    bool amxBf16 = false;
    bool avx512Vnni = false;
    bool amxInt8 = false;
};

CpuBf16 probe()
{
    CpuBf16 r;
#if defined(__x86_64__) || defined(__i386__)
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27)))   // OSXSAVE: XGETBV usable
        return r;
    unsigned lo = 0, hi = 0;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    const unsigned long long xcr0 = (static_cast<unsigned long long>(hi) << 32) | lo;
    const bool avx512State = (xcr0 & 0xE6ull) == 0xE6ull;                 // SSE, AVX, opmask, ZMM state
    const bool amxState = (xcr0 & (3ull << 17)) == (3ull << 17);           // TILECFG, TILEDATA
    if (__get_cpuid_max(0, nullptr) < 7)
        return r;
    __get_cpuid_count(7, 0, &a, &b, &c, &d);
    const unsigned maxSubleaf = a;
    const bool avx512f = b & (1u << 16);
    r.amxBf16 = amxState && (d & (1u << 22));
    r.amxInt8 = amxState && (d & (1u << 25));
    r.avx512Vnni = avx512State && avx512f && (c & (1u << 11));
    if (maxSubleaf >= 1) {
        unsigned a1 = 0, b1 = 0, c1 = 0, d1 = 0;
        __get_cpuid_count(7, 1, &a1, &b1, &c1, &d1);
        r.avx512Bf16 = avx512State && avx512f && (a1 & (1u << 5));
    }
#endif
    return r;
}

const CpuBf16& cpu()
{
    static const CpuBf16 value = probe();
    return value;
}

/// True when ONEDNN_MAX_CPU_ISA (or its older name DNNL_MAX_CPU_ISA) keeps oneDNN below its AMX
/// kernels: int8 then runs on the AVX512-VNNI ones, which are sound.
bool oneDnnCappedBelowAmx()
{
    for (const char* name : {"ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA"}) {
        const char* v = std::getenv(name);
        if (!v || !*v)
            continue;
        std::string s(v);
        for (char& ch : s)
            ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        return s != "ALL" && s.find("AMX") == std::string::npos;
    }
    return false;
}

}  // namespace

bool cpuHasNativeBf16()
{
    return cpu().avx512Bf16 || cpu().amxBf16;
}

bool cpuHasAvx512Vnni()
{
    return cpu().avx512Vnni;
}

bool cpuHasAmxInt8()
{
    return cpu().amxInt8;
}

std::string int8Unavailable()
{
    if (cpu().amxInt8 && !oneDnnCappedBelowAmx())
        return "int8 is off on this CPU: oneDNN 2.6's AMX-INT8 convolution corrupts memory on small feature maps "
               "(bfloat16 on AMX-BF16 is the default here; ONEDNN_MAX_CPU_ISA=AVX512_CORE_VNNI allows int8)";
    return {};
}

namespace {

/// MITOSEG_PRECISION=int8 on a CPU where int8 is refused: said once on stderr.
bool int8Refused(const std::string& value)
{
    if (value != "int8" || int8Unavailable().empty())
        return false;
    static std::once_flag once;
    std::call_once(once, [] { std::fprintf(stderr, "warning: MITOSEG_PRECISION=int8 ignored: %s\n", int8Unavailable().c_str()); });
    return true;
}

}  // namespace

std::optional<bool> precisionFromEnvironment()
{
    const char* v = std::getenv("MITOSEG_PRECISION");
    if (!v || !*v)
        return std::nullopt;
    const std::string s(v);
    if (s == "bf16" || s == "bfloat16")
        return true;
    if (int8Refused(s))
        return std::nullopt;
    if (s == "fp32" || s == "float32" || s == "int8")
        return false;
    throw Error("MITOSEG_PRECISION='" + s + "' is not bf16, fp32 or int8");
}

bool defaultBf16()
{
    try {
        if (auto env = precisionFromEnvironment())
            return *env;
    } catch (const Error& e) {
        static std::once_flag once;
        std::call_once(once, [&] { std::fprintf(stderr, "warning: %s; ignored\n", e.what()); });
    }
    return cpuHasNativeBf16();
}

bool defaultInt8()
{
    const char* v = std::getenv("MITOSEG_PRECISION");
    if (v && *v)
        return std::string(v) == "int8" && !int8Refused(v);
    if (!int8Unavailable().empty())
        return false;
    return !cpuHasNativeBf16();
}

std::string describeDefaultPrecision()
{
    const bool bf16 = defaultBf16();
    std::optional<bool> env;
    try {
        env = precisionFromEnvironment();
    } catch (const Error&) {
    }
    std::string why = env ? "MITOSEG_PRECISION" : cpu().amxBf16 ? "AMX-BF16" : cpu().avx512Bf16 ? "AVX512-BF16" : "no bfloat16 instructions";
    return std::string(bf16 ? "bfloat16" : "float32") + " (" + why + ")";
}

}  // namespace mitoseg
