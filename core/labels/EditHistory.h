#pragma once
// Undo/redo history of label edits, bounded in bytes: pushing a step evicts the oldest steps
// until the total fits (the newest step is always kept, so the last action can be undone).
// Holds steps only; LabelEditor applies them. Not synchronised.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "core/labels/UndoDelta.h"

namespace mitoseg::labels {

/// One undo step: the deltas of one stroke, fill or accepted prediction.
struct EditStep {
    std::uint64_t id = 0;            ///< unique, increasing; assigned by EditHistory::push
    std::string name;                ///< "Brush", "Eraser", "Fill", "Accept prediction", ...
    bool userEdit = true;            ///< counts toward edited-slice tracking
    bool accepted = false;           ///< an accepted prediction: counts toward accepted-slice tracking
    std::vector<UndoDelta> deltas;   ///< applied in order; undone in reverse
    std::size_t bytes() const;
    /// Slices touched by the step (sorted, unique).
    std::vector<std::int64_t> slices() const;
};

class EditHistory {
public:
    explicit EditHistory(std::size_t maxBytes = std::size_t{256} << 20) : maxBytes_(maxBytes) {}

    /// Adds a step (clears redo steps, evicts the oldest beyond the bound). Returns its id.
    std::uint64_t push(EditStep step);
    bool canUndo() const { return !undo_.empty(); }
    bool canRedo() const { return !redo_.empty(); }
    /// Moves the newest undo step to the redo side and returns it (nullptr when none).
    const EditStep* takeUndo();
    /// Moves the newest redo step back to the undo side and returns it (nullptr when none).
    const EditStep* takeRedo();
    /// The step undo would revert next (nullptr when none); valid until the history changes.
    const EditStep* peekUndo() const { return undo_.empty() ? nullptr : &undo_.back(); }
    /// Id of the step undo would revert next (0 when none).
    std::uint64_t nextUndoId() const { return undo_.empty() ? 0 : undo_.back().id; }
    /// Id of the step redo would re-apply next (0 when none).
    std::uint64_t nextRedoId() const { return redo_.empty() ? 0 : redo_.back().id; }

    std::size_t undoCount() const { return undo_.size(); }
    std::size_t redoCount() const { return redo_.size(); }
    /// Bytes held by all steps (undo and redo).
    std::size_t bytes() const { return bytes_; }
    std::size_t maxBytes() const { return maxBytes_; }
    /// Changes the bound, evicting oldest undo steps when needed.
    void setMaxBytes(std::size_t maxBytes);
    /// Number of steps evicted so far.
    std::uint64_t evicted() const { return evicted_; }
    void clear();

private:
    void evict();

    std::size_t maxBytes_;
    std::size_t bytes_ = 0;
    std::uint64_t nextId_ = 1;
    std::uint64_t evicted_ = 0;
    std::deque<EditStep> undo_;
    std::vector<EditStep> redo_;
};

}  // namespace mitoseg::labels
