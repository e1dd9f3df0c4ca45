#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "core/base/Error.h"
#include "core/engine/ComputePrecision.h"
#include "core/engine/Segmenter.h"
#include "core/engine/Trainer.h"

using namespace mitoseg;

namespace {

// Sets an environment variable (MITOSEG_PRECISION unless named) for one scope and restores what
// was there; nullptr unsets it.
class PrecisionEnv {
public:
    explicit PrecisionEnv(const char* value, const char* name = "MITOSEG_PRECISION") : name_(name)
    {
        if (const char* old = std::getenv(name))
            old_ = old, had_ = true;
        if (value)
            ::setenv(name, value, 1);
        else
            ::unsetenv(name);
    }
    ~PrecisionEnv()
    {
        if (had_)
            ::setenv(name_.c_str(), old_.c_str(), 1);
        else
            ::unsetenv(name_.c_str());
    }

private:
    std::string name_, old_;
    bool had_ = false;
};

}  // namespace

// The CPUID probe must say what the kernel says: /proc/cpuinfo lists avx512_bf16 / amx_bf16
// only when the CPU has them and the kernel enabled their state.
TEST(ComputePrecision, CpuProbeAgreesWithTheKernelsCpuFlags)
{
    std::ifstream in("/proc/cpuinfo");
    if (!in)
        GTEST_SKIP() << "no /proc/cpuinfo";
    std::string line, flags;
    while (std::getline(in, line))
        if (line.rfind("flags", 0) == 0) {
            flags = " " + line.substr(line.find(':') + 1) + " ";
            break;
        }
    if (flags.empty())
        GTEST_SKIP() << "no flags line (not x86)";
    const bool kernelSays = flags.find(" avx512_bf16 ") != std::string::npos || flags.find(" amx_bf16 ") != std::string::npos;
    EXPECT_EQ(cpuHasNativeBf16(), kernelSays) << "flags:" << flags;
    EXPECT_EQ(cpuHasAvx512Vnni(), flags.find(" avx512_vnni ") != std::string::npos) << "flags:" << flags;
    EXPECT_EQ(cpuHasAmxInt8(), flags.find(" amx_int8 ") != std::string::npos) << "flags:" << flags;
}

// int8 is refused exactly where oneDNN would take its AMX-INT8 kernels: on CPUs with AMX-INT8,
// unless ONEDNN_MAX_CPU_ISA (or DNNL_MAX_CPU_ISA) keeps it below AMX.
TEST(ComputePrecision, Int8IsRefusedWhereOneDnnWouldRunItOnAmx)
{
    PrecisionEnv dnnl(nullptr, "DNNL_MAX_CPU_ISA");
    {
        PrecisionEnv isa(nullptr, "ONEDNN_MAX_CPU_ISA");
        EXPECT_EQ(int8Unavailable().empty(), !cpuHasAmxInt8()) << int8Unavailable();
        if (cpuHasAmxInt8()) {
            EXPECT_NE(int8Unavailable().find("AMX-INT8"), std::string::npos) << int8Unavailable();
        }
    }
    for (const char* v : {"AVX512_CORE_VNNI", "avx512_core_bf16", "AVX2"}) {
        PrecisionEnv isa(v, "ONEDNN_MAX_CPU_ISA");
        EXPECT_TRUE(int8Unavailable().empty()) << v;
    }
    for (const char* v : {"AVX512_CORE_AMX", "all", ""}) {
        PrecisionEnv isa(v, "ONEDNN_MAX_CPU_ISA");
        EXPECT_EQ(int8Unavailable().empty(), !cpuHasAmxInt8()) << v;
    }
    PrecisionEnv isa(nullptr, "ONEDNN_MAX_CPU_ISA");
    PrecisionEnv older("AVX512_CORE_VNNI", "DNNL_MAX_CPU_ISA");
    EXPECT_TRUE(int8Unavailable().empty());
}

TEST(ComputePrecision, DefaultFollowsTheCpuUnlessTheEnvironmentSaysOtherwise)
{
    {
        PrecisionEnv env(nullptr);
        EXPECT_FALSE(precisionFromEnvironment().has_value());
        EXPECT_EQ(defaultBf16(), cpuHasNativeBf16());
        EXPECT_EQ(TrainConfig{}.bf16, cpuHasNativeBf16());
        EXPECT_EQ(PredictOptions{}.bf16, cpuHasNativeBf16());
        // without bfloat16, `mitoseg predict` runs in 8 bits (never where int8 is refused)
        EXPECT_EQ(defaultInt8(), !cpuHasNativeBf16() && int8Unavailable().empty());
        EXPECT_FALSE(PredictOptions{}.int8);               // the library's (and the studio's) default is float
        EXPECT_NE(describeDefaultPrecision().find(cpuHasNativeBf16() ? "bfloat16" : "float32 (no bfloat16 instructions)"),
                  std::string::npos)
            << describeDefaultPrecision();
    }
    for (const char* v : {"fp32", "float32"}) {
        PrecisionEnv env(v);
        EXPECT_FALSE(defaultBf16()) << v;
        EXPECT_FALSE(TrainConfig{}.bf16) << v;
        EXPECT_FALSE(TrainConfig{}.channelsLast) << v;   // float32 trains faster NCHW
        EXPECT_FALSE(PredictOptions{}.bf16) << v;
        EXPECT_FALSE(defaultInt8()) << v;
        EXPECT_EQ(describeDefaultPrecision(), "float32 (MITOSEG_PRECISION)");
    }
    if (int8Unavailable().empty()) {
        PrecisionEnv env("int8");   // prediction in 8 bits, training in float32
        EXPECT_FALSE(defaultBf16());
        EXPECT_TRUE(defaultInt8());
        EXPECT_FALSE(TrainConfig{}.bf16);
        EXPECT_FALSE(PredictOptions{}.bf16);
        EXPECT_EQ(describeDefaultPrecision(), "float32 (MITOSEG_PRECISION)");
    } else {
        PrecisionEnv env("int8");   // refused here: the CPU's own default, as if unset
        EXPECT_FALSE(precisionFromEnvironment().has_value());
        EXPECT_FALSE(defaultInt8());
        EXPECT_EQ(defaultBf16(), cpuHasNativeBf16());
        EXPECT_EQ(TrainConfig{}.bf16, cpuHasNativeBf16());
        EXPECT_EQ(PredictOptions{}.bf16, cpuHasNativeBf16());
        EXPECT_EQ(describeDefaultPrecision().find("MITOSEG_PRECISION"), std::string::npos) << describeDefaultPrecision();
    }
    for (const char* v : {"bf16", "bfloat16"}) {
        PrecisionEnv env(v);
        EXPECT_TRUE(defaultBf16()) << v;
        EXPECT_TRUE(TrainConfig{}.bf16) << v;
        EXPECT_TRUE(PredictOptions{}.bf16) << v;
        EXPECT_FALSE(defaultInt8()) << v;
    }
}

TEST(ComputePrecision, AnInvalidValueIsNamedAndIgnored)
{
    PrecisionEnv env("fp16");
    try {
        (void)precisionFromEnvironment();
        FAIL() << "no error for fp16";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("MITOSEG_PRECISION='fp16'"), std::string::npos) << e.what();
    }
    EXPECT_EQ(defaultBf16(), cpuHasNativeBf16());
}
