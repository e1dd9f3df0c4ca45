#pragma once
// The editable label volume of the studio, without Qt: uint8 class labels (0 = background),
// named classes with colours, brush/eraser stamps, 4-connected flood fill within a slice,
// strokes grouped into undo steps, a byte-bounded undo/redo history, "accept prediction"
// as an undoable step, edited-slice tracking and live confusion counts against a reference.
//
// The labels live in an out-of-core SliceStore (compressed per slice, cached within the memory
// budget, spilled to scratch), so the mask of a stack far larger than memory can be edited.
//
// Threading: one owner thread (the GUI thread in the studio) calls everything. Observers run
// synchronously on that thread. The editor owns its labels and history; the reference is
// shared read-only.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/base/Volume.h"
#include "core/labels/Box.h"
#include "core/labels/ConfusionCounts.h"
#include "core/labels/EditHistory.h"
#include "core/labels/Signal.h"
#include "core/labels/SliceStore.h"

namespace mitoseg::labels {

/// A named label class with a display colour.
struct LabelClass {
    std::string name;
    std::uint8_t r = 255, g = 255, b = 255;
};

class LabelEditor {
public:
    /// An editor over an all-background volume of `shape` with `classes` (classes[0] is
    /// background; at least two entries).
    LabelEditor(Shape shape, std::vector<LabelClass> classes);

    /// The labels, read slice by slice (see SliceStore). Edit them through this class only.
    const SliceStore& labels() const { return labels_; }
    /// A consistent copy of the labels for a worker thread (cheap; see SliceStore::snapshot).
    SliceSnapshot snapshot() const { return labels_.snapshot(); }
    const Shape& shape() const { return labels_.shape(); }
    const std::vector<LabelClass>& classes() const { return classes_; }
    /// Replaces the class list (classes[0] is background; 2..256 entries; throws
    /// std::invalid_argument otherwise). Labels are kept; confusion counts are recounted.
    void setClasses(std::vector<LabelClass> classes);

    /// Replaces the labels (e.g. a mask loaded from disk): clears history, edited slices and
    /// the open stroke. Values >= class count are kept as they are. Shape must match.
    void setLabels(VolumeU8 labels);
    /// Same, from a store (e.g. a mask read slice by slice from disk).
    void setLabels(SliceStore labels);
    /// Sets (or, with nullptr, removes) the reference volume; recounts every slice.
    void setReference(std::shared_ptr<const SliceStore> reference);
    /// Same, from an in-memory volume (converted to a store).
    void setReference(std::shared_ptr<const VolumeU8> reference);
    void setReference(std::nullptr_t) { setReference(std::shared_ptr<const SliceStore>()); }
    bool hasReference() const { return reference_ != nullptr; }
    const SliceStore* reference() const { return reference_.get(); }

    // ---- strokes --------------------------------------------------------------------------
    /// Opens a stroke: following edits join one undo step named `name` until commit/abort.
    void beginStroke(const std::string& name);
    bool strokeOpen() const { return strokeOpen_; }
    /// Closes the stroke into one undo step (merged per slice). Returns false (and records
    /// nothing) when the stroke changed no voxel.
    bool commitStroke();
    /// Reverts the edits of the open stroke and closes it.
    void abortStroke();

    // ---- edits (outside a stroke each one is its own undo step) ---------------------------
    /// Sets every voxel of the disc of `radius` around (x, y) on slice z to `value`
    /// (value 0 = eraser). The disc holds the voxels with dx^2 + dy^2 <= radius*(radius+1).
    /// Returns the number of voxels that changed.
    std::int64_t stamp(std::int64_t z, std::int64_t x, std::int64_t y, int radius, std::uint8_t value);
    /// Stamps discs along the segment (x0,y0)-(x1,y1), spaced so there are no gaps.
    std::int64_t stampLine(std::int64_t z, std::int64_t x0, std::int64_t y0, std::int64_t x1, std::int64_t y1,
                           int radius, std::uint8_t value);
    /// Flood-fills the 4-connected region of equal label around (x, y) on slice z with `value`.
    std::int64_t floodFill(std::int64_t z, std::int64_t x, std::int64_t y, std::uint8_t value);
    /// Voxels floodFill(z, x, y, ...) would reach (the 4-connected region of equal label; 0
    /// outside the volume), without changing anything. Lets a tool ask before a huge fill.
    std::int64_t floodRegionSize(std::int64_t z, std::int64_t x, std::int64_t y) const;
    /// Replaces slice z by `predicted` (height*width labels) as one undo step (not a user edit);
    /// the slice counts as accepted even when it already equalled the prediction. False when
    /// nothing changed and the slice was accepted already.
    bool acceptPrediction(std::int64_t z, const std::uint8_t* predicted);
    /// Replaces every slice z with hasSlice[z] by predicted.slice(z), as one undo step (slices
    /// equal already count as accepted too).
    bool acceptPrediction(const VolumeU8& predicted, const std::vector<bool>& hasSlice);
    /// Same, with the predicted slices from a store.
    bool acceptPrediction(const SliceStore& predicted, const std::vector<bool>& hasSlice);

