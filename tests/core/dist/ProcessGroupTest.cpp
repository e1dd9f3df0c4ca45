// The c10d process group with two ranks as two threads of this process, over a TCPStore on
// 127.0.0.1 and over a FileStore: collectives give the right numbers, and a rank that never
// answers makes the other fail with a clear error after the timeout instead of hanging.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <future>
#include <thread>

#include "../base/TestSupport.h"
#include "core/base/Error.h"
#include "core/dist/ProcessGroup.h"

using namespace mitoseg;

namespace {

Rendezvous rendezvous(const std::string& url, int rank, double timeout)
{
    DistOptions o;
    o.rank = rank;
    o.worldSize = 2;
    o.rendezvous = url;
    o.timeoutSeconds = timeout;
    return resolveRendezvous(o, [](const std::string&) { return std::nullopt; });
}

/// Runs `body(group)` on two ranks (threads) meeting at `url`.
void onTwoRanks(const std::string& url, double timeout, const std::function<void(ProcessGroup&)>& body)
{
    auto rank = [&](int r) {
        auto g = ProcessGroup::connect(rendezvous(url, r, timeout));
        body(*g);
    };
    auto other = std::async(std::launch::async, rank, 1);
    rank(0);
    other.get();
}

void checkCollectives(ProcessGroup& g)
{
    const int r = g.rank();
    EXPECT_EQ(g.size(), 2);
    std::vector<float> f{1.0f + static_cast<float>(r), 10.0f * static_cast<float>(r)};
    g.allreduceSum(f.data(), f.size());
    EXPECT_EQ(f, (std::vector<float>{3.0f, 10.0f}));
    std::vector<double> d{0.5 + r, -1.0 * r};
    g.allreduceMax(d.data(), d.size());
    EXPECT_EQ(d, (std::vector<double>{1.5, 0.0}));
    std::vector<float> b{static_cast<float>(r + 7), 0};
    g.broadcast(b.data(), b.size(), 0);
    EXPECT_EQ(b[0], 7.0f);
    std::vector<float> msg(1000, static_cast<float>(r));
    if (r == 1) {
        for (int i = 0; i < 1000; ++i)
            msg[static_cast<std::size_t>(i)] = static_cast<float>(i);
        g.send(msg.data(), msg.size(), 0, 42);
    } else {
        g.recv(msg.data(), msg.size(), 1, 42);
        EXPECT_EQ(msg[999], 999.0f);
        EXPECT_EQ(msg[1], 1.0f);
    }
    g.barrier();
    EXPECT_GT(g.communicationBytes(), 0u);
}

}  // namespace

TEST(ProcessGroup, TwoRanksOverTcpStore)
{
    onTwoRanks("tcp://127.0.0.1:" + std::to_string(test::freeLoopbackPort()), 60, checkCollectives);
}

TEST(ProcessGroup, TwoRanksOverFileStore)
{
    test::ScratchDir dir;
    onTwoRanks("file://" + (dir / "store").string(), 60, checkCollectives);
}

TEST(ProcessGroup, SilentRankFailsTheOtherAfterTheTimeout)
{
    const std::string url = "tcp://127.0.0.1:" + std::to_string(test::freeLoopbackPort());
    std::promise<void> rank0Done;
    auto silent = std::async(std::launch::async, [&] {
        auto g = ProcessGroup::connect(rendezvous(url, 1, 3));
        rank0Done.get_future().wait();   // never joins the all-reduce
    });
    auto g = ProcessGroup::connect(rendezvous(url, 0, 3));
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<float> v(4, 1.0f);
    std::string message;
    try {
        g->allreduceSum(v.data(), v.size());
    } catch (const Error& e) {
        message = e.what();
    }
    const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    rank0Done.set_value();
    silent.get();
    EXPECT_NE(message.find("rank 0 of 2: all-reduce failed: another rank died or did not answer within 3 s"), std::string::npos)
        << message;
    EXPECT_GE(waited, 2.5);
    EXPECT_LT(waited, 30.0);
}

TEST(ProcessGroup, MissingRankFailsTheRendezvousAfterTheTimeout)
{
    const auto t0 = std::chrono::steady_clock::now();
    try {
        ProcessGroup::connect(rendezvous("tcp://127.0.0.1:" + std::to_string(test::freeLoopbackPort()), 0, 2));
        ADD_FAILURE() << "rank 0 met nobody and did not fail";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("rendezvous at tcp://127.0.0.1:"), std::string::npos) << e.what();
    }
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 30.0);
}
