#include "ui/EditTools.h"

#include <QAction>
#include <QActionGroup>
#include <QUndoStack>

#include <algorithm>
#include <cmath>

#include "ui/MaskUndoCommand.h"
#include "ui/StudioDocument.h"

namespace mitoseg::ui {

EditTools::EditTools(StudioDocument* doc, QUndoStack* undo, QObject* parent)
    : QObject(parent), doc_(doc), undo_(undo), group_(new QActionGroup(this))
{
    auto make = [this](const QString& text, const QString& key, Tool t, const QString& tip) {
        auto* a = new QAction(text, this);
        a->setShortcut(QKeySequence(key));
        a->setCheckable(true);
        a->setToolTip(QStringLiteral("%1 (%2)").arg(tip, key));
        group_->addAction(a);
        connect(a, &QAction::triggered, this, [this, t] { setTool(t); });
        return a;
    };
    brush_ = make(tr("Brush"), QStringLiteral("B"), Tool::Brush, tr("Paint the selected class"));
    eraser_ = make(tr("Eraser"), QStringLiteral("E"), Tool::Eraser, tr("Erase to background"));
    fill_ = make(tr("Fill"), QStringLiteral("F"), Tool::Fill, tr("Flood-fill a 4-connected region of the slice"));
    pan_ = make(tr("Pan"), QStringLiteral("P"), Tool::Pan, tr("Drag to pan (or hold Space)"));
    brush_->setChecked(true);
    smaller_ = new QAction(tr("Smaller brush"), this);
    smaller_->setShortcut(QKeySequence(QStringLiteral("[")));
    connect(smaller_, &QAction::triggered, this, [this] { setRadius(radius_ > 8 ? radius_ - 2 : radius_ - 1); });
    larger_ = new QAction(tr("Larger brush"), this);
    larger_->setShortcut(QKeySequence(QStringLiteral("]")));
    connect(larger_, &QAction::triggered, this, [this] { setRadius(radius_ >= 8 ? radius_ + 2 : radius_ + 1); });
    // A new document (or a loaded mask) starts a fresh history.
    connect(doc_, &StudioDocument::historyReset, undo_, &QUndoStack::clear);
}

QList<QAction*> EditTools::toolActions() const { return {brush_, eraser_, fill_, pan_}; }

void EditTools::setTool(Tool tool)
{
    if (stroking_)
        release(strokeZ_, static_cast<double>(lastX_), static_cast<double>(lastY_));
    tool_ = tool;
    QAction* a = tool == Tool::Brush ? brush_ : tool == Tool::Eraser ? eraser_ : tool == Tool::Fill ? fill_ : pan_;
    a->setChecked(true);
    Q_EMIT toolChanged(tool);
}

void EditTools::setRadius(int radius)
{
    radius = std::clamp(radius, 0, 200);
    if (radius == radius_)
        return;
    radius_ = radius;
    Q_EMIT radiusChanged(radius_);
}

void EditTools::setClassValue(int value)
{
    value = std::clamp(value, 1, static_cast<int>(doc_->mask().classes().size()) - 1);
    if (value == class_)
        return;
    class_ = value;
    Q_EMIT classValueChanged(class_);
}

double EditTools::cursorRadius() const
{
    return tool_ == Tool::Brush || tool_ == Tool::Eraser ? radius_ : -1.0;
}

void EditTools::press(std::int64_t z, double x, double y)
{
    const auto ix = static_cast<std::int64_t>(std::floor(x)), iy = static_cast<std::int64_t>(std::floor(y));
    auto& mask = doc_->mask();
    if (tool_ == Tool::Fill) {
        // A fill on background can flood the whole slice: ask past a quarter of it.
        const std::int64_t region = mask.floodRegionSize(z, ix, iy);
        const double fraction = static_cast<double>(region) / static_cast<double>(std::max<std::int64_t>(1, mask.shape().sliceVoxels()));
        if (fraction > largeFillFraction() && mask.labels()(z, iy, ix) != class_
            && !(confirmFill_ && confirmFill_(region, fraction))) {
            Q_EMIT message(tr("Fill not done: it would cover %1% of the slice").arg(qRound(fraction * 100)));
            return;
        }
        const std::uint64_t before = mask.history().nextUndoId();
        mask.floodFill(z, ix, iy, static_cast<std::uint8_t>(class_));
        if (mask.history().nextUndoId() != before)
            pushStep(tr("Fill"));
        return;
    }
    if (tool_ != Tool::Brush && tool_ != Tool::Eraser)
        return;
    const auto value = static_cast<std::uint8_t>(tool_ == Tool::Eraser ? 0 : class_);
    mask.beginStroke(tool_ == Tool::Eraser ? "Eraser" : "Brush");
    stroking_ = true;
    strokeZ_ = z;
    lastX_ = ix;
    lastY_ = iy;
    mask.stamp(z, ix, iy, radius_, value);
}

void EditTools::move(std::int64_t z, double x, double y)
{
    if (stroking_ && !doc_->mask().strokeOpen())
        stroking_ = false;   // the drag was dropped (undo pressed mid-drag)
    if (!stroking_ || z != strokeZ_)
        return;
    const auto ix = static_cast<std::int64_t>(std::floor(x)), iy = static_cast<std::int64_t>(std::floor(y));
    if (ix == lastX_ && iy == lastY_)
        return;
    const auto value = static_cast<std::uint8_t>(tool_ == Tool::Eraser ? 0 : class_);
    doc_->mask().stampLine(z, lastX_, lastY_, ix, iy, radius_, value);
    lastX_ = ix;
    lastY_ = iy;
}

void EditTools::release(std::int64_t z, double x, double y)
{
    if (!stroking_)
        return;
    move(z, x, y);
    stroking_ = false;
    if (doc_->mask().commitStroke())
        pushStep(tool_ == Tool::Eraser ? tr("Eraser stroke") : tr("Brush stroke"));
}

bool EditTools::acceptPredictionSlice(std::int64_t z)
{
    if (stroking_)
        release(strokeZ_, static_cast<double>(lastX_), static_cast<double>(lastY_));
    if (!doc_->acceptPredictionSlice(z))
        return false;
    pushStep(tr("Accept prediction (slice %1)").arg(z + 1));
    return true;
}

bool EditTools::acceptPredictionStack(int* skipped)
{
    if (stroking_)
        release(strokeZ_, static_cast<double>(lastX_), static_cast<double>(lastY_));
    if (!doc_->acceptPredictionStack(false, skipped))
        return false;
    pushStep(tr("Accept prediction (stack)"));
    return true;
}

void EditTools::pushStep(const QString& text)
{
    undo_->push(new MaskUndoCommand(doc_, doc_->mask().history().nextUndoId(), text));
}

}  // namespace mitoseg::ui
