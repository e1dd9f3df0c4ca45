#pragma once
// Dense in-memory volumes, z-major (z, y, x), with physical voxel spacing.
// Plain value types: copyable, movable, not synchronised (one writer at a time).
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace mitoseg {

/// Voxel type of a stack on disk or in memory.
enum class DType { U8, U16, F32 };

/// Bytes per voxel of `t`.
constexpr std::size_t dtypeSize(DType t) { return t == DType::U8 ? 1 : t == DType::U16 ? 2 : 4; }
/// "uint8", "uint16" or "float32" (the numpy names).
const char* dtypeName(DType t);

/// Extent of a volume in voxels.
struct Shape {
    std::int64_t depth = 0, height = 0, width = 0;
    std::int64_t sliceVoxels() const { return height * width; }
    std::int64_t voxels() const { return depth * height * width; }
    bool operator==(const Shape&) const = default;
};

/// Physical size of one voxel; `unit` is e.g. "nm", "um", or "px" when unknown.
struct Spacing {
    double z = 1.0, y = 1.0, x = 1.0;
    std::string unit = "px";
    bool operator==(const Spacing&) const = default;
};

namespace detail {
/// Hints the kernel to back the fresh allocation [p, p + bytes) with transparent huge pages
/// before it is first touched (a 130 MB volume then faults in ~65 pages instead of ~32000,
/// which is most of the cost of allocating it). Harmless no-op for small or odd ranges.
void adviseHugePages(void* p, std::size_t bytes);
}  // namespace detail

template <class T>
struct DTypeOf;
template <> struct DTypeOf<std::uint8_t> { static constexpr DType value = DType::U8; };
template <> struct DTypeOf<std::uint16_t> { static constexpr DType value = DType::U16; };
template <> struct DTypeOf<float> { static constexpr DType value = DType::F32; };

/// A dense volume of T. Slices are contiguous: slice(z) points at height*width voxels.
template <class T>
class Volume {
public:
    Volume() = default;
    explicit Volume(Shape shape, T fill = T{}) : shape_(shape)
    {
        const auto n = static_cast<std::size_t>(shape.voxels());
        data_.reserve(n);
        detail::adviseHugePages(data_.data(), n * sizeof(T));
        data_.assign(n, fill);
    }
    /// Adopts `data`, which must hold shape.voxels() values in z-major order (lets a loader
    /// fill storage once instead of zero-filling it first). Throws std::invalid_argument.
    Volume(Shape shape, std::vector<T> data) : shape_(shape), data_(std::move(data))
    {
        if (data_.size() != static_cast<std::size_t>(shape.voxels()))
            throw std::invalid_argument("Volume: data size does not match the shape");
    }

    const Shape& shape() const { return shape_; }
    std::int64_t depth() const { return shape_.depth; }
    std::int64_t height() const { return shape_.height; }
    std::int64_t width() const { return shape_.width; }
    bool empty() const { return data_.empty(); }

    Spacing spacing;

    T* data() { return data_.data(); }
    const T* data() const { return data_.data(); }
    std::vector<T>& values() { return data_; }
    const std::vector<T>& values() const { return data_; }

    T* slice(std::int64_t z) { return data_.data() + z * shape_.sliceVoxels(); }
    const T* slice(std::int64_t z) const { return data_.data() + z * shape_.sliceVoxels(); }

    T& operator()(std::int64_t z, std::int64_t y, std::int64_t x) { return data_[index(z, y, x)]; }
    const T& operator()(std::int64_t z, std::int64_t y, std::int64_t x) const { return data_[index(z, y, x)]; }
    std::size_t index(std::int64_t z, std::int64_t y, std::int64_t x) const
    {
        return static_cast<std::size_t>((z * shape_.height + y) * shape_.width + x);
    }

private:
    Shape shape_;
    std::vector<T> data_;
};

using VolumeU8 = Volume<std::uint8_t>;
using VolumeU16 = Volume<std::uint16_t>;
using VolumeF32 = Volume<float>;

}  // namespace mitoseg
