// Writes the .msm fuzzer's seed corpus: containers whose headers describe models (fast, tiny,
// multiclass 2.5D, resize up-sampling, no batch norm) and a training checkpoint, each with a
// weights blob of exactly the size its architecture needs (opaque bytes: the fuzzer checks the
// container and the header, not torch's archive).
// usage: msm_fuzz_seeds OUTPUT_DIR
#include <cstdio>
#include <filesystem>
#include <string>

#include "core/engine/ModelFile.h"
#include "core/engine/ModelSpec.h"

using namespace mitoseg;

namespace {

void seed(const std::filesystem::path& dir, const std::string& name, const UNetConfig& arch, bool checkpoint = false)
{
    ModelSpec spec;
    spec.arch = arch;
    spec.info.classes = arch.classes;
    spec.info.classNames.push_back("background");
    for (int c = 1; c < arch.classes; ++c)
        spec.info.classNames.push_back("class " + std::to_string(c));
    ModelContainer c;
    c.header = spec.toJson();
    if (checkpoint)
        c.header["kind"] = "checkpoint";
    const auto floats = static_cast<std::size_t>(arch.parameterCount() + arch.floatBufferCount());
    c.blobs.push_back(std::string(4 * floats + 8 * static_cast<std::size_t>(arch.batchNormLayers()), '\x01'));
    if (checkpoint)
        c.blobs.push_back("optimizer");
    writeModelContainer(dir / (name + ".msm"), c);
}

}  // namespace

int main(int argc, char** argv)
{
    if (argc != 2) {
        std::fprintf(stderr, "usage: msm_fuzz_seeds OUTPUT_DIR\n");
        return 2;
    }
    const std::filesystem::path dir = argv[1];
    std::filesystem::create_directories(dir);
    UNetConfig tiny = UNetConfig::fromPreset("tiny");
    seed(dir, "tiny", tiny);
    UNetConfig small = tiny;
    small.base = 2;
    small.depth = 1;
    seed(dir, "depth1-base2", small);
    UNetConfig multi = tiny;
    multi.classes = 4;
    multi.inChannels = 3;
    multi.upsampling = Upsampling::Resize;
    multi.batchNorm = false;
    multi.dropout = 0.25;
    seed(dir, "multiclass-2.5d-resize", multi);
    seed(dir, "checkpoint", tiny, true);
    return 0;
}
