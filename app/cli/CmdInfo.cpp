#include <cstdio>
#include <iostream>
#include <sstream>

#include "app/cli/Args.h"
#include "app/cli/Command.h"
#include "core/base/InputFile.h"
#include "core/engine/Json.h"
#include "core/engine/ModelFile.h"
#include "core/engine/ModelSummary.h"
#include "core/engine/Segmenter.h"
#include "core/io/TiffStack.h"

namespace mitoseg::cli {

namespace {

/// A JSON string literal (quoted and escaped) for the --json output.
std::string jsonString(const std::string& s) { return Json(s).dump(); }

std::string number(double v)
{
    std::ostringstream out;
    out.precision(12);
    out << v;
    return out.str();
}

std::string megabytes(std::uint64_t bytes)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / 1e6);
    return buf;
}

/// True when `path` is a regular file starting with the model-file magic (never blocks: a FIFO
/// or device is not a model, and TiffStack::open then says what it is).
bool isModelFile(const std::filesystem::path& path) { return startsWith(path, "MITOSEGM"); }

int describeModel(const std::filesystem::path& path, bool json)
{
    if (json) {
        ModelContainer c = readModelContainer(path);
        auto seg = Segmenter::load(path);   // full validation, parameter count
        Json j = c.header;
        j["path"] = path.string();
        j["parameters"] = seg->info().parameters;
        std::cout << j.dump() << "\n";
        return 0;
    }
    for (const ModelField& f : describeModelFile(path)) {
        const std::string label = f.label + ":";
        std::cout << label << std::string(label.size() < 17 ? 17 - label.size() : 1, ' ') << f.value << "\n";
    }
    return 0;
}

int run(const std::vector<std::string>& words)
{
    Args args(words, {}, {"json"});
    args.expectPositionals(1, 1);
    if (isModelFile(args.positionals()[0]))
        return describeModel(args.positionals()[0], args.flag("json"));
    const auto stack = TiffStack::open(args.positionals()[0]);
    const StackInfo& in = stack->info();
    if (args.flag("json")) {
        std::cout << "{\"path\": " << jsonString(in.path.string()) << ", \"shape\": [" << in.shape.depth << ", "
                  << in.shape.height << ", " << in.shape.width << "], \"dtype\": \"" << dtypeName(in.dtype)
                  << "\", \"spacing\": [" << number(in.spacing.z) << ", " << number(in.spacing.y) << ", "
                  << number(in.spacing.x) << "], \"unit\": " << jsonString(in.spacing.unit)
                  << ", \"compression\": " << jsonString(in.compression) << ", \"tiled\": " << (in.tiled ? "true" : "false")
                  << ", \"bigtiff\": " << (in.bigTiff ? "true" : "false") << ", \"data_bytes\": " << in.dataBytes()
                  << ", \"file_bytes\": " << in.fileBytes << "}\n";
        return 0;
    }
    std::cout << "file:        " << in.path.string() << "\n"
              << "shape:       " << in.shape.depth << " x " << in.shape.height << " x " << in.shape.width
              << " (z, y, x)\n"
              << "dtype:       " << dtypeName(in.dtype) << "\n"
              << "spacing:     " << number(in.spacing.z) << " x " << number(in.spacing.y) << " x " << number(in.spacing.x)
              << " " << in.spacing.unit << " (z, y, x)\n"
              << "compression: " << in.compression << "\n"
              << "tiled:       " << (in.tiled ? "yes" : "no") << "\n"
              << "bigtiff:     " << (in.bigTiff ? "yes" : "no") << "\n"
              << "data bytes:  " << in.dataBytes() << " (" << megabytes(in.dataBytes()) << ")\n"
              << "file bytes:  " << in.fileBytes << " (" << megabytes(in.fileBytes) << ")\n";
    return 0;
}

}  // namespace

const Command kInfoCommand{
    "info", "print shape, type, spacing and layout of a TIFF stack, or what a model file holds",
    "usage: mitoseg info STACK.tif|MODEL.msm [--json]\n"
    "\n"
    "Opens a multi-page grayscale TIFF (uint8, uint16 or float32; classic or BigTIFF; striped or\n"
    "tiled; uncompressed, LZW, Deflate or PackBits) without decoding its pixels and prints:\n"
    "  shape (z, y, x), dtype, voxel spacing and unit (from ImageJ metadata or resolution tags),\n"
    "  compression, whether pages are tiled, whether it is BigTIFF, bytes of voxel data and\n"
    "  bytes on disk.\n"
    "\n"
    "options:\n"
    "  --json    print one JSON object instead of text (keys: path, shape, dtype, spacing,\n"
    "            unit, compression, tiled, bigtiff, data_bytes, file_bytes)\n"
    "\n"
    "For a model file (.msm): architecture, parameters, classes, post-processing and training\n"
    "metadata (--json: the file's header plus \"parameters\").\n"
    "\n"
    "Exit status 1 with a message naming the file (and page) when it cannot be read.\n",
    &run};

}  // namespace mitoseg::cli
