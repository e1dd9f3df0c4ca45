#include "core/engine/QuantizedOps.h"

#include <ATen/Parallel.h>
#include <ATen/core/dispatch/Dispatcher.h>

#include <algorithm>
#include <cstring>

#include "core/base/Error.h"

namespace mitoseg {

namespace {

const auto kChannelsLast = torch::MemoryFormat::ChannelsLast;

std::uint8_t* bytesOf(const torch::Tensor& q)
{
    return static_cast<std::uint8_t*>(q.data_ptr());
}

torch::Tensor emptyQuantized(std::int64_t n, std::int64_t c, std::int64_t h, std::int64_t w, double scale,
                             std::int64_t zeroPoint)
{
    return at::_empty_affine_quantized({n, c, h, w}, at::device(torch::kCPU).dtype(torch::kQUInt8), scale, zeroPoint,
                                       kChannelsLast);
}

void requireChannelsLastQUInt8(const torch::Tensor& q, const char* what)
{
    if (q.dim() != 4 || q.scalar_type() != torch::kQUInt8 || !q.is_contiguous(kChannelsLast))
        throw Error(std::string(what) + ": needs a 4-d channels-last quint8 tensor");
}

/// nearbyint(v) for |v| < 2^22 in the default rounding mode, without a libm call (vectorizes).
/// Strict IEEE arithmetic (no -ffast-math) keeps (v + m) - m from being folded.
inline float roundToEven(float v)
{
    constexpr float magic = 12582912.0f;   // 1.5 * 2^23
    return (v + magic) - magic;
}

}  // namespace

torch::Tensor quantizeChannelsLast(const torch::Tensor& x, double scale, std::int64_t zeroPoint)
{
    const torch::Tensor src = x.to(torch::kFloat).contiguous();   // NCHW (usually already)
    const std::int64_t N = src.size(0), C = src.size(1), H = src.size(2), W = src.size(3), plane = H * W;
    torch::Tensor out = emptyQuantized(N, C, H, W, scale, zeroPoint);
    const float* in = src.data_ptr<float>();
    std::uint8_t* o = bytesOf(out);
    // As LibTorch's quantize_val: zero point + nearbyint(value * (1 / scale)), clamped to a byte.
    const float inv = 1.0f / static_cast<float>(scale);
    const float zp = static_cast<float>(zeroPoint);
    at::parallel_for(0, N * H, 16, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t row = begin; row < end; ++row) {
            const std::int64_t n = row / H, y = row % H;
            std::uint8_t* orow = o + (n * plane + y * W) * C;
            for (std::int64_t c = 0; c < C; ++c) {
                const float* irow = in + (n * C + c) * plane + y * W;
                for (std::int64_t i = 0; i < W; ++i) {
                    // Clamping first keeps |v| small for the rounding and changes no result
                    // (anything beyond [-zp - 1, 256 - zp] clamps to 0 or 255 either way).
                    const float v = std::clamp(irow[i] * inv, -zp - 1.0f, 256.0f - zp);
                    const float r = std::clamp(zp + roundToEven(v), 0.0f, 255.0f);
                    orow[i * C + c] = static_cast<std::uint8_t>(r);
                }
            }
        }
    });
    return out;
}

torch::Tensor maxPool2Quantized(const torch::Tensor& q)
{
    requireChannelsLastQUInt8(q, "maxPool2Quantized");
    const std::int64_t N = q.size(0), C = q.size(1), H = q.size(2), W = q.size(3);
    if (H % 2 != 0 || W % 2 != 0)
        return torch::max_pool2d(q, {2, 2}, {2, 2}, {0, 0}, {1, 1});
    const std::int64_t h = H / 2, w = W / 2;
    torch::Tensor out = emptyQuantized(N, C, h, w, q.q_scale(), q.q_zero_point());
    const std::uint8_t* in = bytesOf(q);
    std::uint8_t* o = bytesOf(out);
    at::parallel_for(0, N * h, 16, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t row = begin; row < end; ++row) {
            const std::int64_t n = row / h, y = row % h;
            const std::uint8_t* top = in + ((n * H + 2 * y) * W) * C;
            const std::uint8_t* bottom = top + W * C;
            std::uint8_t* orow = o + ((n * h + y) * w) * C;
            for (std::int64_t x = 0; x < w; ++x) {
                const std::uint8_t* a = top + 2 * x * C;
                const std::uint8_t* b = bottom + 2 * x * C;
                std::uint8_t* d = orow + x * C;
                for (std::int64_t c = 0; c < C; ++c)
                    d[c] = std::max(std::max(a[c], a[C + c]), std::max(b[c], b[C + c]));
            }
        }
    });
    return out;
}

void blockShuffleOrder(torch::Tensor& weight, torch::Tensor& bias)
{
    const std::int64_t four = weight.size(0), cin = weight.size(1);
    if (four % 4 != 0 || weight.size(2) != 1 || weight.size(3) != 1)
        throw Error("blockShuffleOrder: needs 1x1 weights with 4C output channels");
    const std::int64_t C = four / 4;
    weight = weight.reshape({C, 4, cin, 1, 1}).transpose(0, 1).reshape({four, cin, 1, 1}).contiguous();
    if (bias.defined())
        bias = bias.reshape({C, 4}).t().reshape({four}).contiguous();
}

