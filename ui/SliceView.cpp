#include "ui/SliceView.h"

#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QTextOption>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

#include "ui/LayerSettings.h"
#include "ui/SliceComposer.h"
#include "ui/SliceTool.h"
#include "ui/StudioDocument.h"

namespace mitoseg::ui {

SliceView::SliceView(StudioDocument* doc, LayerSettings* layers, QWidget* parent)
    : QWidget(parent), doc_(doc), layers_(layers)
{
    setMouseTracking(true);
    setFocusPolicy(Qt::StrongFocus);
    setAttribute(Qt::WA_OpaquePaintEvent);
    setMinimumSize(200, 150);
    setAcceptDrops(false);
    connect(doc_, &StudioDocument::maskChanged, this, &SliceView::onMaskChanged);
    connect(doc_, &StudioDocument::imageChanged, this, &SliceView::onImageChanged);
    connect(doc_, &StudioDocument::referenceChanged, this, &SliceView::invalidate);
    connect(doc_, &StudioDocument::predictionChanged, this, [this](qint64 z) {
        if (z < 0 || z == z_)
            invalidate();
    });
    connect(layers_, &LayerSettings::changed, this, &SliceView::invalidate);
}

QPointF SliceView::toImage(const QPointF& p) const { return (p - pan_) / scale_; }
QPointF SliceView::toWidget(const QPointF& p) const { return p * scale_ + pan_; }

void SliceView::onImageChanged()
{
    z_ = std::clamp<std::int64_t>(z_, 0, std::max<std::int64_t>(0, doc_->shape().depth - 1));
    fitPending_ = true;
    if (width() > 0 && isVisible())
        fitToWindow();
    invalidate();
    Q_EMIT sliceChanged(z_);
}

void SliceView::onMaskChanged(qint64 z0, qint64 z1, int x0, int y0, int x1, int y1)
{
    if (z_ < z0 || z_ >= z1 || stale_)
        return;
    // One voxel of margin: outlines of neighbours change too.
    dirty_ = dirty_.united(QRect(QPoint(x0 - 1, y0 - 1), QPoint(x1, y1)));
    update();
}

void SliceView::invalidate()
{
    stale_ = true;
    dirty_ = QRect();
    update();
}

const QImage& SliceView::composed()
{
    if (!doc_->hasImage())
        return composed_;
    if (stale_) {
        SliceComposer::compose(*doc_, *layers_, z_, composed_);
        stale_ = false;
        dirty_ = QRect();
    } else if (dirty_.isValid()) {
        SliceComposer::compose(*doc_, *layers_, z_, composed_, dirty_);
        dirty_ = QRect();
    }
    return composed_;
}

QString SliceView::notice() const
{
    QString error;
    if (!doc_->hasImage() || doc_->image()->trySlice(z_, &error))
        return {};
    return tr("Slice %1 cannot be read\n%2\nThe other slices, the mask and the ortho views still work.")
        .arg(z_ + 1)
        .arg(error);
}

void SliceView::drawNotice(QPainter& p, const QSize& size, const QString& text)
{
    // A box in the middle of the view: a bold title line, then the reason, wrapped.
    const int margin = 16;
    const int boxWidth = std::min(size.width() - 2 * margin, std::max(320, size.width() * 3 / 5));
    if (boxWidth <= 40)
        return;
    const QString title = text.section(QLatin1Char('\n'), 0, 0);
    const QString body = text.section(QLatin1Char('\n'), 1);
    p.save();
    p.setFont(font());
    QFont titleFont = font();
    titleFont.setBold(true);
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.25);
    const QFontMetrics tm(titleFont);
    const int inner = boxWidth - 2 * margin;
    const QRect titleRect = tm.boundingRect(QRect(0, 0, inner, 1000), Qt::TextWordWrap, title);
    // Long paths have no spaces: break at word boundaries where possible, anywhere otherwise.
    QTextOption wrap;
    wrap.setWrapMode(QTextOption::WrapAtWordBoundaryOrAnywhere);
    const QRectF bodyRect = p.boundingRect(QRectF(0, 0, inner, 1000), body, wrap);
    const int boxHeight = titleRect.height() + static_cast<int>(std::ceil(bodyRect.height())) + 3 * margin - 4;
    const QRect box((size.width() - boxWidth) / 2, std::max(margin, (size.height() - boxHeight) / 2), boxWidth, boxHeight);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(QPen(QColor(235, 120, 100), 1.5));
    p.setBrush(QColor(20, 16, 18, 225));
    p.drawRoundedRect(box, 6, 6);
    p.setFont(titleFont);
    p.setPen(QColor(255, 170, 150));
    p.drawText(QRect(box.left() + margin, box.top() + margin, inner, titleRect.height()), Qt::TextWordWrap, title);
    p.setFont(font());
    p.setPen(QColor(225, 225, 230));
    p.drawText(QRectF(box.left() + margin, box.top() + 2 * margin - 4 + titleRect.height(), inner, bodyRect.height()), body,
               wrap);
    p.restore();
}

