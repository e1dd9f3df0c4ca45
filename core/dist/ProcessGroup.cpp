#include "core/dist/ProcessGroup.h"

#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/torch.h>

#include <chrono>
#include <cstdlib>
#include <functional>

#include "core/base/Error.h"

namespace mitoseg {

struct ProcessGroup::Impl {
    c10::intrusive_ptr<c10d::Store> store;
    c10::intrusive_ptr<c10d::ProcessGroupGloo> pg;
    struct Pending {
        c10::intrusive_ptr<c10d::Work> work;
        std::vector<torch::Tensor> tensors;   ///< kept alive while Gloo works on them
    };
    std::vector<Pending> pending;
};

namespace {

using Clock = std::chrono::steady_clock;

std::string firstLine(const std::string& s)
{
    auto nl = s.find('\n');
    return s.substr(0, std::min<std::size_t>(nl, 400));
}

bool isLoopback(const std::string& host)
{
    return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

/// The network device Gloo binds to: GLOO_SOCKET_IFNAME when set (as in PyTorch), loopback for a
/// loopback rendezvous, else the address this host's name resolves to.
std::shared_ptr<::gloo::transport::Device> makeDevice(const Rendezvous& r)
{
    if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname)
        return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
    if (r.kind == Rendezvous::Kind::Tcp && isLoopback(r.host))
        return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
    return c10d::ProcessGroupGloo::createDefaultDevice();
}

}  // namespace

ProcessGroup::ProcessGroup(std::unique_ptr<Impl> impl, int rank, int size, double timeout)
    : impl_(std::move(impl)), rank_(rank), size_(size), timeout_(timeout)
{
}

ProcessGroup::~ProcessGroup() = default;

std::unique_ptr<ProcessGroup> ProcessGroup::connect(const Rendezvous& r)
{
    if (!r.distributed())
        throw Error("internal: a process group needs more than one rank");
    const auto timeout = std::chrono::milliseconds(static_cast<std::int64_t>(r.timeoutSeconds * 1000));
    const std::string where = r.kind == Rendezvous::Kind::Tcp ? "tcp://" + r.host + ":" + std::to_string(r.port) : "file://" + r.path;
    auto impl = std::make_unique<Impl>();
    try {
        if (r.kind == Rendezvous::Kind::Tcp) {
            c10d::TCPStoreOptions o;
            o.port = static_cast<std::uint16_t>(r.port);
            o.isServer = r.rank == 0;
            o.numWorkers = static_cast<std::size_t>(r.worldSize);
            o.waitWorkers = true;
            o.timeout = timeout;
            impl->store = c10::make_intrusive<c10d::TCPStore>(r.host, o);
        } else {
            impl->store = c10::make_intrusive<c10d::FileStore>(r.path, r.worldSize);
            impl->store->setTimeout(timeout);
        }
        auto options = c10d::ProcessGroupGloo::Options::create(timeout);
        options->devices.push_back(makeDevice(r));
        options->threads = 2;
        auto store = c10::make_intrusive<c10d::PrefixStore>("mitoseg", impl->store);
        impl->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(store, r.rank, r.worldSize, options);
    } catch (const std::exception& e) {
        throw Error("rank " + std::to_string(r.rank) + " of " + std::to_string(r.worldSize) + ": rendezvous at " + where +
                    " failed (" + r.source + "; timeout " + std::to_string(static_cast<int>(r.timeoutSeconds)) +
                    " s): " + firstLine(e.what()));
    }
    std::unique_ptr<ProcessGroup> group(new ProcessGroup(std::move(impl), r.rank, r.worldSize, r.timeoutSeconds));
    group->barrier();
    return group;
}

struct ProcessGroupAccess {
    [[noreturn]] static void fail(ProcessGroup& g, const char* what, const std::exception& e)
    {
        throw Error("rank " + std::to_string(g.rank_) + " of " + std::to_string(g.size_) + ": " + what +
                    " failed: another rank died or did not answer within " + std::to_string(static_cast<int>(g.timeout_)) +
                    " s (" + firstLine(e.what()) + ")");
    }
    static void wait(ProcessGroup& g, c10d::Work& work)
    {
        work.wait(std::chrono::milliseconds(static_cast<std::int64_t>(g.timeout_ * 1000)));
    }
    /// Runs one collective, timing it and turning any failure into a clear mitoseg::Error.
    static void run(ProcessGroup& g, const char* what, std::size_t bytes, const std::function<c10::intrusive_ptr<c10d::Work>()>& start)
    {
        if (!g.impl_->pending.empty())
            g.finishPending();   // keep the collectives in the order they were asked for
        const auto t0 = Clock::now();
        try {
            auto work = start();
            wait(g, *work);
        } catch (const std::exception& e) {
            fail(g, what, e);
        }
        g.commSeconds_ += std::chrono::duration<double>(Clock::now() - t0).count();
        g.commBytes_ += bytes;
    }
    static c10d::ProcessGroupGloo& pg(ProcessGroup& g) { return *g.impl_->pg; }
};

namespace {

template <class T>
torch::Tensor wrap(T* data, std::size_t count)
{
    using U = std::remove_const_t<T>;
    const auto type = std::is_same_v<U, double> ? torch::kDouble : std::is_same_v<U, std::uint8_t> ? torch::kByte : torch::kFloat;
    return torch::from_blob(const_cast<U*>(data), {static_cast<std::int64_t>(count)}, type);
}

}  // namespace

void ProcessGroup::allreduceSum(float* data, std::size_t count)
{
    std::vector<torch::Tensor> t{wrap(data, count)};
    ProcessGroupAccess::run(*this, "all-reduce", count * sizeof(float), [&] { return ProcessGroupAccess::pg(*this).allreduce(t); });
}

void ProcessGroup::allreduceSum(double* data, std::size_t count)
{
    std::vector<torch::Tensor> t{wrap(data, count)};
    ProcessGroupAccess::run(*this, "all-reduce", count * sizeof(double), [&] { return ProcessGroupAccess::pg(*this).allreduce(t); });
}

void ProcessGroup::allreduceMax(double* data, std::size_t count)
{
    std::vector<torch::Tensor> t{wrap(data, count)};
    c10d::AllreduceOptions o;
    o.reduceOp = c10d::ReduceOp::MAX;
    ProcessGroupAccess::run(*this, "all-reduce", count * sizeof(double), [&] { return ProcessGroupAccess::pg(*this).allreduce(t, o); });
}

void ProcessGroup::broadcast(float* data, std::size_t count, int root)
{
    std::vector<torch::Tensor> t{wrap(data, count)};
    c10d::BroadcastOptions o;
    o.rootRank = root;
    ProcessGroupAccess::run(*this, "broadcast", count * sizeof(float), [&] { return ProcessGroupAccess::pg(*this).broadcast(t, o); });
}

void ProcessGroup::send(const float* data, std::size_t count, int dst, int tag)
{
    std::vector<torch::Tensor> t{wrap(data, count)};
    ProcessGroupAccess::run(*this, "send", count * sizeof(float), [&] { return ProcessGroupAccess::pg(*this).send(t, dst, tag); });
}

void ProcessGroup::recv(float* data, std::size_t count, int src, int tag)
{
    std::vector<torch::Tensor> t{wrap(data, count)};
    ProcessGroupAccess::run(*this, "receive", count * sizeof(float), [&] { return ProcessGroupAccess::pg(*this).recv(t, src, tag); });
}

void ProcessGroup::startAllreduceSum(float* data, std::size_t count)
{
    Impl::Pending p;
    p.tensors.push_back(wrap(data, count));
    const auto t0 = Clock::now();
    try {
        p.work = impl_->pg->allreduce(p.tensors);
    } catch (const std::exception& e) {
        ProcessGroupAccess::fail(*this, "all-reduce", e);
    }
    commSeconds_ += std::chrono::duration<double>(Clock::now() - t0).count();
    commBytes_ += count * sizeof(float);
    impl_->pending.push_back(std::move(p));
}

void ProcessGroup::finishPending()
{
    const auto t0 = Clock::now();
    std::vector<Impl::Pending> pending;
    pending.swap(impl_->pending);
    for (auto& p : pending) {
        try {
            ProcessGroupAccess::wait(*this, *p.work);
        } catch (const std::exception& e) {
            ProcessGroupAccess::fail(*this, "all-reduce", e);
        }
    }
    commSeconds_ += std::chrono::duration<double>(Clock::now() - t0).count();
}

std::size_t ProcessGroup::pendingCount() const { return impl_->pending.size(); }

void ProcessGroup::send(const std::uint8_t* data, std::size_t count, int dst, int tag)
{
    std::vector<torch::Tensor> t{wrap(data, count)};
    ProcessGroupAccess::run(*this, "send", count, [&] { return ProcessGroupAccess::pg(*this).send(t, dst, tag); });
}

void ProcessGroup::recv(std::uint8_t* data, std::size_t count, int src, int tag)
{
    std::vector<torch::Tensor> t{wrap(data, count)};
    ProcessGroupAccess::run(*this, "receive", count, [&] { return ProcessGroupAccess::pg(*this).recv(t, src, tag); });
}

void ProcessGroup::barrier()
{
    ProcessGroupAccess::run(*this, "barrier", 0, [&] { return ProcessGroupAccess::pg(*this).barrier(); });
}

}  // namespace mitoseg
