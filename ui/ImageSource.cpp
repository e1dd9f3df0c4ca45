#include "ui/ImageSource.h"

#include <algorithm>

#include "core/base/Error.h"
#include "core/base/Memory.h"
#include "ui/StackFiles.h"

namespace mitoseg::ui {

namespace {

/// Decoded float slices kept: up to 6, within a quarter of the memory budget (at least 2).
std::size_t cacheSlices(const Shape& s)
{
    const auto slice = static_cast<std::uint64_t>(std::max<std::int64_t>(1, s.sliceVoxels())) * sizeof(float);
    return static_cast<std::size_t>(std::clamp<std::uint64_t>(memoryBudget() / 4 / slice, 2, 6));
}

class VolumeSource final : public ImageSource {
public:
    VolumeSource(VolumeU8 v, QString name) : volume_(std::move(v)), name_(std::move(name)) {}
    Shape shape() const override { return volume_.shape(); }
    Spacing spacing() const override { return volume_.spacing; }
    QString path() const override { return {}; }
    QString name() const override { return name_; }
    void readSliceF32(std::int64_t z, float* dst) const override
    {
        const std::uint8_t* s = volume_.slice(z);
        std::transform(s, s + volume_.shape().sliceVoxels(), dst, [](std::uint8_t v) { return static_cast<float>(v); });
    }
    void readLineF32(std::int64_t z, bool row, std::int64_t at, float* dst) const override
    {
        const Shape sh = volume_.shape();
        const std::uint8_t* s = volume_.slice(z);
        if (row)
            std::transform(s + at * sh.width, s + (at + 1) * sh.width, dst, [](std::uint8_t v) { return static_cast<float>(v); });
        else
            for (std::int64_t y = 0; y < sh.height; ++y)
                dst[y] = s[y * sh.width + at];
    }

private:
    VolumeU8 volume_;
    QString name_;
};

}  // namespace

void ImageSource::readLineF32(std::int64_t z, bool row, std::int64_t at, float* dst) const
{
    const Shape s = shape();
    std::vector<float> slice(static_cast<std::size_t>(s.sliceVoxels()));
    readSliceF32(z, slice.data());
    if (row)
        std::copy_n(slice.data() + at * s.width, s.width, dst);
    else
        for (std::int64_t y = 0; y < s.height; ++y)
            dst[y] = slice[static_cast<std::size_t>(y * s.width + at)];
}

const ImageSource::Entry& ImageSource::entry(std::int64_t z) const
{
    for (auto it = cache_.begin(); it != cache_.end(); ++it)
        if (it->z == z) {
            cache_.splice(cache_.begin(), cache_, it);
            return cache_.front();
        }
    Entry e{z, {}, {}};
    if (cache_.size() >= cacheSlices(shape())) {
        e.values = std::move(cache_.back().values);
        cache_.pop_back();
    }
    try {
        e.values.resize(static_cast<std::size_t>(shape().sliceVoxels()));
        readSliceF32(z, e.values.data());
    } catch (const std::exception& error) {
        e.values = {};
        e.error = QString::fromStdString(error.what());
        if (e.error.isEmpty())
            e.error = QStringLiteral("slice %1 cannot be read").arg(z + 1);
    }
    cache_.push_front(std::move(e));
    return cache_.front();
}

const std::vector<float>& ImageSource::cachedSlice(std::int64_t z) const
{
    const Entry& e = entry(z);
    if (!e.error.isEmpty())
        throw Error(e.error.toStdString());
    return e.values;
}

const float* ImageSource::trySlice(std::int64_t z, QString* error) const
{
    const Entry& e = entry(z);
    if (error)
        *error = e.error;
    return e.error.isEmpty() ? e.values.data() : nullptr;
}

std::shared_ptr<ImageSource> ImageSource::fromVolume(VolumeU8 volume, const QString& name)
{
    return std::make_shared<VolumeSource>(std::move(volume), name);
}

std::shared_ptr<ImageSource> ImageSource::openTiff(const std::filesystem::path& path)
{
    return openTiffSource(path);
}

std::pair<float, float> percentileLevels(const float* values, std::int64_t n, double lowPercent, double highPercent)
{
    if (n <= 0)
        return {0.f, 1.f};
    // Subsample big slices: percentiles of 64k samples are plenty for display levels.
    const std::int64_t stride = std::max<std::int64_t>(1, n / 65536);
    std::vector<float> s;
    s.reserve(static_cast<std::size_t>(n / stride + 1));
    for (std::int64_t i = 0; i < n; i += stride)
        s.push_back(values[i]);
    auto pick = [&](double pct) {
        const auto k = static_cast<std::size_t>(std::clamp(pct / 100.0, 0.0, 1.0) * static_cast<double>(s.size() - 1));
        std::nth_element(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(k), s.end());
        return s[k];
    };
    float lo = pick(lowPercent), hi = pick(highPercent);
    if (hi <= lo)
        hi = lo + 1.f;
    return {lo, hi};
}

}  // namespace mitoseg::ui
