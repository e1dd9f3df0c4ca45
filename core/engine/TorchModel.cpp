#include "core/engine/TorchModel.h"

#include <sstream>

#include "core/base/Error.h"
#include "core/engine/ModelFile.h"

namespace mitoseg {

std::string serializeModule(torch::nn::Module& module)
{
    std::ostringstream s;
    torch::serialize::OutputArchive archive;
    module.save(archive);
    archive.save_to(s);
    return s.str();
}

void deserializeNet(UNet& net, const std::string& bytes, const std::filesystem::path& path)
{
    std::vector<std::pair<std::string, torch::Tensor>> expected;
    for (const auto& p : net->named_parameters())
        expected.emplace_back(p.key(), torch::empty(p.value().sizes(), p.value().options()));
    for (const auto& b : net->named_buffers())
        expected.emplace_back(b.key(), torch::empty(b.value().sizes(), b.value().options()));
    try {
        std::istringstream s(bytes);
        torch::serialize::InputArchive archive;
        archive.load_from(s);
        net->load(archive);
    } catch (const std::exception& e) {
        std::string what = e.what();
        if (what.size() > 300)
            what = what.substr(0, 300) + "...";
        throw IoError(IoError::Kind::BadModel, path, -1, "weights do not match the architecture: " + what);
    }
    auto check = [&](const std::string& name, const torch::Tensor& t) {
        for (const auto& [key, ref] : expected)
            if (key == name) {
                if (t.sizes() != ref.sizes() || t.scalar_type() != ref.scalar_type())
                    throw IoError(IoError::Kind::BadModel, path, -1,
                                  "tensor '" + name + "' has the wrong shape or type for the architecture in the header");
                if (t.is_floating_point() && !torch::isfinite(t).all().item<bool>())
                    throw IoError(IoError::Kind::BadModel, path, -1,
                                  "tensor '" + name + "' holds values that are not finite (NaN or infinity)");
                return;
            }
        throw IoError(IoError::Kind::BadModel, path, -1, "unexpected tensor '" + name + "'");
    };
    for (const auto& p : net->named_parameters())
        check(p.key(), p.value());
    for (const auto& b : net->named_buffers())
        check(b.key(), b.value());
}

void saveModel(const std::filesystem::path& path, const ModelSpec& spec, UNet& net)
{
    ModelContainer c;
    c.header = spec.toJson();
    c.blobs.push_back(serializeModule(*net));
    writeModelContainer(path, c);
}

LoadedModel loadModel(const std::filesystem::path& path)
{
    ModelContainer c = readModelContainer(path);
    LoadedModel m;
    m.spec = ModelSpec::fromContainer(c, path);   // header, blob count, architecture vs blob size
    m.net = UNet(m.spec.arch);
    deserializeNet(m.net, c.blobs[0], path);
    setChannelsLast(*m.net, false);
    m.net->eval();
    m.spec.info.parameters = m.net->parameterCount();
    return m;
}

void setChannelsLast(torch::nn::Module& module, bool channelsLast)
{
    torch::NoGradGuard guard;
    auto fmt = channelsLast ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous;
    for (auto& p : module.parameters())
        if (p.dim() == 4)
            p.set_data(p.data().contiguous(fmt));
}

}  // namespace mitoseg
