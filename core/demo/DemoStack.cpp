#include "core/demo/DemoStack.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/base/Error.h"
#include "core/demo/DemoRandom.h"
#include "core/demo/DemoScene.h"

namespace mitoseg {

namespace {

using demo::hashCoords;
using demo::hashUnit;
using demo::kMembraneReach;
using demo::kMitoMargin;
using demo::NoiseSlice;

// Seeds of the per-slice textures and noise (xored with the options' seed).
constexpr std::uint64_t kFineTexture = 0x51ed270b27a3c4e1ULL;
constexpr std::uint64_t kCoarseTexture = 0x3c6ef372fe94f82aULL;
constexpr std::uint64_t kSliceDrift = 0x7a0c2d8b9e1f3456ULL;
constexpr std::uint64_t kPatchTexture = 0x2545f4914f6cdd1dULL;
constexpr std::uint64_t kNoiseStream = 1000;

constexpr float kMembraneDarkness = 110.0f;
constexpr float kMembraneWidth = 3.5f;      // profile scale, voxels
constexpr float kMembraneLabel = 1.8f;      // labelled within this distance of a boundary
constexpr std::int32_t kNoMito = -1;

float clamp01(float v) { return v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v); }

// A bell of height 1 and half-width ~0.64 at t = 0 (rational, so identical on every libm).
float bell(float t)
{
    const float q = 1.0f + t * t;
    return 1.0f / (q * q);
}

// Smooth 1D noise in [-1, 1] over slices, for the slice-to-slice intensity drift.
float sliceDrift(std::uint64_t seed, std::int64_t channel, std::int64_t z, float cell)
{
    const float f = static_cast<float>(z) / cell;
    const auto k = static_cast<std::int64_t>(f);
    const float t = NoiseSlice::smooth(f - static_cast<float>(k));
    const float a = 2.0f * hashUnit(hashCoords(seed, channel, k)) - 1.0f;
    const float b = 2.0f * hashUnit(hashCoords(seed, channel, k + 1)) - 1.0f;
    return a + (b - a) * t;
}

void validate(const DemoOptions& o)
{
    std::ostringstream why;
    if (o.depth < 1 || o.height < 1 || o.width < 1)
        why << "demo size " << o.depth << "x" << o.height << "x" << o.width << " must be positive";
    else if (o.depth > (std::int64_t{1} << 31) / o.height / o.width)
        why << "demo size " << o.depth << "x" << o.height << "x" << o.width << " exceeds 2^31 voxels";
    else if (!(o.voxelSizeNm > 0.0 && o.voxelSizeNm < 1e6))
        why << "demo voxel size " << o.voxelSizeNm << " nm is out of range";
    else if (!(o.mitoFraction >= 0.0 && o.mitoFraction <= 0.5))
        why << "demo mitochondria fraction " << o.mitoFraction << " must be within 0..0.5";
    else if (!(o.cellSize >= 20.0 && o.cellSize <= 2000.0))
        why << "demo cell size " << o.cellSize << " must be within 20..2000 voxels";
    else if (!(o.noise >= 0.0 && o.noise <= 10.0))
        why << "demo noise scale " << o.noise << " must be within 0..10";
    if (!why.str().empty())
        throw Error(why.str());
}

// Per-slice scratch buffers, reused across slices.
struct SliceBuffers {
    std::vector<std::uint32_t> owner;
    std::vector<float> dist, mitoSdf, vesicle, value, tmp;
    std::vector<std::int32_t> mitoId;
    std::vector<float> zoneMargin;  // per mitochondrion: cytoplasm margin its cell keeps around it here
    explicit SliceBuffers(std::size_t n) : owner(n), dist(n), mitoSdf(n), vesicle(n), value(n), tmp(n), mitoId(n) {}
};

// Nearest-mitochondrion signed distance (only where it is below `reach`) and its index, and the
// margin of each mitochondrion's zone in this slice: full where its section is wide, shrinking to
// nothing at its tips, so the membrane wrapped around it closes smoothly instead of leaving rings.
void rasterMitos(const demo::Scene& scene, const DemoOptions& o, std::int64_t z, SliceBuffers& b)
{
    std::fill(b.mitoSdf.begin(), b.mitoSdf.end(), 3.4e38f);
    std::fill(b.mitoId.begin(), b.mitoId.end(), kNoMito);
    b.zoneMargin.assign(scene.mitos.size(), 3.4e38f);
    const auto zf = static_cast<float>(z);
    const float reach = kMitoMargin + kMembraneReach + 1.0f;
    for (std::size_t mi = 0; mi < scene.mitos.size(); ++mi) {
        const demo::Mito& m = scene.mitos[mi];
        if (zf < m.minZ - reach || zf > m.maxZ + reach)
            continue;
        for (const auto& s : m.segments) {
            const float r = std::max(s.ra, s.rb) + reach;
            float t0 = 0.0f, t1 = 1.0f;
            if (std::fabs(s.dz) < 1e-6f) {
                if (std::fabs(s.az - zf) > r)
                    continue;
            } else {
                const float ta = (zf - r - s.az) / s.dz, tb = (zf + r - s.az) / s.dz;
                t0 = std::max(0.0f, std::min(ta, tb));
                t1 = std::min(1.0f, std::max(ta, tb));
                if (t0 > t1)
                    continue;
            }
            const float xa = s.ax + t0 * s.dx, xb = s.ax + t1 * s.dx, ya = s.ay + t0 * s.dy, yb = s.ay + t1 * s.dy;
            const auto x0 = std::max<std::int64_t>(0, static_cast<std::int64_t>(std::floor(std::min(xa, xb) - r)));
            const auto x1 = std::min<std::int64_t>(o.width - 1, static_cast<std::int64_t>(std::ceil(std::max(xa, xb) + r)));
            const auto y0 = std::max<std::int64_t>(0, static_cast<std::int64_t>(std::floor(std::min(ya, yb) - r)));
            const auto y1 = std::min<std::int64_t>(o.height - 1, static_cast<std::int64_t>(std::ceil(std::max(ya, yb) + r)));
            for (std::int64_t y = y0; y <= y1; ++y)
                for (std::int64_t x = x0; x <= x1; ++x) {
                    const float v = s.sdf(static_cast<float>(x), static_cast<float>(y), zf);
                    const std::size_t i = static_cast<std::size_t>(y * o.width + x);
                    b.zoneMargin[mi] = std::min(b.zoneMargin[mi], v);
                    if (v < b.mitoSdf[i]) {
                        b.mitoSdf[i] = v;
                        b.mitoId[i] = static_cast<std::int32_t>(mi);
                    }
                }
        }
    }
    for (float& m : b.zoneMargin)
        m = kMitoMargin * clamp01(-m / 3.0f);
}

// Darkness added by the vesicles cut by slice z: a dark ring (membrane) around a greyer lumen.
void rasterVesicles(const demo::Scene& scene, const DemoOptions& o, std::int64_t z, SliceBuffers& b)
{
    std::fill(b.vesicle.begin(), b.vesicle.end(), 0.0f);
    const auto zf = static_cast<float>(z);
    for (const auto& v : scene.vesicles) {
        const float dz = zf - v.z;
        if (dz * dz >= v.r * v.r)
            continue;
        const float rz = std::sqrt(v.r * v.r - dz * dz);
        const auto x0 = std::max<std::int64_t>(0, static_cast<std::int64_t>(v.x - rz - 3.0f));
        const auto x1 = std::min<std::int64_t>(o.width - 1, static_cast<std::int64_t>(v.x + rz + 3.0f));
        const auto y0 = std::max<std::int64_t>(0, static_cast<std::int64_t>(v.y - rz - 3.0f));
        const auto y1 = std::min<std::int64_t>(o.height - 1, static_cast<std::int64_t>(v.y + rz + 3.0f));
        for (std::int64_t y = y0; y <= y1; ++y)
            for (std::int64_t x = x0; x <= x1; ++x) {
                const float dx = static_cast<float>(x) - v.x, dy = static_cast<float>(y) - v.y;
                const float d = std::sqrt(dx * dx + dy * dy);
                const float dark = 95.0f * bell((d - (rz - 1.0f)) / 1.0f) + (d < rz ? 15.0f : 0.0f);
                float& out = b.vesicle[static_cast<std::size_t>(y * o.width + x)];
                out = std::max(out, dark);
            }
    }
}

// The microscope's point spread: separable binomial blur [1 6 15 20 15 6 1] / 64 (sigma 1.22 voxels),
// edges clamped.
void blurSlice(std::vector<float>& v, std::vector<float>& tmp, std::int64_t h, std::int64_t w)
{
    const auto at = [](std::int64_t i, std::int64_t n) { return std::clamp<std::int64_t>(i, 0, n - 1); };
    for (std::int64_t y = 0; y < h; ++y) {
        const float* row = v.data() + y * w;
        float* out = tmp.data() + y * w;
        for (std::int64_t x = 0; x < w; ++x)
            out[x] = (row[at(x - 3, w)] + 6.0f * row[at(x - 2, w)] + 15.0f * row[at(x - 1, w)] + 20.0f * row[x] +
                      15.0f * row[at(x + 1, w)] + 6.0f * row[at(x + 2, w)] + row[at(x + 3, w)]) * 0.015625f;
    }
    for (std::int64_t y = 0; y < h; ++y) {
        const float* r0 = tmp.data() + at(y - 3, h) * w;
        const float* r1 = tmp.data() + at(y - 2, h) * w;
        const float* r2 = tmp.data() + at(y - 1, h) * w;
        const float* r3 = tmp.data() + y * w;
        const float* r4 = tmp.data() + at(y + 1, h) * w;
        const float* r5 = tmp.data() + at(y + 2, h) * w;
        const float* r6 = tmp.data() + at(y + 3, h) * w;
        float* out = v.data() + y * w;
        for (std::int64_t x = 0; x < w; ++x)
            out[x] = (r0[x] + 6.0f * r1[x] + 15.0f * r2[x] + 20.0f * r3[x] + 15.0f * r4[x] + 6.0f * r5[x] + r6[x]) *
                     0.015625f;
    }
}

void renderSlice(const demo::Scene& scene, const DemoOptions& o, std::int64_t z, SliceBuffers& b,
                 std::uint8_t* image, std::uint8_t* labels)
{
    const std::int64_t h = o.height, w = o.width;
    scene.cells.evaluateSlice(z, b.owner.data(), b.dist.data());
    rasterMitos(scene, o, z, b);
    rasterVesicles(scene, o, z, b);
    const NoiseSlice fine(o.seed ^ kFineTexture, 2.5f, 2.0f, h, w, z);
    const NoiseSlice coarse(o.seed ^ kCoarseTexture, 11.0f, 8.0f, h, w, z);
    const NoiseSlice blotch(o.seed ^ kPatchTexture, 8.0f, 5.0f, h, w, z);
    const auto zf = static_cast<float>(z);
    for (std::int64_t y = 0; y < h; ++y)
        for (std::int64_t x = 0; x < w; ++x) {
            const auto i = static_cast<std::size_t>(y * w + x);
            const auto xf = static_cast<float>(x), yf = static_cast<float>(y);
            const float tf = fine.at(xf, yf), tc = coarse.at(xf, yf);
            std::uint32_t own = b.owner[i];
            float d = b.dist[i];
            const float s = b.mitoSdf[i];
            const std::int32_t mi = b.mitoId[i];
            const float margin = mi != kNoMito ? b.zoneMargin[static_cast<std::size_t>(mi)] : 0.0f;
            if (margin > 0.0f) {
                // The zone around a mitochondrion belongs to its host cell: membranes wrap around it.
                const std::uint32_t host = scene.mitos[static_cast<std::size_t>(mi)].host;
                if (s >= margin) {
                    if (own != host)
                        d = std::min(d, s - margin);
                } else {
                    d = own != host ? margin - s : d + (margin - s);
                    own = host;
                }
            }
            // Cytoplasm: grain, mottling, and dark patches (ER, vesicle clumps) where the coarse noise peaks.
            const float patch = std::max(0.0f, blotch.at(xf, yf) - 0.15f);
            float v = scene.cells.tone(own) + 8.0f * tc + 14.0f * tf - 70.0f * patch;
            v -= kMembraneDarkness * bell(d / kMembraneWidth);
            std::uint8_t label = d <= kMembraneLabel ? kDemoMembrane : kDemoBackground;
            if (mi != kNoMito && s < 1.0f) {
                const demo::Mito& m = scene.mitos[static_cast<std::size_t>(mi)];
                float phase = (xf * m.nx + yf * m.ny + zf * m.nz) / m.period + m.phase + 0.35f * tc;
                phase -= std::floor(phase);
                const float stripe = NoiseSlice::smooth(clamp01(1.0f - std::fabs(phase - 0.5f) / 0.2f));
                const float deep = clamp01((-s - 4.0f) * 0.5f);
                const float interior = m.matrix + 8.0f * tf + 5.0f * tc + 30.0f * stripe * deep;
                const float outer = bell((s + 1.0f) / 0.8f) + bell((s + 3.2f) / 0.8f);
                const float mito = interior - 48.0f * outer;
                v += (mito - v) * clamp01(0.5f - s);
                if (s <= 0.0f)
                    label = kDemoMitochondrion;
            }
            b.value[i] = v - b.vesicle[i];
            labels[i] = label;
        }
    // Acquisition: shot-like noise before the point spread, read noise and slice drift after it.
    demo::Rng rng(o.seed, kNoiseStream + static_cast<std::uint64_t>(z));
    const auto noise = static_cast<float>(o.noise);
    for (float& v : b.value)
        v += noise * 24.0f * std::sqrt(std::max(v, 1.0f) * (1.0f / 140.0f)) * static_cast<float>(rng.normal());
    blurSlice(b.value, b.tmp, h, w);
    const float gain = 1.0f + 0.04f * sliceDrift(o.seed ^ kSliceDrift, 0, z, 10.0f);
    const float offset = 6.0f * sliceDrift(o.seed ^ kSliceDrift, 1, z, 7.0f);
    for (std::size_t i = 0; i < b.value.size(); ++i) {
        const float v = b.value[i] * gain + offset + noise * 9.0f * static_cast<float>(rng.normal());
        image[i] = static_cast<std::uint8_t>(std::clamp(v, 0.0f, 255.0f) + 0.5f);
    }
}

}  // namespace

DemoStack generateDemoStack(const DemoOptions& options)
{
    validate(options);
    const demo::Scene scene = demo::buildScene(options);
    const Shape shape{options.depth, options.height, options.width};
    DemoStack out;
    out.image = VolumeU8(shape);
    out.labels = VolumeU8(shape);
    out.image.spacing = Spacing{options.voxelSizeNm, options.voxelSizeNm, options.voxelSizeNm, "nm"};
    out.labels.spacing = out.image.spacing;
    out.classNames = {"background", "membrane", "mitochondrion"};
    SliceBuffers buffers(static_cast<std::size_t>(shape.sliceVoxels()));
    for (std::int64_t z = 0; z < shape.depth; ++z)
        renderSlice(scene, options, z, buffers, out.image.slice(z), out.labels.slice(z));
    return out;
}

}  // namespace mitoseg
