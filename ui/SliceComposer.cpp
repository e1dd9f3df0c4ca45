#include "ui/SliceComposer.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <vector>

#include "ui/LayerSettings.h"
#include "ui/StudioDocument.h"

namespace mitoseg::ui {

namespace {

using Table = std::array<std::uint32_t, 256>;  // premultiplied-ish: (alpha << 24) | rgb

std::uint32_t pack(int a, const QColor& c) { return (static_cast<std::uint32_t>(a) << 24) | (c.rgb() & 0xffffffu); }

inline std::uint32_t blend(std::uint32_t dst, std::uint32_t src)
{
    const std::uint32_t a = src >> 24;
    if (a == 0)
        return dst;
    const std::uint32_t ia = 255 - a;
    const std::uint32_t r = (((dst >> 16) & 0xff) * ia + ((src >> 16) & 0xff) * a) / 255;
    const std::uint32_t g = (((dst >> 8) & 0xff) * ia + ((src >> 8) & 0xff) * a) / 255;
    const std::uint32_t b = ((dst & 0xff) * ia + (src & 0xff) * a) / 255;
    return 0xff000000u | (r << 16) | (g << 8) | b;
}

inline std::uint64_t load8(const std::uint8_t* p)
{
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}

// Blends row y (columns x0..x1) of a label (or probability) plane through `table` into `line`.
// With `outline`, only the boundary is drawn, two voxels wide so it stays visible when the
// view is zoomed out: voxels with a 4-neighbour of a different value, on both sides.
void overlayRow(std::uint32_t* line, const std::uint8_t* plane, int w, int h, int y, int x0, int x1, const Table& table,
                bool outline)
{
    const std::uint8_t* row = plane + static_cast<std::ptrdiff_t>(y) * w;
    if (!outline) {
        for (int x = x0; x <= x1;) {
            if (x + 8 <= x1 + 1 && load8(row + x) == 0) {   // most of a slice is background
                x += 8;
                continue;
            }
            if (row[x] != 0)
                line[x] = blend(line[x], table[row[x]]);
            ++x;
        }
        return;
    }
    const std::uint8_t* up = y > 0 ? row - w : row;
    const std::uint8_t* down = y + 1 < h ? row + w : row;
    for (int x = x0; x <= x1;) {
        // Skip 8 voxels at once when they and their neighbours are all background.
        if (x > 0 && x + 9 <= w && x + 8 <= x1 + 1
            && (load8(row + x - 1) | load8(row + x + 1) | load8(up + x) | load8(down + x)) == 0) {
            x += 8;
            continue;
        }
        const std::uint8_t v = row[x];
        const std::uint8_t l = x > 0 ? row[x - 1] : v, r = x + 1 < w ? row[x + 1] : v;
        const std::uint8_t u = y > 0 ? up[x] : v, d = y + 1 < h ? down[x] : v;
        if (v != 0) {
            if (l != v || r != v || u != v || d != v || x == 0 || y == 0 || x + 1 == w || y + 1 == h)
                line[x] = blend(line[x], table[v]);
        } else if (l | r | u | d) {
            const std::uint8_t n = l ? l : r ? r : u ? u : d;
            line[x] = blend(line[x], table[n]);
        }
        ++x;
    }
}

Table labelTable(const OverlayStyle& s, const StudioDocument& doc, bool useClassColours)
{
    Table t{};
    const int a = std::clamp(s.outline ? std::max(s.opacity, 80) : s.opacity, 0, 100) * 255 / 100;
    const auto& classes = doc.mask().classes();
    for (int v = 1; v < 256; ++v) {
        QColor c = s.color;
        // Binary masks keep the layer colour; multi-class masks show each class in its own.
        if (useClassColours && v < static_cast<int>(classes.size()) && (v >= 2 || classes.size() > 2))
            c = QColor(classes[static_cast<std::size_t>(v)].r, classes[static_cast<std::size_t>(v)].g,
                       classes[static_cast<std::size_t>(v)].b);
        t[static_cast<std::size_t>(v)] = pack(a, c);
    }
    return t;
}

// Heat map: transparent at p = 0, opaque from p = 0.6, colours from SliceComposer::heatColour.
Table heatTable(const OverlayStyle& s)
{
    Table t{};
    for (int v = 1; v < 256; ++v) {
        const double p = v / 255.0;
        const int a = static_cast<int>(std::min(1.0, p * 1.6) * s.opacity * 255 / 100);
        t[static_cast<std::size_t>(v)] = pack(a, SliceComposer::heatColour(p));
    }
    return t;
}

}  // namespace

QRgb SliceComposer::unreadablePixel(int x, int y)
{
    return ((x + y) / 4) % 2 == 0 ? qRgb(58, 30, 34) : qRgb(34, 22, 26);
}

QColor SliceComposer::heatColour(double p)
{
    p = std::clamp(p, 0.0, 1.0);
    // Three stops: deep purple, magenta, pale pink.
    struct Stop {
        double r, g, b;
    };
    static constexpr Stop stops[3] = {{70, 0, 130}, {225, 20, 170}, {255, 205, 240}};
    const Stop& a = p < 0.5 ? stops[0] : stops[1];
    const Stop& b = p < 0.5 ? stops[1] : stops[2];
    const double f = p < 0.5 ? p * 2.0 : p * 2.0 - 1.0;
    return QColor(static_cast<int>(a.r + (b.r - a.r) * f), static_cast<int>(a.g + (b.g - a.g) * f),
                  static_cast<int>(a.b + (b.b - a.b) * f));
}

void SliceComposer::compose(const StudioDocument& doc, const LayerSettings& layers, std::int64_t z, QImage& out,
                            QRect region)
{
    if (!doc.hasImage())
        return;
    const Shape s = doc.shape();
    const int w = static_cast<int>(s.width), h = static_cast<int>(s.height);
    if (out.width() != w || out.height() != h || out.format() != QImage::Format_RGB32) {
        out = QImage(w, h, QImage::Format_RGB32);
        region = QRect();
    }
    const QRect full(0, 0, w, h);
    const QRect r = region.isValid() ? region.intersected(full) : full;
    if (r.isEmpty())
        return;

    // Which overlays to draw, bottom to top.
    struct Pass {
        labels::SliceRef plane;   // held while composing
        Table table;
        bool outline;
    };
    std::vector<Pass> passes;
    const OverlayStyle& ps = layers.style(Layer::Prediction);
    if (ps.visible && doc.hasPrediction(z)) {
        if (layers.predictionHeatmap())
            passes.push_back({doc.predictionProbability(z), heatTable(ps), false});
        else
            // A multi-class prediction shows each class in its class colour (as the mask does),
            // or membrane and mitochondria would look alike; binary ones keep the layer colour.
            passes.push_back({doc.predictionLabels(z), labelTable(ps, doc, doc.classes().size() > 2), ps.outline});
    }
    const OverlayStyle& ms = layers.style(Layer::Mask);
    if (ms.visible)
        passes.push_back({doc.mask().labels().slice(z), labelTable(ms, doc, true), ms.outline});
    const OverlayStyle& rs = layers.style(Layer::Reference);
    if (rs.visible && doc.reference())
        passes.push_back({doc.reference()->slice(z), labelTable(rs, doc, false), rs.outline});

    // Row by row (cache-friendly): grey levels through a linear window, then the overlays. A
    // slice that cannot be read shows the unreadable pattern under its overlays.
    const float* img = doc.image()->trySlice(z);
    const float lo = layers.levelLow();
    const float scale = 255.f / (layers.levelHigh() - layers.levelLow());
    const bool showImage = layers.imageVisible();
    for (int y = r.top(); y <= r.bottom(); ++y) {
        auto* line = reinterpret_cast<std::uint32_t*>(out.scanLine(y));
        if (!img) {
            for (int x = r.left(); x <= r.right(); ++x)
                line[x] = unreadablePixel(x, y);
        } else if (showImage) {
            const float* row = img + static_cast<std::ptrdiff_t>(y) * w;
            for (int x = r.left(); x <= r.right(); ++x) {
                const auto gi = static_cast<std::uint32_t>(std::clamp((row[x] - lo) * scale, 0.f, 255.f));
                line[x] = 0xff000000u | gi * 0x010101u;
            }
        } else {
            std::fill(line + r.left(), line + r.right() + 1, 0xff000000u);
        }
        for (const Pass& p : passes)
            overlayRow(line, p.plane.data(), w, h, y, r.left(), r.right(), p.table, p.outline);
    }
}

}  // namespace mitoseg::ui
