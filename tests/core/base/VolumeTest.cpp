#include <gtest/gtest.h>

#include "core/base/Error.h"
#include "core/base/Progress.h"
#include "core/base/Volume.h"

using namespace mitoseg;

TEST(Volume, IndexingIsZMajorAndSlicesAreContiguous)
{
    VolumeU16 v(Shape{3, 4, 5});
    v(2, 3, 4) = 77;
    v(1, 0, 2) = 5;
    EXPECT_EQ(v.slice(2)[3 * 5 + 4], 77);
    EXPECT_EQ(v.data()[1 * 20 + 2], 5);
    EXPECT_EQ(v.shape().voxels(), 60);
}

TEST(Volume, DTypeNamesMatchNumpy)
{
    EXPECT_STREQ(dtypeName(DType::U8), "uint8");
    EXPECT_STREQ(dtypeName(DType::U16), "uint16");
    EXPECT_STREQ(dtypeName(DType::F32), "float32");
    EXPECT_EQ(dtypeSize(DType::F32), 4u);
}

TEST(IoErrorTest, MessageNamesFileAndPage)
{
    IoError e(IoError::Kind::Truncated, "/data/x.tif", 12, "file ends inside the strip");
    EXPECT_EQ(std::string(e.what()), "/data/x.tif (page 12): file ends inside the strip");
    EXPECT_EQ(e.page(), 12);
    IoError whole(IoError::Kind::NotTiff, "/data/y.png", -1, "not a TIFF file");
    EXPECT_EQ(std::string(whole.what()), "/data/y.png: not a TIFF file");
}

TEST(CancelTokenTest, CheckThrowsOnlyAfterCancel)
{
    CancelToken t;
    EXPECT_NO_THROW(t.check());
    t.cancel();
    EXPECT_TRUE(t.cancelled());
    EXPECT_THROW(t.check(), Cancelled);
}
