#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>

#include "core/base/Error.h"
#include "core/demo/DemoStack.h"
#include "core/metrics/Components.h"

using namespace mitoseg;

namespace {

// A smaller stack keeps the suite fast; the default size is checked once below.
DemoOptions smallOptions(std::uint64_t seed)
{
    DemoOptions o;
    o.depth = 24;
    o.height = 192;
    o.width = 256;
    o.seed = seed;
    return o;
}

struct ClassStats {
    double fraction[3] = {0, 0, 0};
    double meanGrey[3] = {0, 0, 0};
};

ClassStats statsOf(const DemoStack& d)
{
    std::int64_t count[3] = {0, 0, 0};
    double sum[3] = {0, 0, 0};
    const auto& lab = d.labels.values();
    const auto& img = d.image.values();
    for (std::size_t i = 0; i < lab.size(); ++i) {
        const std::uint8_t c = lab[i] < 3 ? lab[i] : 0;
        ++count[c];
        sum[c] += img[i];
    }
    ClassStats s;
    for (int c = 0; c < 3; ++c) {
        s.fraction[c] = static_cast<double>(count[c]) / static_cast<double>(lab.size());
        s.meanGrey[c] = count[c] ? sum[c] / static_cast<double>(count[c]) : 0.0;
    }
    return s;
}

}  // namespace

TEST(DemoStack, SameSeedGivesIdenticalBytesOtherSeedDiffers)
{
    const DemoStack a = generateDemoStack(smallOptions(7));
    const DemoStack b = generateDemoStack(smallOptions(7));
    const DemoStack c = generateDemoStack(smallOptions(8));
    EXPECT_EQ(a.image.values(), b.image.values());
    EXPECT_EQ(a.labels.values(), b.labels.values());
    EXPECT_NE(a.image.values(), c.image.values());
    EXPECT_NE(a.labels.values(), c.labels.values());
}

TEST(DemoStack, ShapeSpacingAndClassNames)
{
    const DemoStack d = generateDemoStack(smallOptions(1));
    EXPECT_EQ(d.image.shape(), (Shape{24, 192, 256}));
    EXPECT_EQ(d.labels.shape(), d.image.shape());
    EXPECT_EQ(d.image.spacing, (Spacing{5.0, 5.0, 5.0, "nm"}));
    EXPECT_EQ(d.labels.spacing, d.image.spacing);
    ASSERT_EQ(d.classNames.size(), 3u);
    EXPECT_EQ(d.classNames[kDemoMitochondrion], "mitochondrion");
    for (std::uint8_t v : d.labels.values())
        ASSERT_LE(v, kDemoMitochondrion) << "label outside the class set";
}

TEST(DemoStack, DefaultStackHasSaneClassFractionsAndContrast)
{
    const auto t0 = std::chrono::steady_clock::now();
    const std::clock_t c0 = std::clock();
    const DemoStack d = generateDemoStack();
    const double cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("[ info ] default demo 48x384x512 generated in %.3f s wall, %.3f s CPU\n", seconds, cpu);
    EXPECT_EQ(d.image.shape(), (Shape{48, 384, 512}));
    const ClassStats s = statsOf(d);
    std::printf("[ info ] fractions bg %.4f membrane %.4f mito %.4f; mean grey %.1f %.1f %.1f\n", s.fraction[0],
                s.fraction[1], s.fraction[2], s.meanGrey[0], s.meanGrey[1], s.meanGrey[2]);
    EXPECT_GT(s.fraction[kDemoMitochondrion], 0.03);
    EXPECT_LT(s.fraction[kDemoMitochondrion], 0.10);
    EXPECT_GT(s.fraction[kDemoMembrane], 0.01);
    EXPECT_LT(s.fraction[kDemoMembrane], 0.10);
    // Mitochondria and membranes are darker than cytoplasm, as in FIB-SEM of neuropil.
    EXPECT_LT(s.meanGrey[kDemoMitochondrion], s.meanGrey[kDemoBackground] - 25.0);
    EXPECT_LT(s.meanGrey[kDemoMembrane], s.meanGrey[kDemoBackground] - 15.0);
    // The image is not saturated: most voxels lie inside the 8-bit range.
    std::int64_t clipped = 0;
    for (std::uint8_t v : d.image.values())
        clipped += (v == 0 || v == 255) ? 1 : 0;
    EXPECT_LT(static_cast<double>(clipped) / static_cast<double>(d.image.values().size()), 0.01);
}

TEST(DemoStack, MitochondriaAreThreeDimensionalObjects)
{
    const DemoStack d = generateDemoStack();
    const Components comp = connectedComponents(d.labels, Connectivity::Six, kDemoMitochondrion);
    ASSERT_GE(comp.count, 3u);
    // Every sizeable mitochondrion spans several slices.
    std::vector<std::int64_t> zmin(comp.count, 1 << 30), zmax(comp.count, -1);
    for (std::int64_t z = 0; z < d.labels.depth(); ++z)
        for (std::int64_t i = 0; i < d.labels.shape().sliceVoxels(); ++i)
            if (const std::uint32_t l = comp.labels.slice(z)[i]) {
                zmin[l - 1] = std::min(zmin[l - 1], z);
                zmax[l - 1] = std::max(zmax[l - 1], z);
            }
    int large = 0;
    for (std::uint32_t k = 0; k < comp.count; ++k)
        if (comp.sizes[k] >= 2000) {
            ++large;
            EXPECT_GE(zmax[k] - zmin[k] + 1, 5) << "object " << k + 1 << " of " << comp.sizes[k] << " voxels";
        }
    EXPECT_GE(large, 3);
}

