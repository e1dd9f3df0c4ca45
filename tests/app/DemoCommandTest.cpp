#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "TestSupport.h"
#include "core/demo/DemoStack.h"
#include "core/io/TiffStack.h"

using mitoseg::test::runCommand;
using mitoseg::test::ScratchDir;

namespace {
std::string cli() { return MITOSEG_CLI_EXE; }
}  // namespace

TEST(CliDemo, WritesTheGeneratedStackAndPrintsASummary)
{
    ScratchDir dir;
    const auto out = dir / "demo";
    std::string text;
    ASSERT_EQ(runCommand(cli() + " demo --steps 0 --size 12x96x128 --seed 4 --out '" + out.string() + "' 2>&1", &text), 0)
        << text;
    for (const char* word : {"12 x 96 x 128", "membrane", "mitochondrion", "demo-image.tif", "demo-labels.tif"})
        EXPECT_NE(text.find(word), std::string::npos) << word << " missing from:\n" << text;

    // The files hold exactly what the generator makes for these options.
    mitoseg::DemoOptions o;
    o.depth = 12;
    o.height = 96;
    o.width = 128;
    o.seed = 4;
    const mitoseg::DemoStack expected = mitoseg::generateDemoStack(o);
    const mitoseg::VolumeU8 image = mitoseg::readStackU8(out / "demo-image.tif");
    const mitoseg::VolumeU8 labels = mitoseg::readStackU8(out / "demo-labels.tif");
    const mitoseg::VolumeU8 mito = mitoseg::readStackU8(out / "demo-mito-mask.tif");
    EXPECT_EQ(image.values(), expected.image.values());
    EXPECT_EQ(labels.values(), expected.labels.values());
    EXPECT_EQ(image.spacing.unit, "nm");
    EXPECT_NEAR(image.spacing.x, 5.0, 1e-6);  // TIFF resolution is a float rational
    ASSERT_EQ(mito.values().size(), expected.labels.values().size());
    for (std::size_t i = 0; i < mito.values().size(); ++i)
        ASSERT_EQ(mito.values()[i], expected.labels.values()[i] == mitoseg::kDemoMitochondrion ? 255 : 0) << i;
}

TEST(CliDemo, ModelStagesTrainPredictScoreAndMeshThePrediction)
{
    ScratchDir dir;
    const auto out = dir / "demo";
    std::string text;
    ASSERT_EQ(runCommand(cli() + " demo --steps 8 --threads 1 --size 10x64x96 --seed 2 --out '" + out.string() +
                             "' 2>/dev/null",
                         &text),
              0)
        << text;
    for (const char* word : {"[7/7]", "held-out (z 9-9)", "membrane IoU", "mitochondrion IoU", "predicted mitochondria"})
        EXPECT_NE(text.find(word), std::string::npos) << word << " missing from:\n" << text;
    // The prediction is a label volume of the stack's shape holding only the demo's classes.
    const mitoseg::VolumeU8 predicted = mitoseg::readStackU8(out / "demo-prediction.tif");
    ASSERT_EQ(predicted.shape(), (mitoseg::Shape{10, 64, 96}));
    for (std::uint8_t v : predicted.values())
        ASSERT_LE(v, 2);
    for (const char* file : {"demo-model.msm", "demo-mitochondria.stl", "demo-mitochondria.csv"})
        EXPECT_TRUE(std::filesystem::is_regular_file(out / file)) << file;
}

TEST(CliDemo, BadSizeIsAUsageError)
{
    std::string text;
    EXPECT_EQ(runCommand(cli() + " demo --size 12x0x128 2>&1", &text), 2);
    EXPECT_NE(text.find("--size"), std::string::npos) << text;
    EXPECT_EQ(runCommand(cli() + " demo --size banana 2>&1", &text), 2);
    EXPECT_EQ(runCommand(cli() + " demo --seed -1 2>&1", &text), 2);
    EXPECT_EQ(runCommand(cli() + " demo extra-word 2>&1", &text), 2);
}

TEST(CliDemo, UnwritableOutputFolderFailsNamingIt)
{
    ScratchDir dir;
    const auto blocker = dir / "file";
    std::FILE* f = std::fopen(blocker.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fclose(f);
    std::string text;
    EXPECT_EQ(runCommand(cli() + " demo --size 4x32x32 --out '" + (blocker / "sub").string() + "' 2>&1", &text), 1);
    EXPECT_NE(text.find((blocker / "sub").string()), std::string::npos) << text;
}
