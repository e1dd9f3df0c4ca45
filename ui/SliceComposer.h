#pragma once
// Composes one slice of the document into an RGB image: grey levels, then prediction, mask
// and reference overlays (filled or outlined, with opacity). Pure function of its inputs;
// GUI thread (it reads the image source's slice cache).
#include <QColor>
#include <QImage>
#include <QRect>

#include <cstdint>

namespace mitoseg::ui {

class StudioDocument;
class LayerSettings;

class SliceComposer {
public:
    /// Composes slice z into `out` (resized to the slice when its size differs, then fully
    /// redrawn) or, when `region` is valid and `out` already has the right size, only `region`.
    /// A slice the image source cannot read is drawn with unreadablePixel under the overlays.
    static void compose(const StudioDocument& doc, const LayerSettings& layers, std::int64_t z, QImage& out,
                        QRect region = QRect());
    /// The probability heat map's colour at P(foreground) = p (0..1): deep purple through
    /// magenta to pale pink, apart from the mask's amber, the reference's green and the
    /// prediction's blue. The Layers panel draws its legend with it.
    static QColor heatColour(double p);
    /// The colour of pixel (x, y) of a slice that cannot be read: dark red diagonal stripes.
    static QRgb unreadablePixel(int x, int y);
};

}  // namespace mitoseg::ui
