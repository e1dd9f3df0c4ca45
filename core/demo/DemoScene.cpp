#include "core/demo/DemoScene.h"

#include <algorithm>
#include <cmath>

#include "core/demo/DemoRandom.h"

namespace mitoseg::demo {

namespace {

// Streams of the scene seed, one per kind of randomness.
enum Stream : std::uint64_t { kSeeds = 1, kWarpX, kWarpY, kDrift, kMitoStream, kVesicleStream, kWarpX2, kWarpY2 };

// Domain warp in two octaves (amplitudes and lattice cells as fractions of the grid spacing).
constexpr float kWarpAmplitude = 0.2f;
constexpr float kWarpCell = 0.6f;
constexpr float kWarpCellZ = 24.0f;
constexpr float kWarp2Amplitude = 0.08f;
constexpr float kWarp2Cell = 0.3f;
constexpr float kWarp2CellZ = 12.0f;
constexpr float kDriftAmplitude = 0.35f; // of the grid spacing
constexpr float kDriftCellZ = 40.0f;
constexpr std::int64_t kBlock = 16;
constexpr std::size_t kMaxCandidates = 48;

// Smooth 1D noise in [-1, 1] along z for seed `id`, axis `axis`.
float drift1d(std::uint64_t seed, std::int64_t id, std::int64_t axis, float z)
{
    const float f = z / kDriftCellZ;
    const auto k = static_cast<std::int64_t>(f);
    const float t = NoiseSlice::smooth(f - static_cast<float>(k));
    const float a = 2.0f * hashUnit(hashCoords(seed, id, axis, k)) - 1.0f;
    const float b = 2.0f * hashUnit(hashCoords(seed, id, axis, k + 1)) - 1.0f;
    return a + (b - a) * t;
}

}  // namespace

struct CellField::Candidates {
    std::size_t n = 0;
    std::uint32_t id[kMaxCandidates];
    float x[kMaxCandidates], y[kMaxCandidates], w[kMaxCandidates];
    float inv2sep[kMaxCandidates * kMaxCandidates];
};

CellField::CellField(const DemoOptions& options, std::uint64_t seed)
    : height_(options.height), width_(options.width), seed_(seed), grid_(static_cast<float>(options.cellSize))
{
    origin_ = 3.0f * grid_;
    gx_ = static_cast<std::int64_t>((static_cast<float>(width_) + 2.0f * origin_) / grid_) + 1;
    gy_ = static_cast<std::int64_t>((static_cast<float>(height_) + 2.0f * origin_) / grid_) + 1;
    Rng rng(seed_, kSeeds);
    seeds_.reserve(static_cast<std::size_t>(gx_ * gy_));
    for (std::int64_t j = 0; j < gy_; ++j)
        for (std::int64_t i = 0; i < gx_; ++i) {
            Seed s{};
            s.x = (static_cast<float>(i) + static_cast<float>(rng.uniform(0.15, 0.85))) * grid_;
            s.y = (static_cast<float>(j) + static_cast<float>(rng.uniform(0.15, 0.85))) * grid_;
            // Varied cell sizes: a few large (dendrites), some small (thin axons).
            const float u = static_cast<float>(rng.uniform());
            s.weight = (u * u * 0.45f - 0.1f) * grid_ * grid_;
            float tone = 158.0f + 18.0f * static_cast<float>(rng.uniform(-1.0, 1.0));
            const double kind = rng.uniform();
            if (kind < 0.2)
                tone += 30.0f;  // pale dendritic profiles
            else if (kind < 0.3)
                tone -= 28.0f;
            s.tone = tone;
            seeds_.push_back(s);
        }
}

void CellField::seedPositions(float z, std::vector<float>& xs, std::vector<float>& ys) const
{
    xs.resize(seeds_.size());
    ys.resize(seeds_.size());
    const float amp = kDriftAmplitude * grid_;
    for (std::size_t i = 0; i < seeds_.size(); ++i) {
        const auto id = static_cast<std::int64_t>(i);
        xs[i] = seeds_[i].x + amp * drift1d(seed_ ^ kDrift, id, 0, z);
        ys[i] = seeds_[i].y + amp * drift1d(seed_ ^ kDrift, id, 1, z);
    }
}

void CellField::warp(float x, float y, float z, float* wx, float* wy) const
{
    const float amp = kWarpAmplitude * grid_, cell = kWarpCell * grid_;
    const float amp2 = kWarp2Amplitude * grid_, cell2 = kWarp2Cell * grid_;
    *wx = x + origin_ + amp * NoiseSlice::point(seed_ ^ (kWarpX << 32), cell, kWarpCellZ, x, y, z) +
          amp2 * NoiseSlice::point(seed_ ^ (kWarpX2 << 32), cell2, kWarp2CellZ, x, y, z);
    *wy = y + origin_ + amp * NoiseSlice::point(seed_ ^ (kWarpY << 32), cell, kWarpCellZ, x, y, z) +
          amp2 * NoiseSlice::point(seed_ ^ (kWarpY2 << 32), cell2, kWarp2CellZ, x, y, z);
}

void CellField::gatherCandidates(float x0, float y0, float x1, float y1, const std::vector<float>& xs,
                                 const std::vector<float>& ys, Candidates& out) const
{
    // Seeds within two grid cells (plus drift) of the rectangle can own part of it.
    const auto lo = [&](float v, std::int64_t n) {
        return std::clamp<std::int64_t>(static_cast<std::int64_t>(v / grid_) - 2, 0, n - 1);
    };
    const std::int64_t i0 = lo(x0, gx_), i1 = std::min(gx_ - 1, lo(x1, gx_) + 4);
    const std::int64_t j0 = lo(y0, gy_), j1 = std::min(gy_ - 1, lo(y1, gy_) + 4);
    float minPow[kMaxCandidates * 2];
    std::uint32_t ids[kMaxCandidates * 2];
    std::size_t n = 0;
    float best = 3.4e38f;
    for (std::int64_t j = j0; j <= j1; ++j)
        for (std::int64_t i = i0; i <= i1 && n < kMaxCandidates * 2; ++i) {
            const auto id = static_cast<std::uint32_t>(j * gx_ + i);
            const float sx = xs[id], sy = ys[id], w = seeds_[id].weight;
            const float nx = std::max({x0 - sx, 0.0f, sx - x1}), ny = std::max({y0 - sy, 0.0f, sy - y1});
            const float fx = std::max(sx - x0, x1 - sx), fy = std::max(sy - y0, y1 - sy);
            minPow[n] = nx * nx + ny * ny - w;
            best = std::min(best, fx * fx + fy * fy - w);
            ids[n++] = id;
        }
    out.n = 0;
    for (std::size_t k = 0; k < n && out.n < kMaxCandidates; ++k)
        if (minPow[k] <= best) {
            const std::uint32_t id = ids[k];
            out.id[out.n] = id;
            out.x[out.n] = xs[id];
            out.y[out.n] = ys[id];
            out.w[out.n] = seeds_[id].weight;
            ++out.n;
        }
    for (std::size_t a = 0; a < out.n; ++a)
        for (std::size_t b = 0; b < out.n; ++b) {
            const float dx = out.x[a] - out.x[b], dy = out.y[a] - out.y[b];
            const float sep = std::sqrt(dx * dx + dy * dy);
            out.inv2sep[a * kMaxCandidates + b] = sep > 1e-3f ? 0.5f / sep : 1e6f;
        }
}

namespace {

// Owner and capped boundary distance of the point (px, py) among the candidates.
template <class C>
void ownerAndDistance(const C& c, float px, float py, std::uint32_t* owner, float* dist)
{
    float pw[kMaxCandidates];
    std::size_t a = 0;
    for (std::size_t k = 0; k < c.n; ++k) {
        const float dx = px - c.x[k], dy = py - c.y[k];
        pw[k] = dx * dx + dy * dy - c.w[k];
        if (pw[k] < pw[a])
            a = k;
    }
    float d = kMembraneReach;
    const float* inv = c.inv2sep + a * kMaxCandidates;
    for (std::size_t k = 0; k < c.n; ++k)
        if (k != a)
            d = std::min(d, (pw[k] - pw[a]) * inv[k]);
    *owner = c.id[a];
    *dist = d;
}

}  // namespace

void CellField::evaluateSlice(std::int64_t z, std::uint32_t* owner, float* dist) const
{
    std::vector<float> xs, ys;
    const auto zf = static_cast<float>(z);
    seedPositions(zf, xs, ys);
    const float amp = kWarpAmplitude * grid_, cell = kWarpCell * grid_;
    const NoiseSlice warpX(seed_ ^ (kWarpX << 32), cell, kWarpCellZ, height_, width_, z);
    const NoiseSlice warpY(seed_ ^ (kWarpY << 32), cell, kWarpCellZ, height_, width_, z);
    const float amp2 = kWarp2Amplitude * grid_, cell2 = kWarp2Cell * grid_;
    const NoiseSlice warpX2(seed_ ^ (kWarpX2 << 32), cell2, kWarp2CellZ, height_, width_, z);
    const NoiseSlice warpY2(seed_ ^ (kWarpY2 << 32), cell2, kWarp2CellZ, height_, width_, z);
    Candidates cand;
    float wx[kBlock * kBlock], wy[kBlock * kBlock];
    for (std::int64_t by = 0; by < height_; by += kBlock)
        for (std::int64_t bx = 0; bx < width_; bx += kBlock) {
            const std::int64_t h = std::min(kBlock, height_ - by), w = std::min(kBlock, width_ - bx);
            float x0 = 3.4e38f, y0 = 3.4e38f, x1 = -3.4e38f, y1 = -3.4e38f;
            for (std::int64_t y = 0; y < h; ++y)
                for (std::int64_t x = 0; x < w; ++x) {
                    const auto px = static_cast<float>(bx + x), py = static_cast<float>(by + y);
                    const float u = px + origin_ + amp * warpX.at(px, py) + amp2 * warpX2.at(px, py);
                    const float v = py + origin_ + amp * warpY.at(px, py) + amp2 * warpY2.at(px, py);
                    wx[y * kBlock + x] = u;
                    wy[y * kBlock + x] = v;
                    x0 = std::min(x0, u), x1 = std::max(x1, u), y0 = std::min(y0, v), y1 = std::max(y1, v);
                }
            gatherCandidates(x0 - kMembraneReach, y0 - kMembraneReach, x1 + kMembraneReach, y1 + kMembraneReach, xs,
                             ys, cand);
            for (std::int64_t y = 0; y < h; ++y)
                for (std::int64_t x = 0; x < w; ++x) {
                    const std::int64_t i = (by + y) * width_ + bx + x;
                    ownerAndDistance(cand, wx[y * kBlock + x], wy[y * kBlock + x], owner + i, dist + i);
                }
        }
}

void CellField::evaluatePoint(float x, float y, float z, std::uint32_t* owner, float* dist) const
{
    std::vector<float> xs, ys;
    seedPositions(z, xs, ys);
    float wx = 0.0f, wy = 0.0f;
    warp(std::clamp(x, 0.0f, static_cast<float>(width_)), std::clamp(y, 0.0f, static_cast<float>(height_)), z, &wx,
         &wy);
    Candidates cand;
    gatherCandidates(wx - kMembraneReach, wy - kMembraneReach, wx + kMembraneReach, wy + kMembraneReach, xs, ys,
                     cand);
    ownerAndDistance(cand, wx, wy, owner, dist);
}

float Mito::sdf(float x, float y, float z) const
{
    float s = 3.4e38f;
    for (const auto& seg : segments)
        s = std::min(s, seg.sdf(x, y, z));
    return s;
}

namespace {

struct Vec3 {
    float x, y, z;
};

Vec3 randomUnit(Rng& rng)
{
    for (;;) {
        const auto x = static_cast<float>(rng.normal()), y = static_cast<float>(rng.normal()),
                   z = static_cast<float>(rng.normal());
        const float n = std::sqrt(x * x + y * y + z * z);
        if (n > 1e-3f)
            return {x / n, y / n, z / n};
    }
}

// A curved tube through centre c along dir, length len, mean radius r.
Mito makeMito(Rng& rng, Vec3 c, Vec3 dir, float len, float r)
{
    Vec3 side = randomUnit(rng);
    const float along = side.x * dir.x + side.y * dir.y + side.z * dir.z;
    side = {side.x - along * dir.x, side.y - along * dir.y, side.z - along * dir.z};
    const float bend = len * static_cast<float>(rng.uniform(-0.3, 0.3));
    const Vec3 p0{c.x - dir.x * len * 0.5f, c.y - dir.y * len * 0.5f, c.z - dir.z * len * 0.5f};
    const Vec3 p2{c.x + dir.x * len * 0.5f, c.y + dir.y * len * 0.5f, c.z + dir.z * len * 0.5f};
    const Vec3 p1{c.x + side.x * bend, c.y + side.y * bend, c.z + side.z * bend};
    Vec3 pts[5];
    float radii[5];
    for (int i = 0; i < 5; ++i) {
        const float t = static_cast<float>(i) * 0.25f, u = 1.0f - t;
        pts[i] = {u * u * p0.x + 2 * t * u * p1.x + t * t * p2.x, u * u * p0.y + 2 * t * u * p1.y + t * t * p2.y,
                  u * u * p0.z + 2 * t * u * p1.z + t * t * p2.z};
        radii[i] = r * static_cast<float>(rng.uniform(0.85, 1.15)) * ((i == 0 || i == 4) ? 0.85f : 1.0f);
    }
    Mito m{};
    m.minZ = 3.4e38f;
    m.maxZ = -3.4e38f;
    for (int i = 0; i < 4; ++i) {
        MitoSegment& s = m.segments[static_cast<std::size_t>(i)];
        s.ax = pts[i].x, s.ay = pts[i].y, s.az = pts[i].z;
        s.dx = pts[i + 1].x - pts[i].x, s.dy = pts[i + 1].y - pts[i].y, s.dz = pts[i + 1].z - pts[i].z;
        const float l2 = s.dx * s.dx + s.dy * s.dy + s.dz * s.dz;
        s.invLen2 = l2 > 1e-6f ? 1.0f / l2 : 0.0f;
        s.ra = radii[i], s.rb = radii[i + 1];
    }
    for (int i = 0; i < 5; ++i) {
        m.minZ = std::min(m.minZ, pts[i].z - radii[i]);
        m.maxZ = std::max(m.maxZ, pts[i].z + radii[i]);
    }
    // Cristae: plates roughly across the axis, tilted.
    const Vec3 tilt = randomUnit(rng);
    Vec3 n{dir.x + 0.6f * tilt.x, dir.y + 0.6f * tilt.y, dir.z + 0.6f * tilt.z};
    const float nn = std::sqrt(n.x * n.x + n.y * n.y + n.z * n.z);
    m.nx = n.x / nn, m.ny = n.y / nn, m.nz = n.z / nn;
    m.period = static_cast<float>(rng.uniform(8.0, 13.0));
    m.phase = static_cast<float>(rng.uniform());
    m.matrix = static_cast<float>(rng.uniform(82.0, 100.0));
    return m;
}

// Voxels of `m` inside the volume, estimated on a grid of step 3.
double insideVolume(const Mito& m, const DemoOptions& o)
{
    float x0 = 3.4e38f, y0 = 3.4e38f, x1 = -3.4e38f, y1 = -3.4e38f;
    for (const auto& s : m.segments)
        for (float t : {0.0f, 1.0f}) {
            const float r = std::max(s.ra, s.rb);
            x0 = std::min(x0, s.ax + t * s.dx - r), x1 = std::max(x1, s.ax + t * s.dx + r);
            y0 = std::min(y0, s.ay + t * s.dy - r), y1 = std::max(y1, s.ay + t * s.dy + r);
        }
    const float zs = std::max(0.0f, m.minZ), ze = std::min(static_cast<float>(o.depth - 1), m.maxZ);
    x0 = std::max(0.0f, x0), y0 = std::max(0.0f, y0);
    x1 = std::min(static_cast<float>(o.width - 1), x1), y1 = std::min(static_cast<float>(o.height - 1), y1);
    std::int64_t count = 0;
    for (float z = zs; z <= ze; z += 3.0f)
        for (float y = y0; y <= y1; y += 3.0f)
            for (float x = x0; x <= x1; x += 3.0f)
                count += m.sdf(x, y, z) <= 0.0f ? 1 : 0;
    return static_cast<double>(count) * 27.0;
}

void placeMitos(const DemoOptions& o, Scene& scene)
{
    Rng rng(o.seed, kMitoStream);
    const double total = static_cast<double>(o.depth) * static_cast<double>(o.height) * static_cast<double>(o.width);
    const double target = o.mitoFraction * total;
    double placed = 0.0;
    for (int attempt = 0; attempt < 4000 && placed < target; ++attempt) {
        const Vec3 c{static_cast<float>(rng.uniform(0.0, static_cast<double>(o.width))),
                     static_cast<float>(rng.uniform(0.0, static_cast<double>(o.height))),
                     static_cast<float>(rng.uniform(0.0, static_cast<double>(o.depth)))};
        const auto r = static_cast<float>(rng.uniform(12.0, 23.0));
        const float len = r * static_cast<float>(rng.uniform() < 0.3 ? rng.uniform(0.3, 2.0) : rng.uniform(2.5, 8.0));
        Vec3 dir = randomUnit(rng);
        dir.z *= 0.5f;  // more lie across the slices than along z, as in the Lucchi volume
        const float dn = std::sqrt(dir.x * dir.x + dir.y * dir.y + dir.z * dir.z);
        Mito m = makeMito(rng, c, {dir.x / dn, dir.y / dn, dir.z / dn}, len, r);
        // Keep clear of the other mitochondria; close neighbours share a cell.
        bool clash = false;
        std::int64_t neighbour = -1;
        for (std::size_t j = 0; j < scene.mitos.size() && !clash; ++j)
            for (const auto& s : m.segments)
                for (float t : {0.0f, 0.25f, 0.5f, 0.75f, 1.0f}) {
                    const float d = scene.mitos[j].sdf(s.ax + t * s.dx, s.ay + t * s.dy, s.az + t * s.dz) -
                                    (s.ra + (s.rb - s.ra) * t);
                    if (d < 2.0f)
                        clash = true;
                    else if (d < 2.0f * kMitoMargin + 8.0f)
                        neighbour = static_cast<std::int64_t>(j);
                }
        if (clash)
            continue;
        // Stay near the target: skip pieces that overshoot it much (small stacks would otherwise be
        // filled by one large mitochondrion), unless nothing smaller turns up.
        const double inside = insideVolume(m, o);
        if (inside <= 0.0 || (placed + inside > 1.25 * target && !(placed == 0.0 && attempt >= 300)))
            continue;
        if (neighbour >= 0) {
            m.host = scene.mitos[static_cast<std::size_t>(neighbour)].host;
        } else {
            float dist = 0.0f;
            scene.cells.evaluatePoint(c.x, c.y, std::clamp(c.z, 0.0f, static_cast<float>(o.depth - 1)), &m.host, &dist);
        }
        scene.mitos.push_back(m);
        placed += inside;
    }
}

void placeVesicles(const DemoOptions& o, Scene& scene)
{
    Rng rng(o.seed, kVesicleStream);
    const double volume = static_cast<double>(o.depth) * static_cast<double>(o.height) * static_cast<double>(o.width);
    const auto clusters = std::max<std::int64_t>(1, static_cast<std::int64_t>(24.0 * volume / (48.0 * 384.0 * 512.0) + 0.5));
    for (std::int64_t k = 0; k < clusters; ++k) {
        const double cx = rng.uniform(0.0, static_cast<double>(o.width));
        const double cy = rng.uniform(0.0, static_cast<double>(o.height));
        const double cz = rng.uniform(0.0, static_cast<double>(o.depth));
        const double spread = rng.uniform(10.0, 22.0);
        const auto n = static_cast<int>(rng.uniform(20.0, 70.0));
        for (int i = 0; i < n; ++i) {
            const Vesicle v{static_cast<float>(cx + spread * rng.normal()), static_cast<float>(cy + spread * rng.normal()),
                            static_cast<float>(cz + 0.5 * spread * rng.normal()), static_cast<float>(rng.uniform(3.2, 5.0))};
            if (v.x < 0 || v.y < 0 || v.z < 0 || v.x >= static_cast<float>(o.width) ||
                v.y >= static_cast<float>(o.height) || v.z >= static_cast<float>(o.depth))
                continue;
            bool ok = true;
            for (const auto& m : scene.mitos)
                if (v.z > m.minZ - v.r - 12 && v.z < m.maxZ + v.r + 12 && m.sdf(v.x, v.y, v.z) < v.r + 2.0f * kMitoMargin + 4.0f) {
                    ok = false;
                    break;
                }
            for (const auto& w : scene.vesicles) {
                if (!ok)
                    break;
                const float dx = v.x - w.x, dy = v.y - w.y, dz = v.z - w.z, rr = v.r + w.r + 0.8f;
                ok = dx * dx + dy * dy + dz * dz > rr * rr;
            }
            if (!ok)
                continue;
            std::uint32_t owner = 0;
            float dist = 0.0f;
            scene.cells.evaluatePoint(v.x, v.y, v.z, &owner, &dist);
            if (dist < v.r + 3.0f)
                continue;
            scene.vesicles.push_back(v);
        }
    }
}

}  // namespace

Scene buildScene(const DemoOptions& options)
{
    Scene scene{CellField(options, options.seed), {}, {}};
    placeMitos(options, scene);
    placeVesicles(options, scene);
    return scene;
}

}  // namespace mitoseg::demo
