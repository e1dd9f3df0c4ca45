#pragma once
// A QUndoCommand standing for one step of the mask's core history (a committed stroke, a fill,
// an accepted prediction). The core history holds the deltas; the command only asks it to undo
// or redo, and retires itself (obsolete) when the byte-bounded history evicted its step.
// GUI thread only; does not own the document.
#include <QUndoCommand>

#include <cstdint>

namespace mitoseg::ui {

class StudioDocument;

class MaskUndoCommand : public QUndoCommand {
public:
    /// `stepId` is the id of a step already applied (the first redo() does nothing).
    MaskUndoCommand(StudioDocument* doc, std::uint64_t stepId, const QString& text);
    void undo() override;
    void redo() override;
    std::uint64_t stepId() const { return id_; }

private:
    StudioDocument* doc_;
    std::uint64_t id_;
    bool first_ = true;
};

}  // namespace mitoseg::ui
