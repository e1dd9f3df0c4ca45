#pragma once
// The central slice view: paints the composed slice (cached; recomposed only where the mask
// changed) with zoom and pan. Conventions (as in Fiji and ITK-SNAP): the plain wheel changes
// the slice, Ctrl+wheel zooms about the cursor; PageUp/PageDown move 10 slices, arrow keys
// one; the middle button, or Space held with the left button, pans; the left button drives the
// current tool. GUI thread only; does not own the document, layers or tool.
#include <QImage>
#include <QWidget>

#include <cstdint>

namespace mitoseg::ui {

class StudioDocument;
class LayerSettings;
class SliceTool;

class SliceView : public QWidget {
    Q_OBJECT
public:
    SliceView(StudioDocument* doc, LayerSettings* layers, QWidget* parent = nullptr);

    void setTool(SliceTool* tool) { tool_ = tool; }
    std::int64_t slice() const { return z_; }
    double zoom() const { return scale_; }
    QPointF pan() const { return pan_; }
    /// Image pixel under widget position `p` (fractional voxel coordinates).
    QPointF toImage(const QPointF& p) const;
    /// Widget position of image coordinate `p`.
    QPointF toWidget(const QPointF& p) const;

    /// Composes (if needed) and paints the view into `painter` over `size`. Used by paintEvent,
    /// the benchmark and screenshots.
    void render(QPainter& painter, const QSize& size);
    /// The cached composed slice (composes first when stale).
    const QImage& composed();
    /// The message drawn over the view, e.g. why the shown slice cannot be read (names the
    /// slice, the file and the page); empty when there is none.
    QString notice() const;

public Q_SLOTS:
    void setSlice(qint64 z);
    /// Zooms so `factor` is the new scale, keeping image point under widget point `anchor` fixed.
    void setZoom(double scale, QPointF anchor = QPointF(-1, -1));
    void setPan(QPointF pan);
    void fitToWindow();
    /// Shows slice z centred on voxel (x, y), keeping the zoom (e.g. from the 3D panel).
    void jumpTo(int z, int y, int x);
    void zoomOneToOne();
    /// Marks the whole composed slice stale.
    void invalidate();

Q_SIGNALS:
    void sliceChanged(qint64 z);
    void zoomChanged(double scale);
    /// Cursor over voxel (x, y) of slice z; inside is false when it left the image.
    void cursorMoved(qint64 x, qint64 y, qint64 z, bool inside);

protected:
    void paintEvent(QPaintEvent*) override;
    void resizeEvent(QResizeEvent*) override;
    void wheelEvent(QWheelEvent*) override;
    void mousePressEvent(QMouseEvent*) override;
    void mouseMoveEvent(QMouseEvent*) override;
    void mouseReleaseEvent(QMouseEvent*) override;
    void keyPressEvent(QKeyEvent*) override;
    void keyReleaseEvent(QKeyEvent*) override;
    void leaveEvent(QEvent*) override;

private:
    void drawNotice(QPainter& painter, const QSize& size, const QString& text);
    void onMaskChanged(qint64 z0, qint64 z1, int x0, int y0, int x1, int y1);
    void onImageChanged();

    StudioDocument* doc_;
    LayerSettings* layers_;
    SliceTool* tool_ = nullptr;
    std::int64_t z_ = 0;
    double scale_ = 1.0;
    QPointF pan_;                 // widget position of image origin
    QImage composed_;
    bool stale_ = true;
    QRect dirty_;                 // part of composed_ to recompose when not fully stale
    bool panning_ = false;
    bool spaceHeld_ = false;
    bool editing_ = false;
    bool fitPending_ = true;
    QPointF lastMouse_;
    QPointF hover_{-1, -1};
};

}  // namespace mitoseg::ui
