#pragma once
// Something that segments one slice: the U-Net behind core's Segmenter, or a fake in tests.
// predict() runs on the segmentation worker thread, one call at a time.
#include <QString>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/base/Progress.h"
#include "core/engine/Calibration.h"
#include "core/engine/Segmenter.h"

namespace mitoseg::ui {

class ImageSource;

class PredictionProvider {
public:
    virtual ~PredictionProvider() = default;
    /// Shown in the status bar (model file name, preset).
    virtual QString name() const = 0;
    /// The model's class names (classNames[0] is background); empty when unknown (binary).
    virtual std::vector<std::string> classNames() const { return {}; }
    /// Segments a slice of raw values (height*width). May throw mitoseg::Cancelled / Error.
    virtual SlicePrediction predict(const float* raw, std::int64_t height, std::int64_t width,
                                    const CancelToken& cancel) = 0;
    /// The model's recommended threshold and 3D post-processing (binary models).
    virtual PostProcessing postProcessing() const { return {}; }
    /// 2.5D models: neighbours read on each side of the slice (0 = the slice alone).
    virtual int contextSlices() const { return 0; }
    /// Segments a slice given 2 * contextSlices() + 1 raw slices centred on it (clamped at the
    /// stack's ends). The default ignores the neighbours.
    virtual SlicePrediction predictWithContext(const std::vector<const float*>& slices, std::int64_t height, std::int64_t width,
                                               const CancelToken& cancel)
    {
        return predict(slices[slices.size() / 2], height, width, cancel);
    }

    /// Called on the worker thread before each job on `image` (the document's whole stack). The
    /// U-Net in int8 measures its activation ranges there, once per image (about 1.5 s), so
    /// every slice is segmented as `mitoseg predict` segments it on the same file, whichever job
    /// or order. Throws mitoseg::Cancelled.
    virtual void prepareFor(const std::shared_ptr<const ImageSource>& image, const CancelToken& cancel)
    {
        (void)image;
        (void)cancel;
    }
    /// Segments slices z0 .. z1-1 of `image` with their real neighbours, several at once where
    /// the engine can (as `mitoseg predict` does), calling `onSlice` in z order on this thread.
    /// Returns false, having done nothing, when the provider predicts one slice at a time only
    /// (the default). Throws mitoseg::IoError when a slice cannot be read (the slices before it
    /// were delivered), mitoseg::Cancelled, mitoseg::Error.
    virtual bool predictSlices(const std::shared_ptr<const ImageSource>& image, std::int64_t z0, std::int64_t z1,
                               const CancelToken& cancel, const SliceCallback& onSlice)
    {
        (void)image, (void)z0, (void)z1, (void)cancel, (void)onSlice;
        return false;
    }
    /// "int8" or "float32"/"bfloat16": what predict() computes in (shown in the status bar).
    virtual QString precision() const { return {}; }

    /// Loads a model through core's Segmenter; throws mitoseg::Error (e.g. no engine, bad file).
    static std::shared_ptr<PredictionProvider> loadModel(const std::filesystem::path& path);
};

}  // namespace mitoseg::ui
