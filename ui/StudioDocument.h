#pragma once
// What the studio has open: the grey stack (lazy), the editable mask (LabelEditor, out of core),
// an optional reference mask (a SliceStore), the predictions that came back from the segmenter
// (labels and 8-bit probabilities, compressed per slice in SliceStores), and the file paths. Turns core's plain callbacks into Qt signals. GUI thread only; owns everything it holds
// (the image source is shared with running segmentation jobs, read-only).
#include <QObject>
#include <QString>

#include <memory>
#include <optional>
#include <vector>

#include "core/engine/Calibration.h"
#include "core/engine/PostProcessPlan.h"
#include "core/engine/Segmenter.h"
#include "core/labels/LabelEditor.h"
#include "ui/ImageSource.h"

namespace mitoseg::ui {

/// Why a slice counts as labelled (ground truth for retraining and scoring).
enum class LabelSource {
    None,       ///< not labelled
    Edited,     ///< corrected by hand (brush, eraser, fill) and the edit is applied
    Accepted,   ///< replaced by an accepted prediction (and not corrected since)
    Marked,     ///< marked by hand as labelled as it is (takes precedence)
};

class StudioDocument : public QObject {
    Q_OBJECT
public:
    explicit StudioDocument(QObject* parent = nullptr);
    ~StudioDocument() override;

    /// Shows `image` with an empty mask of the same shape; drops reference and predictions.
    /// All or nothing: when the stack's working set does not fit (memoryNeeded against the
    /// memory budget and availableMemoryBytes, or an allocation fails) it throws mitoseg::Error,
    /// naming the stack and the bytes it needs, and the open document, its mask and its undo
    /// history stay.
    void setImage(std::shared_ptr<ImageSource> image);
    /// Bytes the studio needs at least for a stack of `shape`: the per-slice working set (a few
    /// decoded slices of the mask, reference, predictions and the image) and the per-slice
    /// bookkeeping. The volumes themselves live out of core (compressed, spilled to scratch).
    static std::uint64_t memoryNeeded(const Shape& shape);
    /// Replaces the mask (shape must match; throws std::invalid_argument otherwise).
    void setMask(VolumeU8 mask, const QString& path);
    void setMask(labels::SliceStore mask, const QString& path);
    /// Sets the reference ("truth") mask; null removes it. Throws on shape mismatch.
    void setReference(std::shared_ptr<VolumeU8> reference, const QString& path);
    void setReference(std::shared_ptr<const labels::SliceStore> reference, const QString& path);
    void setReference(std::nullptr_t, const QString& path) { setReference(std::shared_ptr<const labels::SliceStore>(), path); }
    /// Stores the segmenter's result for slice z (GUI thread; called as slices finish).
    /// Results whose size does not match the stack are ignored.
    void setPrediction(std::int64_t z, const SlicePrediction& prediction);
    /// Drops every prediction.
    void clearPredictions();
    /// Restores a stored prediction of slice z: P(foreground) as 0..255 (height*width) and, for
    /// a multi-class slice, its labels in the document's classes (nullptr: binary, labels come
    /// from the threshold). Same signals as setPrediction.
    void restorePrediction(std::int64_t z, const std::uint8_t* probability, const std::uint8_t* labels);
    /// True when slice z holds a binary prediction (labels follow the threshold).
    bool predictionIsBinary(std::int64_t z) const { return hasPrediction(z) && binaryPred_[static_cast<std::size_t>(z)]; }
    /// Foreground threshold for binary predictions: labels become P(foreground) >= t on every
    /// predicted slice (multi-class predictions keep the engine's labels).
    void setPredictionThreshold(double t);
    double predictionThreshold() const { return threshold_; }
    /// The post-processing of binary stack predictions (the model's recommendation, or the
    /// user's from the Layers panel); its threshold becomes the prediction threshold. Applied
    /// at once (on a worker) when every slice is predicted; emits postProcessingChanged.
    void setPostProcessing(const PostProcessing& settings);
    const PostProcessing& postProcessing() const { return post_; }
    /// What is applied to this stack: postProcessing() adapted to its shape (no z-smoothing on
    /// a single image, the smallest object cut to a thin stack; see planPostProcessing).
    PostProcessPlan postProcessingPlan() const { return planPostProcessing(post_, shape()); }
    /// Starts, on a worker thread, what `mitoseg predict` does after a whole stack: P(foreground)
    /// averaged over +-zSmooth predicted slices, thresholded, then 3D objects (26-connected)
    /// under minObjectVoxels dropped (about 2 s for the 165-slice EPFL stack), with the
    /// settings of postProcessingPlan(). Returns false
    /// (labels unchanged) unless every slice has a binary prediction and the settings do
    /// something. Later emits stackPostProcessingFinished: applied, with the labels replaced,
    /// unless a prediction, threshold or stack change came in meanwhile (result dropped).
    /// Until a new prediction arrives, threshold changes re-apply it the same way.
    bool startStackPostProcessing();
    /// True while the predicted labels are the stack post-processing's result.
    bool stackPostProcessed() const { return stackPostProcessed_; }

