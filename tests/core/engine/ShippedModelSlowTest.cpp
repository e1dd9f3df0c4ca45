// The model shipped in resources/models/ on the real EPFL volume: it must be found by
// defaultModelPath() and reproduce the validation IoU written in it on the held-out training
// slices 133-164 (never the testing half). Label `slow`: ~1 min on two cores.
#include <gtest/gtest.h>

#include "../base/TestSupport.h"
#include "core/engine/Segmenter.h"
#include "core/io/TiffStack.h"
#include "core/metrics/Metrics.h"

using namespace mitoseg;

TEST(ShippedModelSlow, ReproducesItsValidationIoUOnLucchi)
{
    std::filesystem::path model = Segmenter::defaultModelPath();
    ASSERT_FALSE(model.empty()) << "no resources/models/mito-fast.msm found";
    auto seg = Segmenter::load(model);
    const ModelInfo& info = seg->info();
    EXPECT_EQ(info.classes, 2);
    EXPECT_GT(info.validationIoU, 0.5);
    auto imagePath = test::lucchiFile("training.tif"), maskPath = test::lucchiFile("training_groundtruth.tif");
    if (imagePath.empty() || maskPath.empty())
        return;
    VolumeU8 image = readStackU8(imagePath);
    VolumeU8 truth = readLabels(maskPath, true);
    const std::int64_t z0 = 133, z1 = 164;
    Shape s{z1 - z0 + 1, image.height(), image.width()};
    VolumeU8 sub(s), subTruth(s);
    std::copy(image.slice(z0), image.slice(z1) + s.sliceVoxels(), sub.data());
    std::copy(truth.slice(z0), truth.slice(z1) + s.sliceVoxels(), subTruth.data());
    PredictOptions o;
    o.threads = 2;
    StackPrediction p = seg->predictStack(sub, o);
    double iou = overlapScores(p.labels, subTruth).foregroundIoU;
    // Same settings as the trainer's validation: the stored figure is reproduced.
    EXPECT_NEAR(iou, info.validationIoU, 0.005);
}
