#include "core/loop/SliceSubset.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/base/Error.h"

namespace mitoseg {

SliceSubset SliceSubset::around(const std::vector<std::int64_t>& needed, int context, std::int64_t depth)
{
    if (context < 0)
        throw Error("slice subset: context " + std::to_string(context) + " is negative");
    SliceSubset s;
    s.depth_ = depth;
    for (const std::int64_t z : needed) {
        if (z < 0 || z >= depth)
            throw Error("slice subset: slice " + std::to_string(z) + " is outside the stack of " + std::to_string(depth) +
                        " slices");
        for (std::int64_t k = std::max<std::int64_t>(0, z - context); k <= std::min(depth - 1, z + context); ++k)
            s.slices_.push_back(k);
    }
    std::sort(s.slices_.begin(), s.slices_.end());
    s.slices_.erase(std::unique(s.slices_.begin(), s.slices_.end()), s.slices_.end());
    return s;
}

bool SliceSubset::contains(std::int64_t z) const
{
    return std::binary_search(slices_.begin(), slices_.end(), z);
}

std::int64_t SliceSubset::local(std::int64_t z) const
{
    const auto it = std::lower_bound(slices_.begin(), slices_.end(), z);
    if (it == slices_.end() || *it != z)
        throw Error("slice subset: slice " + std::to_string(z) + " is not among the slices kept");
    return static_cast<std::int64_t>(it - slices_.begin());
}

std::vector<std::int64_t> SliceSubset::local(const std::vector<std::int64_t>& zs) const
{
    std::vector<std::int64_t> out;
    out.reserve(zs.size());
    for (const std::int64_t z : zs)
        out.push_back(local(z));
    return out;
}

std::vector<std::int64_t> SliceSubset::original(const std::vector<std::int64_t>& is) const
{
    std::vector<std::int64_t> out;
    out.reserve(is.size());
    for (const std::int64_t i : is)
        out.push_back(original(i));
    return out;
}

SubsetImage readSubsetImage(const SliceSubset& subset, std::int64_t height, std::int64_t width,
                            const std::function<void(std::int64_t z, float* dst)>& readSlice, const CancelToken& cancel)
{
    const Shape s{subset.size(), height, width};
    SubsetImage out;
    out.u8 = VolumeU8(s);
    bool isU8 = true;
    std::vector<float> slice(static_cast<std::size_t>(s.sliceVoxels()));
    for (std::int64_t i = 0; i < s.depth; ++i) {
        cancel.check();
        readSlice(subset.original(i), slice.data());
        if (isU8) {
            std::uint8_t* dst = out.u8.slice(i);
            for (std::size_t v = 0; v < slice.size() && isU8; ++v) {
                const float x = slice[v];
                isU8 = x >= 0.0f && x <= 255.0f && x == std::floor(x);
                dst[v] = static_cast<std::uint8_t>(isU8 ? x : 0.0f);
            }
            if (!isU8) {   // switch to float: convert the slices read so far
                out.f32 = VolumeF32(s);
                for (std::int64_t k = 0; k < i; ++k)
                    std::copy(out.u8.slice(k), out.u8.slice(k) + s.sliceVoxels(), out.f32.slice(k));
                out.u8 = VolumeU8();
            }
        }
        if (!isU8)
            std::copy(slice.begin(), slice.end(), out.f32.slice(i));
    }
    return out;
}

}  // namespace mitoseg
