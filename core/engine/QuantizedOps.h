#pragma once
// Byte-level kernels of the int8 U-Net (InferenceNet::forwardInt8) on channels-last quint8
// tensors, read and written in place. LibTorch's own operators for these steps copy the
// activations several times (int_repr, permute, contiguous) or run a scalar loop per element,
// and with a narrow network they took 40% of a forward pass (base 8 on AVX2, one thread:
// quantizing the input 31 ms, pixel shuffle + concatenation 96 ms, pooling 23 ms, against
// 221 ms of convolutions). Each kernel gives the bytes LibTorch's operator gives (tests in
// FastPathTest). INTERNAL to core/engine (includes LibTorch); any thread.
#include <cstdint>

#include <torch/torch.h>

namespace mitoseg {

/// quantize_per_tensor(x.contiguous(channels-last), scale, zeroPoint, quint8) for a float32 x
/// (N, C, H, W) in any memory layout, in one pass.
torch::Tensor quantizeChannelsLast(const torch::Tensor& x, double scale, std::int64_t zeroPoint);

/// max_pool2d(q, 2, 2) of a channels-last quint8 q with even height and width (same scale and
/// zero point; the maximum commutes with the monotone quantization).
torch::Tensor maxPool2Quantized(const torch::Tensor& q);

/// The output channels of a 1x1 convolution to 4C channels that pixel_shuffle(2) turns into C:
/// LibTorch's order is 4c + 2i + j (channel c of pixel (2h + i, 2w + j)); the blocked order
/// (2i + j) C + c keeps the C channels of each output pixel contiguous, so joinQuantized copies
/// them as one block. Returns the weights (4C, Cin, 1, 1) and bias (4C) reordered.
void blockShuffleOrder(torch::Tensor& weight, torch::Tensor& bias);

/// How quantized::cat requantizes each channel of a channels-last quint8 tensor with `channels`
/// channels and (fromScale, fromZeroPoint) to (scale, zeroPoint): a (channels, 256) byte table,
/// taken from LibTorch's operator itself (its vector and scalar loops round differently).
torch::Tensor requantTable(std::int64_t channels, double fromScale, std::int64_t fromZeroPoint, double scale,
                           std::int64_t zeroPoint);

/// The decoder's input: quantized::cat({up, skip}, 1, scale, zeroPoint) where `up` is either
/// pixel_shuffle(2) of `shuffled` (channels in blockShuffleOrder, half the size of `skip`) or,
/// with `alreadyFull`, `shuffled` itself (same size as `skip`). `shuffled` must already carry
/// (scale, zeroPoint); `skip` is requantized to them through `table` (requantTable of its
/// channels and parameters). Channels-last quint8 in and out.
torch::Tensor joinQuantized(const torch::Tensor& shuffled, bool alreadyFull, const torch::Tensor& skip,
                            const torch::Tensor& table);

/// conv2d(q.dequantize(), weight, bias) for a 1x1 float32 `weight` (O, C, 1, 1) on a channels-last
/// quint8 `q`, read in place: dequantizing first writes (and faults in) a 50 MB float copy of a
/// 16 x 768 x 1024 activation, about 60 ms on one thread. Float32 NCHW result.
torch::Tensor headQuantized(const torch::Tensor& q, const torch::Tensor& weight, const torch::Tensor& bias);

}  // namespace mitoseg