    /// The mask's classes (classes[0] is background). Kept across setImage.
    const std::vector<labels::LabelClass>& classes() const { return mask_->classes(); }
    /// Replaces the class list (2..256 entries, else std::invalid_argument). Labels are kept;
    /// metrics are recounted. Emits classesChanged when the list differs.
    void setClasses(std::vector<labels::LabelClass> classes);
    /// Adds "class N" entries so that label value `maxValue` has a class (no-op when it has).
    void extendClasses(int maxValue);
    /// The loaded model's class names (names[0] is background; fewer than two, or unnamed
    /// classes of a two-class model: a binary "mitochondria" model). Predictions are written as the document's class of the same name
    /// (labels::matchClasses); model classes without a match are added to the document's
    /// classes, and their names returned. Binary predictions already in are relabelled.
    std::vector<std::string> setModelClassNames(std::vector<std::string> names);
    /// The document label that model class `modelClass` is written as.
    std::uint8_t predictionLabelFor(int modelClass) const;

    /// The voxel size used for 3D measurements and views: the user's (setVoxelSize) if set,
    /// else the stack's calibration (px when it has none).
    Spacing spacing() const;
    /// Sets the voxel size (z, y, x > 0, else std::invalid_argument; an empty unit becomes
    /// "px"); kept until another stack is opened. Emits spacingChanged when it differs.
    void setVoxelSize(const Spacing& spacing);
    /// True when the user set the voxel size for this stack.
    bool voxelSizeSet() const { return voxelSize_.has_value(); }

    bool hasImage() const { return image_ != nullptr; }
    const std::shared_ptr<ImageSource>& image() const { return image_; }
    Shape shape() const { return image_ ? image_->shape() : Shape{}; }
    labels::LabelEditor& mask() { return *mask_; }
    const labels::LabelEditor& mask() const { return *mask_; }
    const labels::SliceStore* reference() const { return reference_.get(); }

    bool hasPrediction(std::int64_t z) const;
    int predictedSlices() const;
    /// Predicted labels of slice z (empty when none); the slice stays valid while held.
    labels::SliceRef predictionLabels(std::int64_t z) const;
    /// Foreground probability of slice z as 0..255 (empty when none).
    labels::SliceRef predictionProbability(std::int64_t z) const;
    /// Why the last startStackPostProcessing did not run although the settings ask for it
    /// (its streamed window does not fit the memory budget); empty otherwise. Above the budget
    /// the post-processing streams (core's StreamingPostProcessor) with the same result.
    const QString& stackPostProcessingRefusal() const { return postRefusal_; }
    /// Prediction vs reference confusion counts (slices with a prediction only).
    const labels::ConfusionCounts& predictionConfusion() const { return predConfusion_; }

    /// Accepts the prediction of slice z into the mask (one undo step). False when none/no change.
    bool acceptPredictionSlice(std::int64_t z);
    /// Accepts every predicted slice as one undo step. Slices labelled by hand (Edited or Marked)
    /// are left alone unless `overwriteHandLabelled`; `skipped` receives how many were. False when
    /// nothing changed.
    bool acceptPredictionStack(bool overwriteHandLabelled = false, int* skipped = nullptr);

