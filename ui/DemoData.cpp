// Temporary generator until core/demo lands: dark elongated "mitochondria" with a bright
// inner texture in a noisy grey neuropil with a few membranes.
#include "ui/DemoData.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace mitoseg::ui {

DemoVolumes makeDemoVolumes(Shape shape, unsigned seed)
{
    DemoVolumes out{VolumeU8(shape, 0), VolumeU8(shape, 0)};
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> uni(0.0, 1.0);
    struct Blob {
        double x, y, z, a, b, c, angle;
    };
    std::vector<Blob> blobs;
    const int count = static_cast<int>(std::max<std::int64_t>(4, shape.height * shape.width / 18000));
    for (int i = 0; i < count; ++i)
        blobs.push_back({uni(rng) * shape.width, uni(rng) * shape.height, uni(rng) * shape.depth, 25 + 45 * uni(rng),
                         12 + 14 * uni(rng), 6 + 0.6 * shape.depth * uni(rng), uni(rng) * 3.14159});
    std::normal_distribution<double> noise(0.0, 9.0);
    for (std::int64_t z = 0; z < shape.depth; ++z)
        for (std::int64_t y = 0; y < shape.height; ++y)
            for (std::int64_t x = 0; x < shape.width; ++x) {
                double v = 150 + 12 * std::sin(x * 0.021 + z * 0.05) * std::cos(y * 0.017);
                // Membranes: thin dark curves.
                const double m = std::sin(x * 0.013 + 2.1 * std::sin(y * 0.009 + z * 0.02)) * std::cos(y * 0.011);
                if (std::abs(m) < 0.025)
                    v -= 70;
                std::uint8_t label = 0;
                for (const Blob& bl : blobs) {
                    const double dx = x - bl.x, dy = y - bl.y, dz = (z - bl.z) / bl.c;
                    if (std::abs(dx) > bl.a || std::abs(dy) > bl.a || std::abs(dz) > 1.0)
                        continue;
                    const double u = (dx * std::cos(bl.angle) + dy * std::sin(bl.angle)) / bl.a;
                    const double w = (-dx * std::sin(bl.angle) + dy * std::cos(bl.angle)) / bl.b;
                    const double r2 = u * u + w * w + dz * dz;
                    if (r2 < 1.0) {
                        label = 1;
                        v = r2 > 0.8 ? 55 : 95 + 25 * std::sin(u * 14.0);
                        break;
                    }
                }
                out.truth(z, y, x) = label;
                out.image(z, y, x) = static_cast<std::uint8_t>(std::clamp(v + noise(rng), 0.0, 255.0));
            }
    out.image.spacing = Spacing{5, 5, 5, "nm"};
    out.truth.spacing = out.image.spacing;
    return out;
}

}  // namespace mitoseg::ui