torch::Tensor requantTable(std::int64_t channels, double fromScale, std::int64_t fromZeroPoint, double scale,
                           std::int64_t zeroPoint)
{
    // Channel c of pixel v holds byte v, so the operator's answer is the table.
    torch::Tensor bytes = torch::arange(256, torch::kInt).to(torch::kByte).view({1, 1, 1, 256}).expand({1, channels, 1, 256});
    torch::Tensor q = at::_make_per_tensor_quantized_tensor(bytes.contiguous(kChannelsLast), fromScale, fromZeroPoint);
    static const c10::OperatorHandle cat = c10::Dispatcher::singleton().findSchemaOrThrow("quantized::cat", "");
    torch::jit::Stack stack{c10::List<torch::Tensor>({q.contiguous(kChannelsLast)}), std::int64_t{1}, scale, zeroPoint};
    cat.callBoxed(stack);
    return stack.at(0).toTensor().int_repr().reshape({channels, 256}).contiguous();
}

torch::Tensor joinQuantized(const torch::Tensor& shuffled, bool alreadyFull, const torch::Tensor& skip,
                            const torch::Tensor& table)
{
    requireChannelsLastQUInt8(shuffled, "joinQuantized");
    requireChannelsLastQUInt8(skip, "joinQuantized");
    const std::int64_t N = skip.size(0), Cs = skip.size(1), H = skip.size(2), W = skip.size(3);
    const std::int64_t Cu = alreadyFull ? shuffled.size(1) : shuffled.size(1) / 4;
    const bool sizesMatch = alreadyFull ? (shuffled.size(2) == H && shuffled.size(3) == W)
                                        : (shuffled.size(1) % 4 == 0 && 2 * shuffled.size(2) == H && 2 * shuffled.size(3) == W);
    if (shuffled.size(0) != N || !sizesMatch || table.size(0) != Cs || table.size(1) != 256 || table.scalar_type() != torch::kByte)
        throw Error("joinQuantized: sizes of the up-sampled input, the skip connection or the table do not match");
    const std::int64_t Co = Cu + Cs;
    torch::Tensor out = emptyQuantized(N, Co, H, W, shuffled.q_scale(), shuffled.q_zero_point());
    const std::uint8_t* up = bytesOf(shuffled);
    const std::uint8_t* sk = bytesOf(skip);
    const std::uint8_t* lut = table.data_ptr<std::uint8_t>();
    std::uint8_t* o = bytesOf(out);
    const std::int64_t w = W / 2;
    at::parallel_for(0, N * H, 16, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t row = begin; row < end; ++row) {
            const std::int64_t n = row / H, y = row % H;
            std::uint8_t* orow = o + row * W * Co;
            const std::uint8_t* srow = sk + row * W * Cs;
            for (std::int64_t x = 0; x < W; ++x) {
                std::uint8_t* d = orow + x * Co;
                // Blocked order: the Cu channels of pixel (y, x) are block 2 (y % 2) + x % 2 of
                // the 4 Cu channels at (y / 2, x / 2).
                const std::uint8_t* u = alreadyFull ? up + (row * W + x) * Cu
                                                    : up + ((n * (H / 2) + y / 2) * w + x / 2) * 4 * Cu + (2 * (y % 2) + x % 2) * Cu;
                std::memcpy(d, u, static_cast<std::size_t>(Cu));
                const std::uint8_t* s = srow + x * Cs;
                for (std::int64_t c = 0; c < Cs; ++c)
                    d[Cu + c] = lut[c * 256 + s[c]];
            }
        }
    });
    return out;
}

torch::Tensor headQuantized(const torch::Tensor& q, const torch::Tensor& weight, const torch::Tensor& bias)
{
    const std::int64_t N = q.size(0), C = q.size(1), H = q.size(2), W = q.size(3), O = weight.size(0);
    // NHWC bytes, read in place (a copy only for a tensor that is not channels-last).
    const torch::Tensor held = q.is_contiguous(kChannelsLast) ? q : q.contiguous(kChannelsLast);
    const float scale = static_cast<float>(q.q_scale());
    const auto zp = static_cast<float>(q.q_zero_point());
    torch::Tensor w = weight.to(torch::kFloat).reshape({O, C}).contiguous() * scale;
    torch::Tensor b = bias.to(torch::kFloat).contiguous() - w.sum(1) * zp;
    torch::Tensor out = torch::empty({N, O, H, W});
    const std::uint8_t* in = bytesOf(held);
    const float* wp = w.data_ptr<float>();
    const float* bp = b.data_ptr<float>();
    float* op = out.data_ptr<float>();
    const std::int64_t plane = H * W;
    at::parallel_for(0, N * plane, 4096, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t p = begin; p < end; ++p) {
            const std::uint8_t* px = in + p * C;
            const std::int64_t n = p / plane, at = p % plane;
            for (std::int64_t o = 0; o < O; ++o) {
                const float* wo = wp + o * C;
                float acc = bp[o];
                for (std::int64_t c = 0; c < C; ++c)
                    acc += wo[c] * static_cast<float>(px[c]);
                op[(n * O + o) * plane + at] = acc;
            }
        }
    });
    return out;
}

}  // namespace mitoseg
