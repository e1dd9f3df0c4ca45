#include "ui/StackFiles.h"

#include <QFileInfo>

#include "ui/ImageSource.h"

#include "core/io/TiffStack.h"
#include "core/io/TiffWriter.h"
#include "core/labels/SliceStoreIo.h"

namespace mitoseg::ui {

namespace {

class TiffSource final : public ImageSource {
public:
    explicit TiffSource(std::unique_ptr<TiffStack> stack) : stack_(std::move(stack)) {}
    Shape shape() const override { return stack_->info().shape; }
    Spacing spacing() const override { return stack_->info().spacing; }
    QString path() const override { return QString::fromStdString(stack_->info().path.string()); }
    QString name() const override { return QFileInfo(path()).fileName(); }
    void readSliceF32(std::int64_t z, float* dst) const override { stack_->readSliceF32(z, dst); }
    void readLineF32(std::int64_t z, bool row, std::int64_t at, float* dst) const override
    {
        const StackInfo& in = stack_->info();
        const void* mapped = stack_->mappedSlice(z);
        if (!mapped) {
            ImageSource::readLineF32(z, row, at, dst);
            return;
        }
        const std::int64_t w = in.shape.width, h = in.shape.height;
        auto copy = [&](const auto* p) {
            if (row)
                for (std::int64_t x = 0; x < w; ++x)
                    dst[x] = static_cast<float>(p[at * w + x]);
            else
                for (std::int64_t y = 0; y < h; ++y)
                    dst[y] = static_cast<float>(p[y * w + at]);
        };
        switch (in.dtype) {
        case DType::U8: copy(static_cast<const std::uint8_t*>(mapped)); break;
        case DType::U16: copy(static_cast<const std::uint16_t*>(mapped)); break;
        case DType::F32: copy(static_cast<const float*>(mapped)); break;
        }
        stack_->releaseMappedSlice(z);   // the resident set stays flat however deep the stack
    }

private:
    std::unique_ptr<TiffStack> stack_;
};

}  // namespace

std::shared_ptr<ImageSource> openTiffSource(const std::filesystem::path& path)
{
    return std::make_shared<TiffSource>(TiffStack::open(path));
}

VolumeU8 readLabelStack(const std::filesystem::path& path, bool binarize) { return readLabels(path, binarize); }

void writeMaskStack(const std::filesystem::path& path, const VolumeU8& labels)
{
    TiffWriteOptions options;
    options.compression = TiffCompression::Deflate;
    writeMask(path, labels, options);
}

labels::SliceStore readLabelStore(const std::filesystem::path& path, bool binarize)
{
    return labels::readLabelStore(path, binarize);
}

void writeMaskStack(const std::filesystem::path& path, const labels::SliceSnapshot& labels, const Spacing& spacing)
{
    TiffWriteOptions options;
    options.compression = TiffCompression::Deflate;
    labels::writeMaskSnapshot(path, labels, spacing, options);
}

}  // namespace mitoseg::ui
