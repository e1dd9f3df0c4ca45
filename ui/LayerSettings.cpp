#include "ui/LayerSettings.h"

namespace mitoseg::ui {

LayerSettings::LayerSettings(QObject* parent) : QObject(parent)
{
    prediction_ = {true, QColor(0, 170, 255), 40, false};
    mask_ = {true, QColor(255, 196, 0), 45, false};
    reference_ = {true, QColor(60, 230, 90), 90, true};
}

const OverlayStyle& LayerSettings::style(Layer layer) const
{
    switch (layer) {
    case Layer::Prediction:
        return prediction_;
    case Layer::Reference:
        return reference_;
    default:
        return mask_;
    }
}

void LayerSettings::setImageVisible(bool v)
{
    if (imageVisible_ == v)
        return;
    imageVisible_ = v;
    Q_EMIT changed();
}

void LayerSettings::setLevels(float low, float high)
{
    if (high <= low)
        high = low + 1e-3f;
    if (low == low_ && high == high_)
        return;
    low_ = low;
    high_ = high;
    Q_EMIT levelsChanged(low, high);
    Q_EMIT changed();
}

void LayerSettings::setStyle(Layer layer, const OverlayStyle& s)
{
    switch (layer) {
    case Layer::Prediction:
        prediction_ = s;
        break;
    case Layer::Reference:
        reference_ = s;
        break;
    case Layer::Mask:
        mask_ = s;
        break;
    case Layer::Image:
        return;
    }
    Q_EMIT changed();
}

void LayerSettings::setPredictionHeatmap(bool heatmap)
{
    if (heatmap_ == heatmap)
        return;
    heatmap_ = heatmap;
    Q_EMIT changed();
}

}  // namespace mitoseg::ui
