#include "ui/MaskUndoCommand.h"

#include "ui/StudioDocument.h"

namespace mitoseg::ui {

MaskUndoCommand::MaskUndoCommand(StudioDocument* doc, std::uint64_t stepId, const QString& text)
    : QUndoCommand(text), doc_(doc), id_(stepId)
{
}

void MaskUndoCommand::undo()
{
    // Undo pressed in the middle of a drag drops that drag, then undoes the previous step.
    if (doc_->mask().strokeOpen())
        doc_->mask().abortStroke();
    if (doc_->mask().history().nextUndoId() == id_)
        doc_->mask().undo();
    else
        setObsolete(true);
}

void MaskUndoCommand::redo()
{
    if (first_) {
        first_ = false;
        return;
    }
    if (doc_->mask().strokeOpen())
        doc_->mask().abortStroke();
    if (doc_->mask().history().nextRedoId() == id_)
        doc_->mask().redo();
    else
        setObsolete(true);
}

}  // namespace mitoseg::ui
