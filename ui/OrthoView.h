#pragma once
// An orthogonal view through the stack: the XZ plane at the cursor's y, or the YZ plane at its
// x (z runs downwards), with the mask and reference overlaid and a line at the shown slice.
// Rebuilt only while visible and after the cursor rests. It reads one line per slice (a row or
// column straight from a memory-mapped stack; the mask and reference slice by slice through
// their stores, without disturbing their caches), first every step-th slice of a deep stack
// (at most ~256 lines, the others repeated), then refines the rest in short timer slices so the
// GUI stays interactive. Clicking picks the slice. Slices that cannot be read are drawn as the slice view's unreadable
// pattern and counted in the label. GUI thread only; does not own the document or settings.
#include <QImage>
#include <QTimer>
#include <QWidget>

#include <cstdint>
#include <vector>

namespace mitoseg::ui {

class StudioDocument;
class LayerSettings;

class OrthoView : public QWidget {
    Q_OBJECT
public:
    enum class Plane { XZ, YZ };
    OrthoView(StudioDocument* doc, LayerSettings* layers, Plane plane, QWidget* parent = nullptr);

    /// Rows of the plane image at most: deeper stacks are sampled.
    static constexpr std::int64_t kMaxRows = 4096;
    /// The complete plane image (rebuilds and finishes the refinement first when needed).
    /// Width: x (XZ) or y (YZ); height: depth (at most kMaxRows, sampled evenly beyond).
    const QImage& planeImage();
    /// The image as painted now (maybe still coarse), and whether every row is exact.
    const QImage& shownImage() const { return image_; }
    bool refined() const { return !stale_ && !refine_.isActive(); }

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
    /// Draws row `row` of image_ (the line at at_ through the slice that row shows).
    void drawRow(std::int64_t row);
    /// One timer slice of refinement (rows that are not multiples of step_).
    void refineSome();
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
    QTimer refine_;              // drives refineSome until every row is exact
    std::int64_t step_ = 1;      // coarse pass: every step_-th slice
    std::int64_t refineZ_ = 0;   // next row the refinement looks at
    // Per-rebuild drawing state.
    float lo_ = 0, scale_ = 1;
    QColor maskColor_, refColor_;
    int maskAlpha_ = 0, refAlpha_ = 0;
    std::vector<float> line_;
    std::vector<std::uint8_t> maskSlice_, refSlice_;
};

}  // namespace mitoseg::ui
