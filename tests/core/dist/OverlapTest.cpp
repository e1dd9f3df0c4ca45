// Gradient averaging overlapped with backward (OverlappedGradients) gives exactly the gradients
// of the plain pass after backward (averageGradients), step after step, and really starts
// all-reduces while backward is still running. Two ranks are two threads over a TCPStore.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>

#include "../base/TestSupport.h"
#include "core/dist/ProcessGroup.h"
#include "core/engine/DataParallel.h"
#include "core/engine/UNet.h"

using namespace mitoseg;

namespace {


torch::Tensor backwardOn(UNet& net, int rank, int step)
{
    for (auto& p : net->parameters())
        if (p.grad().defined())
            p.mutable_grad().zero_();
    // Deterministic inputs without the global generator, which the two rank threads share.
    const double phase = 0.37 + 0.11 * rank + 0.05 * step;
    torch::Tensor grid = torch::arange(2 * 32 * 32, torch::kFloat).reshape({2, 1, 32, 32});
    torch::Tensor x = torch::sin(grid * phase) * 0.5 + 0.5;
    torch::Tensor y = (torch::cos(grid * (phase * 0.7)) > 0.4).to(torch::kFloat);
    torch::Tensor loss = torch::binary_cross_entropy_with_logits(net->forward(x), y);
    loss.backward();
    return loss;
}

std::vector<torch::Tensor> gradients(UNet& net)
{
    std::vector<torch::Tensor> g;
    for (auto& p : net->parameters())
        g.push_back(p.grad().clone());
    return g;
}

}  // namespace

TEST(OverlappedGradients, EqualThePlainAverageEveryStepAndStartDuringBackward)
{
    const std::string url = "tcp://127.0.0.1:" + std::to_string(test::freeLoopbackPort());
    auto rank = [&](int r) {
        DistOptions o;
        o.rank = r;
        o.worldSize = 2;
        o.rendezvous = url;
        o.timeoutSeconds = 60;
        auto group = ProcessGroup::connect(resolveRendezvous(o, [](const std::string&) { return std::nullopt; }));
        UNetConfig c = UNetConfig::fromPreset("tiny");
        torch::manual_seed(static_cast<std::uint64_t>(7 + r));   // different weights on each rank at first
        UNet net(c), plainNet(c);
        net->train();
        plainNet->train();
        broadcastWeights(net, *group);
        {
            // The same weights and statistics in a twin that averages the plain way.
            torch::NoGradGuard ng;
            auto a = net->parameters(), b = plainNet->parameters();
            for (std::size_t i = 0; i < a.size(); ++i)
                b[i].copy_(a[i]);
            auto ab = net->buffers(), bb = plainNet->buffers();
            for (std::size_t i = 0; i < ab.size(); ++i)
                bb[i].copy_(ab[i]);
        }
        OverlappedGradients overlapped(net, *group, true, 2048);
        EXPECT_GT(overlapped.buckets(), 2);
        for (int step = 0; step < 3; ++step) {
            backwardOn(net, r, step);
            overlapped.finish();
            EXPECT_GT(overlapped.startedDuringBackward(), 0);
            EXPECT_LE(overlapped.startedDuringBackward(), overlapped.buckets());
            backwardOn(plainNet, r, step);
            averageGradients(plainNet, *group, true);
            const std::vector<torch::Tensor> viaOverlap = gradients(net), plain = gradients(plainNet);
            ASSERT_EQ(viaOverlap.size(), plain.size());
            double maxDiff = 0, maxAbs = 0;
            for (std::size_t i = 0; i < plain.size(); ++i) {
                maxDiff = std::max(maxDiff, (viaOverlap[i] - plain[i]).abs().max().item<double>());
                maxAbs = std::max(maxAbs, plain[i].abs().max().item<double>());
            }
            EXPECT_LT(maxDiff, 1e-6) << "rank " << r << " step " << step;
            EXPECT_GT(maxAbs, 1e-4);   // real gradients, not zeros
            auto sa = net->buffers(), sb = plainNet->buffers();
            for (std::size_t i = 0; i < sa.size(); ++i)
                EXPECT_TRUE(torch::allclose(sa[i].to(torch::kDouble), sb[i].to(torch::kDouble), 0, 1e-6)) << "buffer " << i;
            // Both ranks hold the same averaged gradients: the other rank's batch counted.
            std::vector<float> mine{plain[0].reshape(-1)[0].item<float>()}, sum = mine;
            group->allreduceSum(sum.data(), 1);
            EXPECT_FLOAT_EQ(sum[0], 2 * mine[0]);
            torch::NoGradGuard ng;
            for (UNet* n : {&net, &plainNet})
                for (auto& p : (*n)->parameters())
                    p.sub_(0.01 * p.grad());   // a step, so the next one differs
        }
    };
    auto other = std::async(std::launch::async, rank, 1);
    rank(0);
    other.get();
}
