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
