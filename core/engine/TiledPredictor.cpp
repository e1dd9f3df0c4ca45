#include "core/engine/TiledPredictor.h"

#include <algorithm>
#include <cmath>

namespace mitoseg {

namespace {

std::int64_t roundUp(std::int64_t v, std::int64_t m) { return (v + m - 1) / m * m; }

/// Pads (N, C, H, W) at the bottom and right to multiples of m: reflected where the image is
/// large enough, else replicated.
torch::Tensor padToMultiple(const torch::Tensor& x, std::int64_t m)
{
    const std::int64_t H = x.size(2), W = x.size(3);
    const std::int64_t ph = roundUp(H, m) - H, pw = roundUp(W, m) - W;
    if (ph == 0 && pw == 0)
        return x;
    torch::nn::functional::PadFuncOptions pad({0, pw, 0, ph});
    if (ph < H && pw < W)
        pad.mode(torch::kReflect);
    else
        pad.mode(torch::kReplicate);
    return torch::nn::functional::pad(x, pad);
}

/// Start offsets of tiles of `tile` along an axis of `size` (size >= tile) with >= `overlap`.
/// Size, tile and every start are multiples of `m` (2^depth), so each tile sees the pooling
/// grid in the same phase as a whole-image pass.
std::vector<std::int64_t> starts(std::int64_t size, std::int64_t tile, std::int64_t overlap, std::int64_t m)
{
    std::vector<std::int64_t> s{0};
    if (size <= tile)
        return s;
    std::int64_t stride = std::max<std::int64_t>(m, (tile - overlap) / m * m);
    while (s.back() + tile < size)
        s.push_back(std::min(s.back() + stride, size - tile));
    return s;
}

/// 1-D blending weights of a tile starting at `start`: 1 inside; on each edge that borders
/// another tile (not on image borders) 0 for the outer quarter of `overlap` (where zero padding
/// disturbs the network), then a sin^2 ramp over the next half. Neighbouring tiles overlap by at
/// least `overlap`, so every pixel keeps a positive total weight.
std::vector<float> ramp(std::int64_t start, std::int64_t tile, std::int64_t size, std::int64_t overlap)
{
    std::vector<float> w(static_cast<std::size_t>(tile), 1.0f);
    if (overlap < 4)
        return w;
    const double pi = 3.14159265358979323846;
    const double skip = static_cast<double>(overlap) / 4, len = static_cast<double>(overlap) / 2;
    for (std::int64_t i = 0; i < std::min(overlap, tile); ++i) {
        double t = std::clamp((static_cast<double>(i) + 0.5 - skip) / len, 0.0, 1.0);
        double s = std::sin(0.5 * pi * t);
        float v = static_cast<float>(s * s);
        if (start > 0)
            w[static_cast<std::size_t>(i)] = std::min(w[static_cast<std::size_t>(i)], v);
        if (start + tile < size)
            w[static_cast<std::size_t>(tile - 1 - i)] = std::min(w[static_cast<std::size_t>(tile - 1 - i)], v);
    }
    return w;
}

/// Transform k of the dihedral group (0..7) on (N, C, H, W) and its inverse.
torch::Tensor dihedral(const torch::Tensor& x, int k)
{
    torch::Tensor y = (k & 4) ? x.flip({3}) : x;
    return (k & 3) ? torch::rot90(y, k & 3, {2, 3}) : y;
}
torch::Tensor dihedralInverse(const torch::Tensor& y, int k)
{
    torch::Tensor x = (k & 3) ? torch::rot90(y, -(k & 3), {2, 3}) : y;
    return (k & 4) ? x.flip({3}) : x;
}

}  // namespace

TiledPredictor::TiledPredictor(UNet net, bool bf16, bool channelsLast, bool reference, bool int8) : net_(std::move(net))
{
    if (!reference) {
        InferenceSettings settings;
        settings.bf16 = bf16;
        settings.channelsLast = channelsLast;
        settings.int8 = int8;
        fast_ = std::make_shared<InferenceNet>(net_, settings);
    }
}

void TiledPredictor::calibrate(const torch::Tensor& inputs, int tile)
{
    if (!fast_ || !fast_->settings().int8)
        return;
    // The middle tile x tile (at most) of each image, padded as predictMany pads to multiples of
    // 2^depth: always some calibration here, never a lazy one on whichever tile comes first.
    const std::int64_t m = std::int64_t{1} << net_->config.depth;
    const std::int64_t t = std::max<std::int64_t>(m, tile / m * m);
    const std::int64_t H = inputs.size(2), W = inputs.size(3);
    const std::int64_t h = std::min(t, H), w = std::min(t, W);
    const std::int64_t y0 = (H - h) / 2, x0 = (W - w) / 2;
    torch::Tensor x = inputs.slice(2, y0, y0 + h).slice(3, x0, x0 + w).to(torch::kFloat);
    fast_->calibrate(padToMultiple(x, m));
}

torch::Tensor TiledPredictor::forwardBatch(const torch::Tensor& batch, bool tta) const
{
    auto run = [&](const torch::Tensor& x) {
        torch::Tensor logits;
        if (fast_) {
            logits = fast_->forward(x);
        } else {
            const bool wasReference = net_->referencePath;
            net_->referencePath = true;
            logits = net_->forward(x.to(torch::kFloat).contiguous()).contiguous();
            net_->referencePath = wasReference;
        }
        return logits.size(1) == 1 ? torch::sigmoid(logits) : torch::softmax(logits, 1);
    };
    if (!tta)
        return run(batch);
    torch::Tensor sum;
    for (int k = 0; k < 8; ++k) {
        torch::Tensor p = dihedralInverse(run(dihedral(batch, k)), k);
        sum = k == 0 ? p : sum + p;
    }
    return sum / 8.0;
}

torch::Tensor TiledPredictor::predict(const torch::Tensor& input, const PredictOptions& options,
                                      const CancelToken* cancel) const
{
    return predictMany(input.unsqueeze(0), options, cancel)[0];
}

torch::Tensor TiledPredictor::predictMany(const torch::Tensor& inputs, const PredictOptions& options,
                                          const CancelToken* cancel) const
{
    torch::InferenceMode guard;
    if (!fast_)
        net_->eval();
    const std::int64_t m = std::int64_t{1} << net_->config.depth;
    const std::int64_t B = inputs.size(0), H = inputs.size(2), W = inputs.size(3);
    std::int64_t tile = roundUp(std::max<std::int64_t>(options.tile, m), m);
    std::int64_t th = std::min(tile, roundUp(H, m)), tw = std::min(tile, roundUp(W, m));
    // Pad the image to multiples of 2^depth (and at least one tile); reflect where possible.
    torch::Tensor x = padToMultiple(inputs.to(torch::kFloat), m);
    const std::int64_t PH = x.size(2), PW = x.size(3);
    std::int64_t overlap = std::max<std::int64_t>(0, options.overlap);
    auto ys = starts(PH, th, overlap, m), xs = starts(PW, tw, overlap, m);
    const std::int64_t outputs = net_->config.outputs();
    if (ys.size() == 1 && xs.size() == 1) {
        // One tile covers the image: no blending needed.
        if (cancel)
            cancel->check();
        torch::Tensor probs;
        for (std::int64_t b = 0; b < B; b += std::max(1, options.batch)) {
            torch::Tensor part = forwardBatch(x.slice(0, b, std::min(B, b + std::max(1, options.batch))), options.tta);
            probs = b == 0 ? part : torch::cat({probs, part}, 0);
        }
        return probs.slice(2, 0, H).slice(3, 0, W).contiguous();
    }
    torch::Tensor acc = torch::zeros({B, outputs, PH, PW});
    torch::Tensor wsum = torch::zeros({1, 1, PH, PW});
    struct Tile {
        std::int64_t y, x;
    };
    std::vector<Tile> tiles;
    for (auto y : ys)
        for (auto xx : xs)
            tiles.push_back({y, xx});
    // Tiles per forward pass: options.batch tiles of all B images together.
    const std::size_t batch = static_cast<std::size_t>(std::max<std::int64_t>(1, options.batch / B));
    for (std::size_t b = 0; b < tiles.size(); b += batch) {
        if (cancel)
            cancel->check();
        std::vector<torch::Tensor> parts;
        std::size_t e = std::min(tiles.size(), b + batch);
        for (std::size_t i = b; i < e; ++i)
            parts.push_back(x.slice(2, tiles[i].y, tiles[i].y + th).slice(3, tiles[i].x, tiles[i].x + tw));
        torch::Tensor probs = forwardBatch(torch::cat(parts, 0), options.tta);
        for (std::size_t i = b; i < e; ++i) {
            auto wy = ramp(tiles[i].y, th, PH, overlap), wx = ramp(tiles[i].x, tw, PW, overlap);
            torch::Tensor w = torch::from_blob(wy.data(), {th, 1}).clone() * torch::from_blob(wx.data(), {1, tw}).clone();
            const auto k = static_cast<std::int64_t>(i - b);
            acc.slice(2, tiles[i].y, tiles[i].y + th).slice(3, tiles[i].x, tiles[i].x + tw) += probs.slice(0, k * B, (k + 1) * B) * w;
            wsum.slice(2, tiles[i].y, tiles[i].y + th).slice(3, tiles[i].x, tiles[i].x + tw) += w;
        }
    }
    return (acc / wsum).slice(2, 0, H).slice(3, 0, W).contiguous();
}

torch::Tensor TiledPredictor::labels(const torch::Tensor& probabilities, float threshold)
{
    if (probabilities.size(0) == 1)
        return (probabilities[0] > threshold).to(torch::kUInt8);
    return probabilities.argmax(0).to(torch::kUInt8);
}

}  // namespace mitoseg
