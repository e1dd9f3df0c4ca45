#pragma once
// An orthogonal view through the stack: the XZ plane at the cursor's y, or the YZ plane at its
// x (z runs downwards), with the mask and reference overlaid and a line at the shown slice.
// Rebuilt only while visible and after the cursor rests (it reads every slice of the stack).
// Clicking picks the slice. Slices that cannot be read are drawn as the slice view's unreadable
// pattern and counted in the label. GUI thread only; does not own the document or settings.
#include <QImage>
#include <QTimer>
#include <QWidget>

#include <cstdint>

namespace mitoseg::ui {

class StudioDocument;
class LayerSettings;

class OrthoView : public QWidget {
    Q_OBJECT
public:
    enum class Plane { XZ, YZ };
    OrthoView(StudioDocument* doc, LayerSettings* layers, Plane plane, QWidget* parent = nullptr);

    /// The plane image (rebuilds first when stale). Width: x (XZ) or y (YZ); height: depth.
    const QImage& planeImage();

public Q_SLOTS:
    /// Follows the cursor of the slice view (x, y) and the shown slice z.
    void setCursor(qint64 x, qint64 y, qint64 z, bool inside);
    void setSlice(qint64 z);

Q_SIGNALS:
    void sliceRequested(qint64 z);

protected:
    void paintEvent(QPaintEvent*) override;
    void mousePressEvent(QMouseEvent*) override;
    void showEvent(QShowEvent*) override;

private:
    void rebuild();
    QRectF target() const;

    StudioDocument* doc_;
    LayerSettings* layers_;
    Plane plane_;
    std::int64_t at_ = -1;   // y for XZ, x for YZ
    std::int64_t z_ = 0;
    QImage image_;
    std::int64_t unreadable_ = 0;   // slices of image_ that could not be read
    bool stale_ = true;
    QTimer rest_;
};

}  // namespace mitoseg::ui
