// The memory plan of a streamed prediction: workers cut to fit the budget, refusal with the
// figure when one slice in flight cannot fit (a 30000 x 30000 slice at the default budget).
#include <gtest/gtest.h>

#include "core/base/Memory.h"
#include "core/engine/PredictMemory.h"

using namespace mitoseg;

namespace {
ModelInfo binaryModel()
{
    ModelInfo m;
    m.classes = 2;
    m.contextSlices = 1;
    return m;
}
}  // namespace

TEST(PredictMemory, HugeSliceIsRefusedWithTheFigure)
{
    PredictOptions o;
    o.threads = 2;
    const Shape huge{10, 30000, 30000};
    const PredictMemoryPlan p = planPredictMemory(huge, binaryModel(), o, 2, false, kDefaultMemoryBudget);
    EXPECT_FALSE(p.fits());
    // Slice buffers alone: 900 M voxels, several float slices.
    EXPECT_GT(p.minimumBytes(), 20ull << 30);
    const std::string text = p.refusal(huge);
    EXPECT_NE(text.find("10 x 30000 x 30000"), std::string::npos) << text;
    EXPECT_NE(text.find(formatBytes(p.minimumBytes())), std::string::npos) << text;
    EXPECT_NE(text.find("--memory-budget " + budgetArgument(p.minimumBytes())), std::string::npos) << text;
    // With the budget it asks for, it fits.
    EXPECT_TRUE(planPredictMemory(huge, binaryModel(), o, 2, false, *parseByteSize(budgetArgument(p.minimumBytes()))).fits());
}

TEST(PredictMemory, WorkersShrinkToFitTheBudget)
{
    PredictOptions o;
    o.threads = 2;
    o.bf16 = true;   // the float32 comparison below
    const Shape s{100, 768, 1024};
    const PredictMemoryPlan roomy = planPredictMemory(s, binaryModel(), o, 2, true, 8ull << 30);
    EXPECT_EQ(roomy.requestedWorkers, 3);
    EXPECT_EQ(roomy.workers, 3);
    const std::uint64_t two = roomy.fixedBytes + 2 * roomy.bytesPerWorker;
    const PredictMemoryPlan tight = planPredictMemory(s, binaryModel(), o, 2, true, two);
    EXPECT_EQ(tight.workers, 2);
    EXPECT_LE(tight.bytes(), two);
    const PredictMemoryPlan one = planPredictMemory(s, binaryModel(), o, 2, true, two - 1);
    EXPECT_EQ(one.workers, 1);
    EXPECT_TRUE(one.fits());
    EXPECT_FALSE(planPredictMemory(s, binaryModel(), o, 2, true, one.minimumBytes() - 1).fits());
    // Float32 activations and a wider smoothing window cost more; a single slice has one worker.
    EXPECT_GT(planPredictMemory(s, binaryModel(), PredictOptions{.bf16 = false}, 2, true, 8ull << 30).bytesPerWorker,
              roomy.bytesPerWorker);
    EXPECT_GT(planPredictMemory(s, binaryModel(), o, 5, true, 8ull << 30).fixedBytes, roomy.fixedBytes);
    EXPECT_EQ(planPredictMemory(Shape{1, 768, 1024}, binaryModel(), o, 0, false, 8ull << 30).workers, 1);
}

TEST(PredictMemory, TilesShrinkOnlyWhenAllowedAndOneWorkerDoesNotFit)
{
    PredictOptions o;
    o.threads = 2;
    o.bf16 = true;
    const Shape s{100, 768, 1024};
    const PredictMemoryPlan roomy = planPredictMemory(s, binaryModel(), o, 2, false, 8ull << 30, true);
    EXPECT_FALSE(roomy.tileReduced);
    EXPECT_EQ(roomy.tile, 1024);
    EXPECT_EQ(roomy.batch, 2);
    const std::uint64_t tight = roomy.minimumBytes() - 1;
    EXPECT_FALSE(planPredictMemory(s, binaryModel(), o, 2, false, tight).fits());
    const PredictMemoryPlan p512 = planPredictMemory(s, binaryModel(), o, 2, false, tight, true);
    ASSERT_TRUE(p512.fits());
    EXPECT_TRUE(p512.tileReduced);
    EXPECT_EQ(p512.tile, 512);
    EXPECT_EQ(p512.overlap, 128);
    EXPECT_EQ(p512.batch, 1);
    EXPECT_LE(p512.bytes(), tight);
    // Below what 512 needs with one worker: 256 (overlap a quarter of the tile).
    const PredictMemoryPlan one512 = planPredictMemory(s, binaryModel(), o, 2, false, p512.minimumBytes(), true);
    ASSERT_EQ(one512.tile, 512);
    const PredictMemoryPlan p256 = planPredictMemory(s, binaryModel(), o, 2, false, one512.minimumBytes() - 1, true);
    ASSERT_TRUE(p256.fits());
    EXPECT_EQ(p256.tile, 256);
    EXPECT_EQ(p256.overlap, 64);
    EXPECT_LT(p256.minimumBytes(), one512.minimumBytes());
    // Nothing fits: the refusal names the smallest tiling's figure and no longer suggests a smaller tile.
    const PredictMemoryPlan none = planPredictMemory(s, binaryModel(), o, 2, false, p256.minimumBytes() - 1, true);
    EXPECT_FALSE(none.fits());
    EXPECT_EQ(none.minimumBytes(), p256.minimumBytes());
    EXPECT_EQ(none.refusal(s).find("smaller --tile"), std::string::npos) << none.refusal(s);
    // A tile already at 256 is not reduced further.
    PredictOptions small = o;
    small.tile = 256;
    EXPECT_FALSE(planPredictMemory(s, binaryModel(), small, 2, false, 1, true).tileReduced);
}

TEST(PredictMemory, WiderNetworksNeedMoreForTheirActivations)
{
    PredictOptions o;
    o.threads = 2;
    o.bf16 = true;
    const Shape s{100, 768, 1024};
    ModelInfo fast = binaryModel(), seed = binaryModel(), unknown = binaryModel();
    fast.baseWidth = 16;
    seed.baseWidth = 64;
    const PredictMemoryPlan pf = planPredictMemory(s, fast, o, 2, false, 8ull << 30);
    const PredictMemoryPlan ps = planPredictMemory(s, seed, o, 2, false, 8ull << 30);
    EXPECT_EQ(planPredictMemory(s, unknown, o, 2, false, 8ull << 30).bytesPerWorker, pf.bytesPerWorker);
    // Four times the channels: well over twice the bytes per worker (slice buffers do not grow).
    EXPECT_GT(ps.bytesPerWorker, 2 * pf.bytesPerWorker);
    EXPECT_GT(ps.fixedBytes, pf.fixedBytes);
    // At the default budget the wide model runs fewer slices at once.
    EXPECT_LT(planPredictMemory(s, seed, o, 2, false, kDefaultMemoryBudget).workers,
              planPredictMemory(s, fast, o, 2, false, kDefaultMemoryBudget).workers);
}
