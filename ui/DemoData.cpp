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
    DemoVolumes out{std::move(demo.image), std::move(demo.labels), std::move(demo.classNames)};
    out.truth.spacing = out.image.spacing;
    return out;
}

}  // namespace mitoseg::ui
