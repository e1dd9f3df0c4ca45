#pragma once
// The editing tools of the slice view: brush (B), eraser (E), flood fill (F) and pan (P), the
// brush radius ([ and ]) and the class to paint. Turns a press/drag/release into one core
// stroke and pushes one MaskUndoCommand per committed step onto the QUndoStack.
// GUI thread only; does not own the document or the undo stack.
#include <QObject>

#include <functional>

#include "ui/SliceTool.h"

class QAction;
class QActionGroup;
class QUndoStack;

namespace mitoseg::ui {

class StudioDocument;

class EditTools : public QObject, public SliceTool {
    Q_OBJECT
public:
    enum class Tool { Brush, Eraser, Fill, Pan };

    EditTools(StudioDocument* doc, QUndoStack* undo, QObject* parent = nullptr);

    Tool tool() const { return tool_; }
    int radius() const { return radius_; }
    int classValue() const { return class_; }
    /// Checkable actions with shortcuts B, E, F, P (exclusive).
    QList<QAction*> toolActions() const;
    QAction* smallerAction() const { return smaller_; }
    QAction* largerAction() const { return larger_; }

    /// Asked before a fill larger than largeFillFraction() of the slice (e.g. a click on empty
    /// background); gets the voxel count and that fraction, returns true to fill. Without
    /// one (tests, screenshots) such fills are refused with a message.
    using ConfirmFill = std::function<bool(std::int64_t voxels, double fractionOfSlice)>;
    void setConfirmLargeFill(ConfirmFill confirm) { confirmFill_ = std::move(confirm); }
    static constexpr double largeFillFraction() { return 0.25; }

    /// Accepts the prediction of slice z / of every predicted slice, as one undo step. The
    /// stack version keeps slices labelled by hand (`skipped` receives how many).
    bool acceptPredictionSlice(std::int64_t z);
    bool acceptPredictionStack(int* skipped = nullptr);

    // SliceTool
    void press(std::int64_t z, double x, double y) override;
    void move(std::int64_t z, double x, double y) override;
    void release(std::int64_t z, double x, double y) override;
    double cursorRadius() const override;
    bool pans() const override { return tool_ == Tool::Pan; }

public Q_SLOTS:
    void setTool(mitoseg::ui::EditTools::Tool tool);
    void setRadius(int radius);
    void setClassValue(int value);

Q_SIGNALS:
    void toolChanged(mitoseg::ui::EditTools::Tool tool);
    void radiusChanged(int radius);
    void classValueChanged(int value);
    /// Something the user should know (e.g. a refused fill), for the status bar.
    void message(const QString& text);

private:
    void pushStep(const QString& text);

    StudioDocument* doc_;
    QUndoStack* undo_;
    Tool tool_ = Tool::Brush;
    int radius_ = 8;
    int class_ = 1;
    bool stroking_ = false;
    std::int64_t strokeZ_ = 0;
    std::int64_t lastX_ = 0, lastY_ = 0;
    QActionGroup* group_;
    QAction *brush_, *eraser_, *fill_, *pan_, *smaller_, *larger_;
    ConfirmFill confirmFill_;
};

}  // namespace mitoseg::ui