    // ---- labelled slices (GUI thread) ---------------------------------------------------
    /// Slices that are labelled (any source but None), sorted.
    std::vector<std::int64_t> labelledSlices() const;
    bool isLabelled(std::int64_t z) const { return sliceLabelSource(z) != LabelSource::None; }
    /// Why slice z is labelled: Marked, else Edited, else Accepted, else None.
    LabelSource sliceLabelSource(std::int64_t z) const;
    /// Slices whose source is exactly `source` (sorted); for sessions.
    std::vector<std::int64_t> slicesLabelledAs(LabelSource source) const;
    /// Marks (or unmarks) slice z as labelled by hand, e.g. a slice with no mitochondria that
    /// is right as it is. Not an undo step. Cleared by setImage and setMask.
    void setSliceMarkedLabelled(std::int64_t z, bool marked);
    /// Restores the labelled slices of a session (after the mask is loaded).
    void restoreLabelledSlices(const std::vector<std::int64_t>& edited, const std::vector<std::int64_t>& accepted,
                               const std::vector<std::int64_t>& marked);

    QString maskPath() const { return maskPath_; }
    QString referencePath() const { return referencePath_; }
    QString modelPath() const { return modelPath_; }
    void setModelPath(const QString& p) { modelPath_ = p; }
    void setMaskPath(const QString& p) { maskPath_ = p; }

    /// Mask edited since the last save / load.
    bool isDirty() const { return dirty_; }
    void setClean();
    /// Marks the mask as having unsaved edits (e.g. restored from an autosave).
    void markDirty();

Q_SIGNALS:
    void imageChanged();
    /// Mask voxels changed in slices [z0, z1) within the rectangle x0..x1, y0..y1 (half-open).
    void maskChanged(qint64 z0, qint64 z1, int x0, int y0, int x1, int y1);
    void referenceChanged();
    void predictionChanged(qint64 z);
    /// The prediction threshold changed (by the user or a model's recommendation).
    void predictionThresholdChanged(double threshold);
    /// setPostProcessing changed the settings.
    void postProcessingChanged();
    /// A startStackPostProcessing job ended; `applied` when it replaced the predicted labels.
    void stackPostProcessingFinished(bool applied);
    void historyChanged();
    /// The mask's history was dropped (new image or loaded mask): undo stacks clear.
    void historyReset();
    void dirtyChanged(bool dirty);
    /// The class list changed (names, colours or count).
    void classesChanged();
    /// spacing() changed (the user set the voxel size).
    void spacingChanged();
    /// labelledSlices() or a slice's LabelSource changed (edit, accept, undo, mark, load).
    void labelledSlicesChanged();

private:
    void connectMask(labels::LabelEditor& mask);
    void checkLabelled();
    void updateClassMap();
    void thresholdSlice(std::int64_t z);
    bool canPostProcessStack() const;
    void setPostProcessedLabels(labels::SliceStore labels);

    std::shared_ptr<ImageSource> image_;
    std::unique_ptr<labels::LabelEditor> mask_;
    std::shared_ptr<const labels::SliceStore> reference_;
    labels::SliceStore predLabels_;
    labels::SliceStore predProb_;
    QString postRefusal_;
    std::vector<bool> hasPred_;
    std::vector<bool> binaryPred_;
    double threshold_ = 0.5;
    PostProcessing post_;
    bool stackPostProcessed_ = false;
    int postGeneration_ = 0;   ///< bumped by every change that makes a running job's result stale
    labels::ConfusionCounts predConfusion_;
    QString maskPath_, referencePath_, modelPath_;
    std::optional<Spacing> voxelSize_;   ///< the user's voxel size; none: the stack's
    bool dirty_ = false;
    std::vector<bool> marked_;
    std::vector<std::string> modelNames_;   ///< empty: labels kept as the model gives them
    std::vector<std::uint8_t> classMap_;    ///< model class -> document label
    std::vector<LabelSource> labelled_;   ///< last state reported by labelledSlicesChanged
};

/// The default classes of a binary mitochondria mask.
std::vector<labels::LabelClass> defaultClasses();
/// Classes named `names` (names[0] is background) with colours from a fixed distinct palette
/// (membranes blue, mitochondria amber, others by position). Empty names become "class N".
std::vector<labels::LabelClass> classesFromNames(const std::vector<std::string>& names);

}  // namespace mitoseg::ui
