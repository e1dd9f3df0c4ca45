#include "ui/PredictionProvider.h"

#include <QFileInfo>

#include <algorithm>

#include "core/base/Error.h"
#include "core/base/Memory.h"
#include "core/engine/PredictMemory.h"
#include "ui/ImageSource.h"

namespace mitoseg::ui {

namespace {

class SegmenterProvider final : public PredictionProvider {
public:
    SegmenterProvider(std::unique_ptr<Segmenter> s, QString name) : segmenter_(std::move(s)), name_(std::move(name))
    {
        options_.int8 = int8_ = !options_.bf16 && defaultInt8();
    }
    QString name() const override { return name_; }
    QString precision() const override
    {
        return options_.int8 ? QStringLiteral("int8") : options_.bf16 ? QStringLiteral("bfloat16") : QStringLiteral("float32");
    }
    void prepareFor(const std::shared_ptr<const ImageSource>& image, const CancelToken& cancel) override
    {
        if (!int8_ || !image || calibratedFor_.lock() == image)
            return;
        cancel.check();
        options_.int8 = true;
        try {
            segmenter_->setInt8Calibration(int8CalibrationOf(image->shape(), segmenter_->info().contextSlices,
                                                             [&](std::int64_t z, float* dst) { image->readSliceF32(z, dst); }));
        } catch (const IoError&) {
            // A calibration slice cannot be read: this image is segmented in float32 (the
            // unreadable slice itself is reported by the job that reaches it).
            options_.int8 = false;
        }
        calibratedFor_ = image;
    }
    std::vector<std::string> classNames() const override
    {
        const ModelInfo& info = segmenter_->info();
        std::vector<std::string> names = info.classNames;
        names.resize(static_cast<std::size_t>(std::max<int>(info.classes, static_cast<int>(names.size()))));
        return names;
    }
    SlicePrediction predict(const float* raw, std::int64_t h, std::int64_t w, const CancelToken& cancel) override
    {
        return segmenter_->predictSlice(raw, h, w, options_, &cancel);
    }
    int contextSlices() const override { return segmenter_->info().contextSlices; }
    bool predictSlices(const std::shared_ptr<const ImageSource>& image, std::int64_t z0, std::int64_t z1, const CancelToken& cancel,
                       const SliceCallback& onSlice) override
    {
        // As many slices in flight as the memory budget holds (at least one), as `mitoseg predict`.
        PredictOptions o = options_;
        o.workers = planPredictMemory(image->shape(), segmenter_->info(), o, 0, false, memoryBudget()).workers;
        segmenter_->predictSlices(image->shape(), [&](std::int64_t z, float* dst) { image->readSliceF32(z, dst); }, o, z0, z1,
                                  onSlice, &cancel);
        return true;
    }
    PostProcessing postProcessing() const override
    {
        const ModelInfo& info = segmenter_->info();
        return {info.zSmooth, info.threshold, info.minObjectVoxels};
    }
    SlicePrediction predictWithContext(const std::vector<const float*>& slices, std::int64_t h, std::int64_t w,
                                       const CancelToken& cancel) override
    {
        return segmenter_->predictSliceWithContext(slices, h, w, options_, &cancel);
    }

private:
    std::unique_ptr<Segmenter> segmenter_;
    QString name_;
    PredictOptions options_;
    bool int8_ = false;                                 ///< int8 where the image's calibration slices can be read
    std::weak_ptr<const ImageSource> calibratedFor_;   ///< the image the int8 ranges come from
};

}  // namespace

std::shared_ptr<PredictionProvider> PredictionProvider::loadModel(const std::filesystem::path& path)
{
    auto seg = Segmenter::load(path);
    QString name = QFileInfo(QString::fromStdString(path.string())).fileName();
    if (!seg->info().preset.empty())
        name += QStringLiteral(" (%1)").arg(QString::fromStdString(seg->info().preset));
    return std::make_shared<SegmenterProvider>(std::move(seg), name);
}

}  // namespace mitoseg::ui