void SliceView::setSlice(qint64 z)
{
    if (!doc_->hasImage())
        return;
    z = std::clamp<qint64>(z, 0, doc_->shape().depth - 1);
    if (z == z_)
        return;
    z_ = z;
    invalidate();
    Q_EMIT sliceChanged(z_);
    if (hover_.x() >= 0)
        Q_EMIT cursorMoved(static_cast<qint64>(std::floor(hover_.x())), static_cast<qint64>(std::floor(hover_.y())), z_, true);
}

void SliceView::setZoom(double scale, QPointF anchor)
{
    scale = std::clamp(scale, 0.02, 64.0);
    if (anchor.x() < 0)
        anchor = QPointF(width() / 2.0, height() / 2.0);
    const QPointF img = toImage(anchor);
    scale_ = scale;
    pan_ = anchor - img * scale_;
    fitPending_ = false;
    update();
    Q_EMIT zoomChanged(scale_);
}

void SliceView::setPan(QPointF pan)
{
    pan_ = pan;
    fitPending_ = false;
    update();
}

void SliceView::fitToWindow()
{
    if (!doc_->hasImage())
        return;
    const Shape s = doc_->shape();
    const double sx = width() / static_cast<double>(s.width), sy = height() / static_cast<double>(s.height);
    scale_ = std::max(0.02, std::min(sx, sy));
    pan_ = QPointF((width() - s.width * scale_) / 2.0, (height() - s.height * scale_) / 2.0);
    fitPending_ = false;
    update();
    Q_EMIT zoomChanged(scale_);
}

void SliceView::jumpTo(int z, int y, int x)
{
    setSlice(z);
    setPan(QPointF(width() / 2.0, height() / 2.0) - QPointF(x + 0.5, y + 0.5) * scale_);
}

void SliceView::zoomOneToOne() { setZoom(1.0); }

void SliceView::resizeEvent(QResizeEvent*)
{
    if (fitPending_)
        fitToWindow();
}

void SliceView::render(QPainter& p, const QSize& size)
{
    p.fillRect(QRect(QPoint(0, 0), size), QColor(24, 24, 27));
    if (!doc_->hasImage())
        return;
    const QImage& img = composed();
    p.save();
    p.setRenderHint(QPainter::SmoothPixmapTransform, scale_ < 1.0);
    p.translate(pan_);
    p.scale(scale_, scale_);
    p.drawImage(QPointF(0, 0), img);
    p.restore();
    if (tool_ && hover_.x() >= 0 && tool_->cursorRadius() >= 0) {
        const double r = (tool_->cursorRadius() + 0.5) * scale_;
        const QPointF c = toWidget(QPointF(std::floor(hover_.x()) + 0.5, std::floor(hover_.y()) + 0.5));
        p.setRenderHint(QPainter::Antialiasing);
        p.setPen(QPen(QColor(255, 255, 255, 200), 1.2));
        p.setBrush(Qt::NoBrush);
        p.drawEllipse(c, r, r);
    }
    if (const QString text = notice(); !text.isEmpty())
        drawNotice(p, size, text);
}

