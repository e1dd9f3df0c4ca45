#include "ui/DemoData.h"

#include "core/demo/DemoStack.h"

namespace mitoseg::ui {

DemoVolumes makeDemoVolumes(Shape shape, unsigned seed)
{
    DemoOptions options;
    options.depth = shape.depth;
    options.height = shape.height;
    options.width = shape.width;
    options.seed = seed;
    DemoStack demo = generateDemoStack(options);
    DemoVolumes out{std::move(demo.image), VolumeU8(shape, 0)};
    out.truth.spacing = out.image.spacing;
    const auto& labels = demo.labels.values();
    auto& truth = out.truth.values();
    for (std::size_t i = 0; i < labels.size(); ++i)
        truth[i] = labels[i] == kDemoMitochondrion ? 1 : 0;
    return out;
}

}  // namespace mitoseg::ui