    // ---- history --------------------------------------------------------------------------
    bool canUndo() const { return history_.canUndo(); }
    bool canRedo() const { return history_.canRedo(); }
    /// Reverts the newest step; returns its id (0 when nothing to undo). Closes an open stroke first.
    std::uint64_t undo();
    /// Re-applies the newest undone step; returns its id (0 when nothing to redo).
    std::uint64_t redo();
    const EditHistory& history() const { return history_; }
    /// Changes the byte bound of the history.
    void setHistoryLimit(std::size_t bytes) { history_.setMaxBytes(bytes); }

    // ---- edited slices --------------------------------------------------------------------
    /// Slices changed by user edits that are currently applied, plus restored ones
    /// (sorted). Accepted predictions do not count: retraining wants the corrected slices.
    std::vector<std::int64_t> editedSlices() const;
    bool isEdited(std::int64_t z) const;
    /// Marks slices as edited (session restore); cleared by setLabels.
    void markEdited(const std::vector<std::int64_t>& zs);
    /// Slices replaced by an accepted prediction that is currently applied, plus restored ones
    /// (sorted). A slice can be both edited and accepted.
    std::vector<std::int64_t> acceptedSlices() const;
    bool isAccepted(std::int64_t z) const;
    /// Marks slices as accepted (session restore); cleared by setLabels.
    void markAccepted(const std::vector<std::int64_t>& zs);

    // ---- metrics --------------------------------------------------------------------------
    /// Confusion counts of the labels against the reference (all zero without reference).
    const ConfusionCounts& confusion() const { return confusion_; }

    // ---- notifications --------------------------------------------------------------------
    /// Voxels inside the box changed (edit, undo, redo, setLabels with the whole volume).
    Signal<Box> labelsChanged;
    /// Undo/redo availability or the edited/accepted-slice sets changed.
    Signal<> historyChanged;

private:
    /// The stack accept: `read(z, out)` fills out with the prediction of slice z.
    bool acceptSlices(const std::vector<bool>& hasSlice,
                      const std::function<void(std::int64_t, std::vector<std::uint8_t>&)>& read);
    UndoDelta record(const Box& box, const std::vector<std::uint8_t>& newValues);
    void addDelta(UndoDelta delta, const std::string& name);
    void applyStep(const EditStep& step, bool forward);
    void applyDelta(const UndoDelta& delta, bool forward);
    std::vector<std::uint8_t> readBox(const Box& box) const;
    /// Marks the 4-connected region of equal label around (x, y) on slice z in `in` (one byte
    /// per slice voxel); returns its size and bounding box.
    std::int64_t floodRegion(std::int64_t z, std::int64_t x, std::int64_t y, std::vector<std::uint8_t>& in, Box& box) const;
    void countEdits(const EditStep& step, int sign);
    /// A change-free one-voxel delta on slice z: makes an accept step count slice z.
    UndoDelta acceptMarker(std::int64_t z) const;
    Box sliceBox(std::int64_t z) const { return {z, 0, 0, z + 1, shape().height, shape().width}; }

    SliceStore labels_;
    std::vector<LabelClass> classes_;
    std::shared_ptr<const SliceStore> reference_;
    ConfusionCounts confusion_;
    EditHistory history_;
    bool strokeOpen_ = false;
    std::string strokeName_;
    std::vector<UndoDelta> stroke_;
    std::vector<int> editCount_;
    std::vector<int> acceptCount_;
    std::set<std::int64_t> restoredEdited_;
    std::set<std::int64_t> restoredAccepted_;
};

}  // namespace mitoseg::labels
