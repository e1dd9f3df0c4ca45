#include "core/engine/ModelSpec.h"

#include <cmath>
#include <ctime>

#include "core/base/Error.h"

namespace mitoseg {

ModelSpec ModelSpec::fromContainer(const ModelContainer& c, const std::filesystem::path& path)
{
    ModelSpec spec = fromJson(c.header, path);
    if (c.blobs.size() != 1)
        throw IoError(IoError::Kind::BadModel, path, -1, "expected one weight blob, found " + std::to_string(c.blobs.size()));
    // Bound the architecture by what the blob can hold before anything is built: torch::save
    // stores every float of the parameters and batch-norm statistics uncompressed.
    const UNetConfig& arch = spec.arch;
    const std::int64_t floats = arch.parameterCount() + arch.floatBufferCount();
    const std::uint64_t needed = 4 * static_cast<std::uint64_t>(floats) + 8 * static_cast<std::uint64_t>(arch.batchNormLayers());
    if (c.blobs[0].size() < needed)
        throw IoError(IoError::Kind::BadModel, path, -1,
                      "the header's architecture (depth " + std::to_string(arch.depth) + ", base " + std::to_string(arch.base) +
                          ") has " + std::to_string(arch.parameterCount()) + " parameters (" + std::to_string(needed) +
                          " bytes of weights) but the weights blob holds only " + std::to_string(c.blobs[0].size()) + " bytes");
    return spec;
}

const char* engineVersion() { return "0.1.0"; }

std::string utcNow()
{
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

Json ModelSpec::toJson() const
{
    Json j = Json::object();
    j["kind"] = "model";
    Json a = Json::object();
    a["preset"] = arch.preset;
    a["in_channels"] = arch.inChannels;
    a["classes"] = arch.classes;
    a["depth"] = arch.depth;
    a["base"] = arch.base;
    a["batch_norm"] = arch.batchNorm;
    a["dropout"] = arch.dropout;
    a["upsampling"] = upsamplingName(arch.upsampling);
    j["architecture"] = a;
    Json n = Json::object();
    n["mean"] = norm.mean;
    n["std"] = norm.std;
    j["normalisation"] = n;
    j["threshold"] = static_cast<double>(info.threshold);
    j["z_smooth"] = info.zSmooth;
    j["min_object_voxels"] = info.minObjectVoxels;
    Json names = Json::array();
    for (const auto& s : info.classNames)
        names.push(Json(s));
    j["class_names"] = names;
    Json t = Json::object();
    t["data"] = info.trainedOn;
    if (!info.recipe.empty())
        t["recipe"] = info.recipe;
    t["steps"] = info.steps;
    t["validation_iou"] = info.validationIoU;
    t["date"] = info.date;
    t["version"] = info.version;
    j["training"] = t;
    return j;
}

ModelSpec ModelSpec::fromJson(const Json& j, const std::filesystem::path& path)
{
    auto bad = [&](const std::string& what) { return IoError(IoError::Kind::BadModel, path, -1, what); };
    try {
        if (j.string("kind", "") != "model")
            throw bad("not a model (header kind is '" + j.string("kind", "") + "')");
        const Json* a = j.find("architecture");
        if (!a || !a->isObject())
            throw bad("header has no architecture");
        auto integer = [&](const Json& o, const std::string& key, double fallback) {
            double v = o.number(key, fallback);
            if (std::fabs(v) > 1e6 || v != std::floor(v))
                throw bad("'" + key + "' is not a small integer");
            return static_cast<int>(v);
        };
        ModelSpec s;
        s.arch.preset = a->string("preset", "custom");
        s.arch.inChannels = integer(*a, "in_channels", 1);
        s.arch.classes = integer(*a, "classes", 2);
        s.arch.depth = integer(*a, "depth", 4);
        s.arch.base = integer(*a, "base", 16);
        s.arch.batchNorm = a->boolean("batch_norm", true);
        s.arch.dropout = a->number("dropout", 0.0);
        s.arch.upsampling = parseUpsampling(a->string("upsampling", "transposed"));
        s.arch.validate();
        if (const Json* n = j.find("normalisation")) {
            s.norm.mean = n->number("mean", 0.0);
            s.norm.std = n->number("std", 1.0);
        }
        if (!(s.norm.std > 1e-12) || !std::isfinite(s.norm.mean))
            throw bad("bad normalisation");
        s.info.preset = s.arch.preset;
        s.info.classes = s.arch.classes;
        s.info.threshold = static_cast<float>(j.number("threshold", 0.5));
        if (!(s.info.threshold > 0.0f && s.info.threshold < 1.0f))
            throw bad("threshold must be in (0, 1)");
        double zs = j.number("z_smooth", 0);
        if (zs < 0 || zs > 16 || zs != std::floor(zs))
            throw bad("z_smooth must be an integer in 0..16");
        s.info.zSmooth = static_cast<int>(zs);
        double mo = j.number("min_object_voxels", 0);
        if (mo < 0 || mo > 1e12 || mo != std::floor(mo))
            throw bad("min_object_voxels must be a non-negative integer");
        s.info.minObjectVoxels = static_cast<std::int64_t>(mo);
        if (const Json* names = j.find("class_names"))
            for (const auto& n : names->items())
                s.info.classNames.push_back(n.string());
        if (s.info.classNames.empty()) {
            s.info.classNames.push_back("background");
            for (int c = 1; c < s.arch.classes; ++c)
                s.info.classNames.push_back(s.arch.classes == 2 ? "mitochondria" : "class " + std::to_string(c));
        }
        if (static_cast<int>(s.info.classNames.size()) != s.arch.classes)
            throw bad("class_names has " + std::to_string(s.info.classNames.size()) + " names for " +
                      std::to_string(s.arch.classes) + " classes");
        if (const Json* t = j.find("training")) {
            s.info.trainedOn = t->string("data", "");
            s.info.recipe = t->string("recipe", "");
            s.info.steps = static_cast<std::int64_t>(t->number("steps", 0));
            s.info.validationIoU = t->number("validation_iou", 0.0);
            s.info.date = t->string("date", "");
            s.info.version = t->string("version", "");
        }
        return s;
    } catch (const IoError&) {
        throw;
    } catch (const Error& e) {
        throw bad(std::string("bad header: ") + e.what());
    }
}

}  // namespace mitoseg
