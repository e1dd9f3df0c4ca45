#pragma once
// Display settings of the four slice-view layers (image, prediction, mask, reference), shared by
// the layers panel (which edits them) and the slice view (which draws them). GUI thread only.
#include <QColor>
#include <QObject>

namespace mitoseg::ui {

/// One overlay's look.
struct OverlayStyle {
    bool visible = true;
    QColor color;
    int opacity = 50;      ///< percent
    bool outline = false;  ///< draw only the boundary instead of filling
    bool operator==(const OverlayStyle&) const = default;
};

enum class Layer { Image, Prediction, Mask, Reference };

class LayerSettings : public QObject {
    Q_OBJECT
public:
    explicit LayerSettings(QObject* parent = nullptr);

    bool imageVisible() const { return imageVisible_; }
    float levelLow() const { return low_; }
    float levelHigh() const { return high_; }
    /// Style of an overlay layer (Prediction, Mask, Reference).
    const OverlayStyle& style(Layer layer) const;
    /// Prediction drawn as a probability heat map (true) or as the thresholded mask.
    bool predictionHeatmap() const { return heatmap_; }

    void setImageVisible(bool v);
    /// Display window: voxel values low..high map to black..white.
    void setLevels(float low, float high);
    void setStyle(Layer layer, const OverlayStyle& style);
    void setPredictionHeatmap(bool heatmap);

Q_SIGNALS:
    /// Any setting changed: views recompose.
    void changed();
    void levelsChanged(float low, float high);

private:
    bool imageVisible_ = true;
    float low_ = 0.f, high_ = 255.f;
    OverlayStyle prediction_, mask_, reference_;
    bool heatmap_ = false;
};

}  // namespace mitoseg::ui
