#include "ui/PredictionProvider.h"

#include <QFileInfo>

#include <algorithm>

namespace mitoseg::ui {

namespace {

class SegmenterProvider final : public PredictionProvider {
public:
    SegmenterProvider(std::unique_ptr<Segmenter> s, QString name) : segmenter_(std::move(s)), name_(std::move(name)) {}
    QString name() const override { return name_; }
    std::vector<std::string> classNames() const override
    {
        const ModelInfo& info = segmenter_->info();
        std::vector<std::string> names = info.classNames;
        names.resize(static_cast<std::size_t>(std::max<int>(info.classes, static_cast<int>(names.size()))));
        return names;
    }
    SlicePrediction predict(const float* raw, std::int64_t h, std::int64_t w, const CancelToken& cancel) override
    {
        return segmenter_->predictSlice(raw, h, w, PredictOptions{}, &cancel);
    }
    int contextSlices() const override { return segmenter_->info().contextSlices; }
    PostProcessing postProcessing() const override
    {
        const ModelInfo& info = segmenter_->info();
        return {info.zSmooth, info.threshold, info.minObjectVoxels};
    }
    SlicePrediction predictWithContext(const std::vector<const float*>& slices, std::int64_t h, std::int64_t w,
                                       const CancelToken& cancel) override
    {
        return segmenter_->predictSliceWithContext(slices, h, w, PredictOptions{}, &cancel);
    }

private:
    std::unique_ptr<Segmenter> segmenter_;
    QString name_;
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
