#include <cstdio>
#include <iostream>
#include <sstream>

#include "app/cli/Args.h"
#include "app/cli/Command.h"
#include "core/base/InputFile.h"
#include "core/engine/Json.h"
#include "core/engine/ModelFile.h"
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
    ModelContainer c = readModelContainer(path);
    auto seg = Segmenter::load(path);   // full validation, parameter count
    const ModelInfo& mi = seg->info();
    if (json) {
        Json j = c.header;
        j["path"] = path.string();
        j["parameters"] = mi.parameters;
        std::cout << j.dump() << "\n";
        return 0;
    }
    const Json& arch = c.header["architecture"];
    const std::string chosenOn = c.header.string("post_processing_chosen_on", "");
    std::string names;
    for (const auto& n : mi.classNames)
        names += (names.empty() ? "" : ", ") + n;
    std::cout << "model:           " << path.string() << "\n"
              << "architecture:    U-Net preset " << mi.preset << ", depth " << arch.number("depth", 0) << ", base "
              << arch.number("base", 0) << ", " << arch.string("upsampling", "?") << " up-sampling, "
              << arch.number("in_channels", 1) << " input slice(s), " << mi.parameters << " parameters\n"
              << "classes:         " << names << "\n"
              << "post-processing: ";
    if (mi.classes == 2)
        std::cout << "z-smoothing +-" << mi.zSmooth << ", threshold " << mi.threshold << ", smallest object "
                  << mi.minObjectVoxels << " voxels" << (chosenOn.empty() ? "" : " (chosen on " + chosenOn + ")") << "\n";
    else
        std::cout << "arg-max\n";
    std::cout << "trained on:      " << mi.trainedOn << "\n"
              << "steps:           " << mi.steps << "\n"
              << "validation IoU:  " << (mi.validationIoU >= 0 ? number(mi.validationIoU) : std::string("not measured")) << "\n"
              << "date, version:   " << mi.date << ", " << mi.version << "\n";
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
