#include "core/metrics/Components.h"

#include <array>

namespace mitoseg {

namespace {

// Union-find over provisional labels, path-halving.
struct UnionFind {
    std::vector<std::uint32_t> parent{0};
    std::uint32_t make()
    {
        parent.push_back(static_cast<std::uint32_t>(parent.size()));
        return parent.back();
    }
    std::uint32_t find(std::uint32_t a)
    {
        while (parent[a] != a) {
            parent[a] = parent[parent[a]];
            a = parent[a];
        }
        return a;
    }
    void unite(std::uint32_t a, std::uint32_t b)
    {
        a = find(a);
        b = find(b);
        if (a != b)
            parent[a < b ? b : a] = a < b ? a : b;
    }
};

}  // namespace

Components connectedComponents(const VolumeU8& mask, Connectivity connectivity, int value)
{
    const Shape s = mask.shape();
    Components out;
    out.labels = Volume<std::uint32_t>(s, 0);
    out.labels.spacing = mask.spacing;
    auto inside = [&](std::uint8_t v) { return value < 0 ? v != 0 : v == value; };

    // Backward neighbours (already visited in raster order).
    std::vector<std::array<int, 3>> offsets;
    for (int dz = -1; dz <= 0; ++dz)
        for (int dy = -1; dy <= 1; ++dy)
            for (int dx = -1; dx <= 1; ++dx) {
                if (dz == 0 && (dy > 0 || (dy == 0 && dx >= 0)))
                    continue;
                int manhattan = (dz != 0) + (dy != 0) + (dx != 0);
                if (connectivity == Connectivity::Six && manhattan != 1)
                    continue;
                offsets.push_back({dz, dy, dx});
            }

    UnionFind uf;
    const std::uint8_t* m = mask.data();
    std::uint32_t* lab = out.labels.data();
    for (std::int64_t z = 0; z < s.depth; ++z)
        for (std::int64_t y = 0; y < s.height; ++y)
            for (std::int64_t x = 0; x < s.width; ++x) {
                std::size_t i = mask.index(z, y, x);
                if (!inside(m[i]))
                    continue;
                std::uint32_t cur = 0;
                for (const auto& o : offsets) {
                    std::int64_t zz = z + o[0], yy = y + o[1], xx = x + o[2];
                    if (zz < 0 || yy < 0 || yy >= s.height || xx < 0 || xx >= s.width)
                        continue;
                    std::uint32_t n = lab[mask.index(zz, yy, xx)];
                    if (n == 0)
                        continue;
                    if (cur == 0)
                        cur = n;
                    else if (n != cur)
                        uf.unite(cur, n);
                }
                lab[i] = cur ? cur : uf.make();
            }

    // Resolve to final labels numbered by first appearance in raster order.
    std::vector<std::uint32_t> finalOf(uf.parent.size(), 0);
    for (std::int64_t i = 0, n = s.voxels(); i < n; ++i) {
        if (lab[i] == 0)
            continue;
        std::uint32_t root = uf.find(lab[i]);
        if (finalOf[root] == 0) {
            finalOf[root] = ++out.count;
            out.sizes.push_back(0);
        }
        lab[i] = finalOf[root];
        ++out.sizes[lab[i] - 1];
    }
    return out;
}

std::int64_t removeSmallComponents(VolumeU8& mask, std::int64_t minVoxels, Connectivity connectivity)
{
    if (minVoxels <= 1)
        return 0;
    Components c = connectedComponents(mask, connectivity);
    std::vector<char> drop(static_cast<std::size_t>(c.count) + 1, 0);
    std::int64_t removed = 0;
    for (std::uint32_t i = 0; i < c.count; ++i)
        if (c.sizes[i] < minVoxels) {
            drop[i + 1] = 1;
            ++removed;
        }
    if (removed == 0)
        return 0;
    std::uint8_t* m = mask.data();
    const std::uint32_t* lab = c.labels.data();
    const std::size_t n = mask.values().size();
    for (std::size_t i = 0; i < n; ++i)
        if (drop[lab[i]])
            m[i] = 0;
    return removed;
}

}  // namespace mitoseg
