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
