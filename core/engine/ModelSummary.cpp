#include "core/engine/ModelSummary.h"

#include <sstream>

#include "core/engine/Json.h"
#include "core/engine/ModelFile.h"
#include "core/engine/Segmenter.h"

namespace mitoseg {

namespace {

std::string number(double v)
{
    std::ostringstream out;
    out.precision(12);
    out << v;
    return out.str();
}

}  // namespace

std::vector<ModelField> describeModelFile(const std::filesystem::path& path)
{
    ModelContainer c = readModelContainer(path);
    const auto seg = Segmenter::load(path);   // full validation, parameter count
    const ModelInfo& mi = seg->info();
    const Json& arch = c.header["architecture"];
    const std::string chosenOn = c.header.string("post_processing_chosen_on", "");
    std::string names;
    for (const auto& n : mi.classNames)
        names += (names.empty() ? "" : ", ") + n;
    std::ostringstream a;
    a << "U-Net preset " << mi.preset << ", depth " << arch.number("depth", 0) << ", base " << arch.number("base", 0) << ", "
      << arch.string("upsampling", "?") << " up-sampling, " << arch.number("in_channels", 1) << " input slice(s), " << mi.parameters
      << " parameters";
    std::ostringstream post;
    if (mi.classes == 2)
        post << "z-smoothing +-" << mi.zSmooth << ", threshold " << mi.threshold << ", smallest object " << mi.minObjectVoxels
             << " voxels" << (chosenOn.empty() ? "" : " (chosen on " + chosenOn + ")");
    else
        post << "arg-max";
    return {
        {"model", path.string()},
        {"architecture", a.str()},
        {"classes", names},
        {"post-processing", post.str()},
        {"trained on", mi.trainedOn},
        {"recipe", mi.recipe.empty() ? std::string("not recorded") : mi.recipe},
        {"steps", std::to_string(mi.steps)},
        {"validation IoU", mi.validationIoU >= 0 ? number(mi.validationIoU) : std::string("not measured")},
        {"date, version", mi.date + ", " + mi.version},
    };
}

}  // namespace mitoseg
