#include "ui/StackFiles.h"

#include <QFileInfo>

#include "core/base/Error.h"
#include "ui/ImageSource.h"

#ifdef MITOSEG_HAVE_TIFF_IO
#include "core/io/TiffStack.h"
#include "core/io/TiffWriter.h"
#endif

namespace mitoseg::ui {

#ifdef MITOSEG_HAVE_TIFF_IO
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

#else

namespace {
[[noreturn]] void noTiff(const std::filesystem::path& path)
{
    throw IoError(IoError::Kind::Unsupported, path, -1, "this build has no TIFF reader/writer yet");
}
}  // namespace

std::shared_ptr<ImageSource> openTiffSource(const std::filesystem::path& path) { noTiff(path); }
VolumeU8 readLabelStack(const std::filesystem::path& path, bool) { noTiff(path); }
void writeMaskStack(const std::filesystem::path& path, const VolumeU8&) { noTiff(path); }

#endif

}  // namespace mitoseg::ui
