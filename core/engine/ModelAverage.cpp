#include "core/engine/ModelAverage.h"

#include <algorithm>

#include "core/base/Error.h"
#include "core/engine/TorchModel.h"

namespace mitoseg {

namespace {

bool sameArchitecture(const UNetConfig& a, const UNetConfig& b)
{
    return a.inChannels == b.inChannels && a.classes == b.classes && a.depth == b.depth && a.base == b.base &&
           a.batchNorm == b.batchNorm && a.dropout == b.dropout && a.upsampling == b.upsampling;
}

}  // namespace

void averageModels(const std::vector<std::filesystem::path>& models, const std::filesystem::path& out)
{
    if (models.size() < 2)
        throw Error("averaging needs at least two models");
    LoadedModel sum = loadModel(models.front());
    torch::NoGradGuard guard;
    // Accumulate in float64 so the mean does not depend on the order of the models.
    std::vector<torch::Tensor> acc;
    auto tensors = [](UNet& net) {
        std::vector<torch::Tensor> t;
        for (auto& p : net->named_parameters())
            t.push_back(p.value());
        for (auto& b : net->named_buffers())
            t.push_back(b.value());
        return t;
    };
    for (auto& t : tensors(sum.net))
        acc.push_back(t.is_floating_point() ? t.to(torch::kFloat64) : t.clone());
    ModelSpec last = sum.spec;
    for (std::size_t i = 1; i < models.size(); ++i) {
        LoadedModel m = loadModel(models[i]);
        if (!sameArchitecture(m.spec.arch, sum.spec.arch))
            throw IoError(IoError::Kind::BadModel, models[i], -1,
                          "its architecture differs from " + models.front().filename().string() + "'s; only models of one run can be averaged");
        if (m.spec.norm.mean != sum.spec.norm.mean || m.spec.norm.std != sum.spec.norm.std)
            throw IoError(IoError::Kind::BadModel, models[i], -1,
                          "its input normalisation differs from " + models.front().filename().string() + "'s");
        auto ts = tensors(m.net);
        for (std::size_t k = 0; k < ts.size(); ++k) {
            if (ts[k].is_floating_point())
                acc[k] += ts[k].to(torch::kFloat64);
            else
                acc[k] = ts[k].clone();   // counters (num_batches_tracked): the last model's
        }
        last = m.spec;
    }
    auto target = tensors(sum.net);
    const double n = static_cast<double>(models.size());
    for (std::size_t k = 0; k < target.size(); ++k)
        target[k].copy_(acc[k].is_floating_point() ? (acc[k] / n).to(target[k].scalar_type()) : acc[k]);
    std::string names;
    for (const auto& p : models)
        names += (names.empty() ? "" : ", ") + p.filename().string();
    last.info.trainedOn += "; weights averaged over " + std::to_string(models.size()) + " models (" + names + ")";
    last.info.validationIoU = -1;
    last.info.date = utcNow();
    last.info.version = engineVersion();
    saveModel(out, last, sum.net);
}

double maxWeightDifference(const std::filesystem::path& a, const std::filesystem::path& b)
{
    LoadedModel ma = loadModel(a), mb = loadModel(b);
    if (!sameArchitecture(ma.spec.arch, mb.spec.arch))
        throw IoError(IoError::Kind::BadModel, b, -1, "architecture differs from " + a.string());
    torch::NoGradGuard guard;
    double worst = 0;
    auto pb = mb.net->named_parameters();
    for (auto& p : ma.net->named_parameters())
        worst = std::max(worst, (p.value() - pb[p.key()]).abs().max().item<double>());
    auto bb = mb.net->named_buffers();
    for (auto& buf : ma.net->named_buffers())
        if (buf.value().is_floating_point())
            worst = std::max(worst, (buf.value() - bb[buf.key()]).abs().max().item<double>());
    return worst;
}

}  // namespace mitoseg
