#include <gtest/gtest.h>

#include "core/labels/ClassMatch.h"

using mitoseg::labels::matchClasses;
using mitoseg::labels::sameClassName;

TEST(ClassMatch, NamesMatchAcrossCaseAndShortEndings)
{
    EXPECT_TRUE(sameClassName("mitochondria", "mitochondrion"));
    EXPECT_TRUE(sameClassName("Mitochondria", "mitochondria"));
    EXPECT_TRUE(sameClassName("membranes", "membrane"));
    EXPECT_TRUE(sameClassName("ER lumen", "er-lumen"));
    EXPECT_FALSE(sameClassName("membrane", "mitochondria"));
    EXPECT_FALSE(sameClassName("class 1", "class 2"));
    EXPECT_FALSE(sameClassName("class 1", "class 12"));
    EXPECT_FALSE(sameClassName("mito", "mitochondria"));
    EXPECT_FALSE(sameClassName("", ""));
}

TEST(ClassMatch, BinaryModelOnTheThreeClassDemoLandsOnMitochondria)
{
    EXPECT_EQ(matchClasses({"background", "mitochondria"}, {"background", "membrane", "mitochondrion"}),
              (std::vector<int>{0, 2}));
    EXPECT_EQ(matchClasses({"background", "membrane", "mitochondria"}, {"background", "mitochondria", "membrane"}),
              (std::vector<int>{0, 2, 1}));
    EXPECT_EQ(matchClasses({"background", "vesicle"}, {"background", "mitochondria"}), (std::vector<int>{0, -1}));
    EXPECT_EQ(matchClasses({"bg", "mitochondria"}, {"background", "mitochondria"}), (std::vector<int>{0, 1}))
        << "background is background whatever its name";
}