TEST(DemoStack, MembranesAreThinLinesBetweenCells)
{
    // A membrane voxel has background on at least one side within four voxels in x or y.
    const DemoStack d = generateDemoStack(smallOptions(3));
    const auto& L = d.labels;
    std::int64_t membrane = 0, nearBackground = 0;
    for (std::int64_t z = 0; z < L.depth(); ++z)
        for (std::int64_t y = 3; y < L.height() - 3; ++y)
            for (std::int64_t x = 3; x < L.width() - 3; ++x) {
                if (L(z, y, x) != kDemoMembrane)
                    continue;
                ++membrane;
                bool near = false;
                for (int k = 1; k <= 4 && !near; ++k)
                    near = L(z, y, x - k) == kDemoBackground || L(z, y, x + k) == kDemoBackground ||
                           L(z, y - k, x) == kDemoBackground || L(z, y + k, x) == kDemoBackground;
                nearBackground += near ? 1 : 0;
            }
    ASSERT_GT(membrane, 0);
    EXPECT_GT(static_cast<double>(nearBackground) / static_cast<double>(membrane), 0.95);
    // The membranes form a connected network in 3D (few large pieces, not scattered specks).
    const Components comp = connectedComponents(L, Connectivity::TwentySix, kDemoMembrane);
    std::int64_t largest = 0;
    for (auto s : comp.sizes)
        largest = std::max(largest, s);
    EXPECT_GT(static_cast<double>(largest) / static_cast<double>(membrane), 0.5);
}

TEST(DemoStack, MitochondriaLabelsSitOnDarkBodiesAndDistractorsExist)
{
    const DemoStack d = generateDemoStack(smallOptions(11));
    const auto& L = d.labels;
    const auto& I = d.image;
    // Background voxels 4..8 voxels (along x or y) from a mitochondrion: the cytoplasm around it.
    double insideSum = 0.0, ringSum = 0.0;
    std::int64_t inside = 0, ring = 0;
    std::vector<std::uint8_t> backgroundGrey;
    for (std::int64_t z = 0; z < L.depth(); ++z)
        for (std::int64_t y = 8; y < L.height() - 8; ++y)
            for (std::int64_t x = 8; x < L.width() - 8; ++x) {
                if (L(z, y, x) == kDemoMitochondrion) {
                    insideSum += I(z, y, x);
                    ++inside;
                    continue;
                }
                if (L(z, y, x) != kDemoBackground)
                    continue;
                backgroundGrey.push_back(I(z, y, x));
                bool nearMito = false, tooClose = false;
                for (int k = 1; k <= 8; ++k) {
                    const bool hit = L(z, y, x - k) == kDemoMitochondrion || L(z, y, x + k) == kDemoMitochondrion ||
                                     L(z, y - k, x) == kDemoMitochondrion || L(z, y + k, x) == kDemoMitochondrion;
                    tooClose = tooClose || (hit && k < 4);
                    nearMito = nearMito || hit;
                }
                if (nearMito && !tooClose) {
                    ringSum += I(z, y, x);
                    ++ring;
                }
            }
    ASSERT_GT(inside, 1000);
    ASSERT_GT(ring, 1000);
    EXPECT_LT(insideSum / static_cast<double>(inside), ringSum / static_cast<double>(ring) - 25.0);
    // Dark distractors (vesicles, membrane-free dark patches) are labelled background: the darkest
    // background voxels are as dark as mitochondria, so intensity alone cannot segment them.
    std::nth_element(backgroundGrey.begin(), backgroundGrey.begin() + static_cast<std::ptrdiff_t>(backgroundGrey.size() / 100),
                     backgroundGrey.end());
    EXPECT_LT(backgroundGrey[backgroundGrey.size() / 100], insideSum / static_cast<double>(inside));
}

TEST(DemoStackSlow, FractionsHoldAcrossSeeds)
{
    for (std::uint64_t seed : {2u, 3u, 4u, 5u, 6u}) {
        DemoOptions o;
        o.seed = seed;
        const ClassStats s = statsOf(generateDemoStack(o));
        EXPECT_GT(s.fraction[kDemoMitochondrion], 0.03) << "seed " << seed;
        EXPECT_LT(s.fraction[kDemoMitochondrion], 0.10) << "seed " << seed;
        EXPECT_GT(s.fraction[kDemoMembrane], 0.01) << "seed " << seed;
        EXPECT_LT(s.fraction[kDemoMembrane], 0.10) << "seed " << seed;
        EXPECT_LT(s.meanGrey[kDemoMitochondrion], s.meanGrey[kDemoBackground] - 25.0) << "seed " << seed;
    }
}

TEST(DemoStack, RejectsBadOptions)
{
    DemoOptions o = smallOptions(1);
    o.depth = 0;
    EXPECT_THROW(generateDemoStack(o), Error);
    o = smallOptions(1);
    o.width = -5;
    EXPECT_THROW(generateDemoStack(o), Error);
    o = smallOptions(1);
    o.depth = 4096;
    o.height = 4096;
    o.width = 4096;
    EXPECT_THROW(generateDemoStack(o), Error);
    o = smallOptions(1);
    o.mitoFraction = 2.0;
    EXPECT_THROW(generateDemoStack(o), Error);
}

TEST(DemoStack, TinyAndOddSizesWork)
{
    DemoOptions o;
    o.depth = 1;
    o.height = 7;
    o.width = 13;
    const DemoStack d = generateDemoStack(o);
    EXPECT_EQ(d.image.shape(), (Shape{1, 7, 13}));
    o.depth = 5;
    o.height = 40;
    o.width = 3;
    EXPECT_EQ(generateDemoStack(o).labels.shape(), (Shape{5, 40, 3}));
}
