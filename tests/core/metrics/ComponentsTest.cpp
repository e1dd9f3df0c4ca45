#include <gtest/gtest.h>

#include "core/metrics/Components.h"

using namespace mitoseg;

TEST(Components, DiagonalNeighboursJoinOnlyWith26Connectivity)
{
    VolumeU8 m(Shape{2, 3, 4});
    m(0, 0, 0) = 1;
    m(1, 1, 1) = 1;   // corner-touching
    m(0, 2, 3) = 255; // two columns away: separate
    auto six = connectedComponents(m, Connectivity::Six);
    auto all = connectedComponents(m, Connectivity::TwentySix);
    EXPECT_EQ(six.count, 3u);
    EXPECT_EQ(all.count, 2u);
    EXPECT_EQ(all.labels(0, 0, 0), all.labels(1, 1, 1));
    EXPECT_NE(all.labels(0, 0, 0), all.labels(0, 2, 3));
}

TEST(Components, UShapeMergesIntoOneObjectNumberedInRasterOrder)
{
    // A U in one slice: two arms start separately and merge at the bottom row.
    VolumeU8 m(Shape{1, 4, 5});
    for (int y = 0; y < 4; ++y) {
        m(0, y, 0) = 1;
        m(0, y, 4) = 1;
    }
    for (int x = 0; x < 5; ++x)
        m(0, 3, x) = 1;
    m(0, 0, 2) = 1;  // an isolated dot between the arms, first seen after arm 1
    auto c = connectedComponents(m, Connectivity::Six);
    ASSERT_EQ(c.count, 2u);
    EXPECT_EQ(c.labels(0, 0, 0), 1u);
    EXPECT_EQ(c.labels(0, 0, 2), 2u);
    EXPECT_EQ(c.labels(0, 0, 4), 1u);
    EXPECT_EQ(c.sizes[0], 4 + 4 + 3);
    EXPECT_EQ(c.sizes[1], 1);
}

TEST(Components, ValueSelectsOneClass)
{
    VolumeU8 m(Shape{1, 1, 5});
    m(0, 0, 0) = 1;
    m(0, 0, 1) = 2;
    m(0, 0, 2) = 2;
    m(0, 0, 4) = 1;
    EXPECT_EQ(connectedComponents(m, Connectivity::Six, 2).count, 1u);
    EXPECT_EQ(connectedComponents(m, Connectivity::Six, 1).count, 2u);
    EXPECT_EQ(connectedComponents(m, Connectivity::Six).count, 2u);
}

TEST(Components, RemoveSmallComponentsKeepsOnlyObjectsOfAtLeastMinVoxels)
{
    VolumeU8 m(Shape{3, 6, 6});
    // A 2x2x2 cube (8 voxels), a 3-voxel rod and a single voxel.
    for (int z = 0; z < 2; ++z)
        for (int y = 0; y < 2; ++y)
            for (int x = 0; x < 2; ++x)
                m(z, y, x) = 1;
    m(0, 5, 3) = m(1, 5, 3) = m(2, 5, 3) = 1;
    m(2, 3, 0) = 1;
    VolumeU8 copy = m;
    EXPECT_EQ(removeSmallComponents(copy, 1), 0);
    EXPECT_EQ(copy.values(), m.values());
    EXPECT_EQ(removeSmallComponents(copy, 3), 1);          // only the single voxel goes
    EXPECT_EQ(copy(2, 3, 0), 0);
    EXPECT_EQ(copy(1, 5, 3), 1);
    EXPECT_EQ(removeSmallComponents(copy, 8), 1);          // the rod goes, the cube (8) stays
    EXPECT_EQ(copy(1, 5, 3), 0);
    EXPECT_EQ(copy(1, 1, 1), 1);
    EXPECT_EQ(connectedComponents(copy, Connectivity::TwentySix).count, 1u);
    EXPECT_EQ(removeSmallComponents(copy, 9), 1);
    EXPECT_EQ(connectedComponents(copy, Connectivity::TwentySix).count, 0u);
}