void SliceView::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    render(p, size());
}

void SliceView::wheelEvent(QWheelEvent* e)
{
    // One step per notch; high-resolution wheels that send smaller deltas still move one step.
    const int delta = e->angleDelta().y();
    if (delta == 0)
        return;
    const int steps = delta / 120 != 0 ? delta / 120 : (delta > 0 ? 1 : -1);
    if (e->modifiers() & Qt::ControlModifier)
        setZoom(scale_ * std::pow(1.25, steps), e->position());
    else
        setSlice(z_ + steps);
    e->accept();
}

void SliceView::mousePressEvent(QMouseEvent* e)
{
    lastMouse_ = e->position();
    const bool panTool = tool_ && tool_->pans();
    if (e->button() == Qt::MiddleButton || (e->button() == Qt::LeftButton && (spaceHeld_ || panTool || !tool_))) {
        panning_ = true;
        setCursor(Qt::ClosedHandCursor);
        return;
    }
    if (e->button() == Qt::LeftButton && tool_ && doc_->hasImage()) {
        editing_ = true;
        const QPointF ip = toImage(e->position());
        tool_->press(z_, ip.x(), ip.y());
    }
}

void SliceView::mouseMoveEvent(QMouseEvent* e)
{
    if (panning_) {
        setPan(pan_ + (e->position() - lastMouse_));
        lastMouse_ = e->position();
        return;
    }
    lastMouse_ = e->position();
    const QPointF ip = toImage(e->position());
    hover_ = ip;
    if (editing_ && tool_)
        tool_->move(z_, ip.x(), ip.y());
    if (doc_->hasImage()) {
        const Shape s = doc_->shape();
        const auto x = static_cast<qint64>(std::floor(ip.x())), y = static_cast<qint64>(std::floor(ip.y()));
        Q_EMIT cursorMoved(x, y, z_, x >= 0 && y >= 0 && x < s.width && y < s.height);
    }
    update();
}

void SliceView::mouseReleaseEvent(QMouseEvent* e)
{
    if (panning_ && (e->button() == Qt::MiddleButton || e->button() == Qt::LeftButton)) {
        panning_ = false;
        unsetCursor();
        return;
    }
    if (editing_ && e->button() == Qt::LeftButton && tool_) {
        editing_ = false;
        const QPointF ip = toImage(e->position());
        tool_->release(z_, ip.x(), ip.y());
    }
}

void SliceView::keyPressEvent(QKeyEvent* e)
{
    switch (e->key()) {
    case Qt::Key_Space:
        if (!e->isAutoRepeat())
            spaceHeld_ = true;
        break;
    case Qt::Key_PageUp:
        setSlice(z_ + 10);
        break;
    case Qt::Key_PageDown:
        setSlice(z_ - 10);
        break;
    case Qt::Key_Up:
    case Qt::Key_Right:
        setSlice(z_ + 1);
        break;
    case Qt::Key_Down:
    case Qt::Key_Left:
        setSlice(z_ - 1);
        break;
    default:
        QWidget::keyPressEvent(e);
    }
}

void SliceView::keyReleaseEvent(QKeyEvent* e)
{
    if (e->key() == Qt::Key_Space && !e->isAutoRepeat())
        spaceHeld_ = false;
    QWidget::keyReleaseEvent(e);
}

void SliceView::leaveEvent(QEvent*)
{
    hover_ = QPointF(-1, -1);
    Q_EMIT cursorMoved(-1, -1, z_, false);
    update();
}

}  // namespace mitoseg::ui
