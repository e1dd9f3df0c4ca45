// The model shipped in resources/models/ on the real EPFL volume: it must be found by
// defaultModelPath() and reproduce the validation IoU written in it on the held-out training
// slices 133-164 (never the testing half). Label `slow`: ~1 min on two cores.
#include <gtest/gtest.h>

#include <cstdio>

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
    // Predict from 4 slices before the range, so 2.5D models see the real neighbours of slice 133.
    const std::int64_t z0 = 133, z1 = 164, a = z0 - 4;
    Shape s{z1 - a + 1, image.height(), image.width()};
    VolumeU8 sub(s), subTruth(s);
    std::copy(image.slice(a), image.slice(z1) + s.sliceVoxels(), sub.data());
    std::copy(truth.slice(a), truth.slice(z1) + s.sliceVoxels(), subTruth.data());
    PredictOptions o;
    o.threads = 2;
    o.zSmooth = 0;
    o.minObjectVoxels = 0;
    o.threshold = 0.5f;
    StackPrediction p = seg->predictStack(sub, o);
    double iou = overlapScores(p.labels, subTruth, 2, z0 - a, z1 - a).foregroundIoU;
    // Same settings as the trainer's validation (no post-processing, threshold 0.5): the stored
    // figure is reproduced.
    EXPECT_NEAR(iou, info.validationIoU, 0.005);
    // The model's recommended post-processing does not hurt.
    postProcessBinary(p, info.zSmooth, info.threshold, info.minObjectVoxels);
    double post = overlapScores(p.labels, subTruth, 2, z0 - a, z1 - a).foregroundIoU;
    EXPECT_GE(post, iou - 1e-9);
    std::printf("shipped model on z 133-164: IoU %.4f plain, %.4f with z-smoothing +-%d, threshold %.2f, smallest object %lld\n",
                iou, post, info.zSmooth, static_cast<double>(info.threshold), static_cast<long long>(info.minObjectVoxels));
}
