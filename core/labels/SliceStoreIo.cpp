#include "core/labels/SliceStoreIo.h"

#include <algorithm>
#include <string>
#include <vector>

#include "core/base/Error.h"
#include "core/io/TiffSliceWriter.h"
#include "core/io/TiffStack.h"

namespace mitoseg::labels {

SliceStore readLabelStore(const std::filesystem::path& path, bool binarize)
{
    auto stack = TiffStack::open(path);
    const StackInfo& in = stack->info();
    SliceStore out(in.shape);
    const auto n = static_cast<std::size_t>(in.shape.sliceVoxels());
    std::vector<std::uint8_t> slice(n);
    std::vector<float> f32(in.dtype == DType::U8 ? 0 : n);
    for (std::int64_t z = 0; z < in.shape.depth; ++z) {
        if (in.dtype == DType::U8) {
            stack->readSlice(z, slice.data());
            if (binarize)
                for (auto& v : slice)
                    v = v != 0;
        } else {
            stack->readSliceF32(z, f32.data());
            for (std::size_t i = 0; i < n; ++i) {
                const float v = f32[i];
                if (binarize) {
                    slice[i] = v != 0;
                } else if (!(v >= 0 && v <= 255 && v == static_cast<float>(static_cast<int>(v)))) {
                    throw IoError(IoError::Kind::Unsupported, path, z,
                                  "label value " + std::to_string(v) +
                                      " is not an integer in 0..255 (binarize the mask, or relabel it)");
                } else {
                    slice[i] = static_cast<std::uint8_t>(v);
                }
            }
        }
        out.writeSlice(z, slice.data());
    }
    return out;
}

void writeMaskSnapshot(const std::filesystem::path& path, const SliceSnapshot& labels, const Spacing& spacing,
                       const TiffWriteOptions& options)
{
    const Shape s = labels.shape();
    const auto n = static_cast<std::size_t>(s.sliceVoxels());
    std::vector<std::uint8_t> slice(n);
    // First pass: is it binary (0/1 only)? Decoding is a memset per run, far cheaper than writing.
    bool binary = true;
    for (std::int64_t z = 0; z < s.depth && binary; ++z) {
        if (labels.sliceEmpty(z))
            continue;
        labels.readSlice(z, slice.data());
        binary = std::all_of(slice.begin(), slice.end(), [](std::uint8_t v) { return v <= 1; });
    }
    TiffSliceWriter writer(path, SampleType::U8, s, spacing, options);
    for (std::int64_t z = 0; z < s.depth; ++z) {
        labels.readSlice(z, slice.data());
        if (binary)
            for (auto& v : slice)
                v = v ? 255 : 0;
        writer.write(slice.data());
    }
    writer.commit();
}

}  // namespace mitoseg::labels
