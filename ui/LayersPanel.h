#pragma once
// Dock panel listing the layers (image, prediction, mask, reference) with visibility, colour,
// opacity and filled/outline, plus the image's contrast window and auto levels.
// Two-way bound to LayerSettings (signals blocked while the panel updates itself).
// GUI thread only; does not own the settings.
#include <QWidget>

#include <functional>

class QCheckBox;
class QDoubleSpinBox;
class QLabel;
class QSlider;
class QSpinBox;

namespace mitoseg::ui {

class LayerSettings;
enum class Layer;

class LayersPanel : public QWidget {
    Q_OBJECT
public:
    /// `autoLevels` computes and applies automatic levels for the shown slice; `threshold`
    /// receives the prediction threshold the user picks (initially `initialThreshold`).
    LayersPanel(LayerSettings* settings, std::function<void()> autoLevels, std::function<void(double)> threshold,
                double initialThreshold = 0.5, QWidget* parent = nullptr);

    /// `edit` receives the z-smoothing radius and smallest object (voxels) the user picks for
    /// the stack post-processing of binary predictions.
    void setPostProcessingEditor(std::function<void(int zSmooth, qint64 minObjectVoxels)> edit)
    {
        postEdit_ = std::move(edit);
    }

public Q_SLOTS:
    /// Shows a threshold set elsewhere (e.g. a model's recommendation) without reporting it back.
    void setThreshold(double t);
    /// Shows post-processing set elsewhere (a model, a session) without reporting it back;
    /// `note` says how it is adapted to the stack (empty: as set).
    void showPostProcessing(int zSmooth, qint64 minObjectVoxels, const QString& note);

private:
    QWidget* overlayRow(Layer layer, const QString& name);
    std::function<void(double)> threshold_;
    double initialThreshold_;
    void syncLevels();

    LayerSettings* settings_;
    QCheckBox* imageVisible_;
    QDoubleSpinBox* low_;
    QDoubleSpinBox* high_;
    QSlider* brightness_;
    QSlider* contrast_;
    QDoubleSpinBox* thresholdSpin_ = nullptr;
    QSpinBox* zSmoothSpin_ = nullptr;
    QSpinBox* minObjectSpin_ = nullptr;
    QLabel* postNote_ = nullptr;
    std::function<void(int, qint64)> postEdit_;
};

}  // namespace mitoseg::ui
