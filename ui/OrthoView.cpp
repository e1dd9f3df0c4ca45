#include "ui/OrthoView.h"

#include <QElapsedTimer>
#include <QMouseEvent>
#include <QPainter>

#include <algorithm>
#include <cstring>
#include <exception>
#include <vector>

#include "ui/LayerSettings.h"
#include "ui/SliceComposer.h"
#include "ui/StudioDocument.h"

namespace mitoseg::ui {

OrthoView::OrthoView(StudioDocument* doc, LayerSettings* layers, Plane plane, QWidget* parent)
    : QWidget(parent), doc_(doc), layers_(layers), plane_(plane)
{
    setMinimumSize(160, 90);
    refine_.setInterval(0);
    connect(&refine_, &QTimer::timeout, this, &OrthoView::refineSome);
    rest_.setSingleShot(true);
    rest_.setInterval(250);
    connect(&rest_, &QTimer::timeout, this, [this] {
        stale_ = true;
        update();
    });
    auto markStale = [this] {
        stale_ = true;
        update();
    };
    connect(doc_, &StudioDocument::imageChanged, this, [this] {
        at_ = -1;
        stale_ = true;
        update();
    });
    connect(doc_, &StudioDocument::referenceChanged, this, markStale);
    connect(doc_, &StudioDocument::spacingChanged, this, markStale);
    connect(doc_, &StudioDocument::maskChanged, this, [this](qint64, qint64, int x0, int y0, int x1, int y1) {
        const bool hit = plane_ == Plane::XZ ? (at_ >= y0 && at_ < y1) : (at_ >= x0 && at_ < x1);
        if (hit && isVisible())
            rest_.start();
        else if (hit)
            stale_ = true;
    });
    connect(layers_, &LayerSettings::changed, this, markStale);
}

void OrthoView::setCursor(qint64 x, qint64 y, qint64, bool inside)
{
    if (!inside)
        return;
    const std::int64_t at = plane_ == Plane::XZ ? y : x;
    if (at == at_)
        return;
    at_ = at;
    if (isVisible())
        rest_.start();
    else
        stale_ = true;
}

void OrthoView::setSlice(qint64 z)
{
    z_ = z;
    update();
}

void OrthoView::showEvent(QShowEvent*)
{
    stale_ = true;
}

const QImage& OrthoView::planeImage()
{
    if (stale_)
        rebuild();
    while (refine_.isActive())
        refineSome();
    return image_;
}

void OrthoView::rebuild()
{
    stale_ = false;
    refine_.stop();
    if (!doc_->hasImage()) {
        image_ = QImage();
        return;
    }
    const Shape s = doc_->shape();
    const std::int64_t n = plane_ == Plane::XZ ? s.width : s.height;
    if (at_ < 0)
        at_ = (plane_ == Plane::XZ ? s.height : s.width) / 2;
    // One row per slice up to kMaxRows; a deeper stack is sampled (row r shows slice
    // r * depth / rows), so the image stays bounded (a view shows ~1000 rows anyway).
    const std::int64_t rows = std::min<std::int64_t>(s.depth, kMaxRows);
    image_ = QImage(static_cast<int>(n), static_cast<int>(rows), QImage::Format_RGB32);
    lo_ = layers_->levelLow();
    scale_ = 255.f / (layers_->levelHigh() - layers_->levelLow());
    maskColor_ = layers_->style(Layer::Mask).color;
    refColor_ = layers_->style(Layer::Reference).color;
    maskAlpha_ = layers_->style(Layer::Mask).visible ? layers_->style(Layer::Mask).opacity : 0;
    refAlpha_ = layers_->style(Layer::Reference).visible && doc_->reference() ? 35 : 0;
    line_.resize(static_cast<std::size_t>(n));
    unreadable_ = 0;
    // Coarse pass: every step_-th slice, repeated downwards; the refinement fills in the rest.
    step_ = std::max<std::int64_t>(1, (rows + 255) / 256);
    const auto bytes = static_cast<std::size_t>(n) * sizeof(QRgb);
    for (std::int64_t z = 0; z < rows; z += step_) {
        drawRow(z);
        for (std::int64_t k = z + 1; k < std::min(rows, z + step_); ++k)
            std::memcpy(image_.scanLine(static_cast<int>(k)), image_.scanLine(static_cast<int>(z)), bytes);
    }
    refineZ_ = 0;
    if (step_ > 1)
        refine_.start();
}

void OrthoView::refineSome()
{
    if (image_.isNull() || !doc_->hasImage() || stale_) {
        refine_.stop();
        return;
    }
    const std::int64_t depth = image_.height();
    QElapsedTimer clock;
    clock.start();
    while (refineZ_ < depth && clock.elapsed() < 8) {
        if (refineZ_ % step_ != 0)
            drawRow(refineZ_);
        ++refineZ_;
    }
    if (refineZ_ >= depth)
        refine_.stop();
    update();
}

void OrthoView::drawRow(std::int64_t row)
{
    const Shape s = doc_->shape();
    const std::int64_t n = static_cast<std::int64_t>(line_.size());
    auto* line = reinterpret_cast<QRgb*>(image_.scanLine(static_cast<int>(row)));
    const std::int64_t z = row * s.depth / image_.height();
    try {
        doc_->image()->readLineF32(z, plane_ == Plane::XZ, at_, line_.data());
    } catch (const std::exception&) {
        // The slice view says why; here the row shows the same pattern.
        ++unreadable_;
        for (std::int64_t i = 0; i < n; ++i)
            line[i] = SliceComposer::unreadablePixel(static_cast<int>(i), static_cast<int>(row * 4));
        return;
    }
    auto mix = [](int g, const QColor& c, int pct, int channel) {
        const int v = channel == 0 ? c.red() : channel == 1 ? c.green() : c.blue();
        return (g * (100 - pct) + v * pct) / 100;
    };
    // The overlays, read slice by slice from the stores without touching their caches (the
    // slice view's working set stays); all-background slices cost nothing.
    const bool maskHere = maskAlpha_ && !doc_->mask().labels().sliceEmpty(z);
    const bool refHere = refAlpha_ && doc_->reference() && !doc_->reference()->sliceEmpty(z);
    if (maskHere) {
        maskSlice_.resize(static_cast<std::size_t>(s.sliceVoxels()));
        doc_->mask().labels().readSlice(z, maskSlice_.data());
    }
    if (refHere) {
        refSlice_.resize(static_cast<std::size_t>(s.sliceVoxels()));
        doc_->reference()->readSlice(z, refSlice_.data());
    }
    for (std::int64_t i = 0; i < n; ++i) {
        const std::int64_t y = plane_ == Plane::XZ ? at_ : i, x = plane_ == Plane::XZ ? i : at_;
        const std::size_t k = static_cast<std::size_t>(y * s.width + x);
        int g = static_cast<int>(std::clamp((line_[static_cast<std::size_t>(i)] - lo_) * scale_, 0.f, 255.f));
        int r = g, gg = g, b = g;
        if (refHere && refSlice_[k])
            r = mix(r, refColor_, refAlpha_, 0), gg = mix(gg, refColor_, refAlpha_, 1), b = mix(b, refColor_, refAlpha_, 2);
        if (maskHere && maskSlice_[k])
            r = mix(r, maskColor_, maskAlpha_, 0), gg = mix(gg, maskColor_, maskAlpha_, 1), b = mix(b, maskColor_, maskAlpha_, 2);
        line[i] = qRgb(r, gg, b);
    }
}

QRectF OrthoView::target() const
{
    if (image_.isNull())
        return {};
    // Keep the physical aspect: z spacing relative to the in-plane spacing.
    const Spacing sp = doc_->spacing();
    const double inPlane = plane_ == Plane::XZ ? sp.x : sp.y;
    const double zScale = inPlane > 0 ? sp.z / inPlane : 1.0;
    const double w = image_.width(), h = static_cast<double>(doc_->shape().depth) * zScale;
    const double k = std::min(width() / w, height() / h);
    return QRectF((width() - w * k) / 2, (height() - h * k) / 2, w * k, h * k);
}

void OrthoView::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.fillRect(rect(), QColor(24, 24, 27));
    if (stale_ && !rest_.isActive())
        rebuild();
    if (image_.isNull())
        return;
    const QRectF t = target();
    p.setRenderHint(QPainter::SmoothPixmapTransform);
    p.drawImage(t, image_);
    const double zy = t.top() + (z_ + 0.5) * t.height() / static_cast<double>(doc_->shape().depth);
    p.setPen(QPen(QColor(64, 140, 230), 1));
    p.drawLine(QPointF(t.left(), zy), QPointF(t.right(), zy));
    QString label = plane_ == Plane::XZ ? tr("XZ at y %1").arg(at_) : tr("YZ at x %1").arg(at_);
    if (unreadable_ > 0)
        label += tr(" · %n slice(s) unreadable", nullptr, static_cast<int>(unreadable_));
    const QRect box = p.fontMetrics().boundingRect(label).adjusted(-4, -2, 4, 2).translated(8, 6 + p.fontMetrics().ascent());
    p.fillRect(box, QColor(24, 24, 27, 190));
    p.setPen(QColor(200, 200, 205));
    p.drawText(box, Qt::AlignCenter, label);
}

void OrthoView::mousePressEvent(QMouseEvent* e)
{
    const QRectF t = target();
    if (image_.isNull() || !t.contains(e->position()))
        return;
    Q_EMIT sliceRequested(static_cast<qint64>((e->position().y() - t.top()) / t.height() * static_cast<double>(doc_->shape().depth)));
}

}  // namespace mitoseg::ui
