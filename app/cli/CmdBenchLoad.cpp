#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <sys/wait.h>

#include "app/cli/Args.h"
#include "app/cli/Command.h"
#include "app/cli/PeerRunner.h"
#include "core/io/TiffStack.h"
#include "core/engine/Json.h"

namespace mitoseg::cli {

namespace {

using Clock = std::chrono::steady_clock;

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
}

double millisSince(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

/// A JSON string literal (quoted and escaped) for the --json output.
std::string jsonString(const std::string& s) { return Json(s).dump(); }

std::string fixed(double v, int digits)
{
    std::ostringstream out;
    out.setf(std::ios::fixed);
    out.precision(digits);
    out << v;
    return out.str();
}

/// Opens and fully reads the stack once; returns milliseconds.
double fullRead(const std::string& path)
{
    const auto t = Clock::now();
    auto stack = TiffStack::open(path);
    switch (stack->info().dtype) {
    case DType::U8: (void)stack->readAll<std::uint8_t>(); break;
    case DType::U16: (void)stack->readAll<std::uint16_t>(); break;
    case DType::F32: (void)stack->readAll<float>(); break;
    }
    return millisSince(t);
}

struct PeerResult {
    bool ok = false;
    double seconds = 0;
    std::string error;
};

/// Runs `peer.py load STACK` `repeats` times; median of the seconds it reports.
PeerResult runLoadPeer(const std::string& stack, int repeats)
{
    PeerResult r;
    std::vector<double> secs;
    for (int i = 0; i < repeats; ++i) {
        const Json line = runPeer("load " + shellQuote(stack), r.error);
        const Json* seconds = line.isObject() ? line.find("seconds") : nullptr;
        if (!seconds) {
            if (r.error.empty())
                r.error = "peer printed no \"seconds\"";
            return r;
        }
        secs.push_back(seconds->number());
    }
    r.ok = true;
    r.seconds = median(secs);
    return r;
}

int run(const std::vector<std::string>& words)
{
    Args args(words, {"repeats"}, {"json", "no-peer"});
    args.expectPositionals(1, 1);
    const std::string path = args.positionals()[0];
    const long long repeatsArg = args.integer("repeats", 3, 1, 1000);
    if (repeatsArg < 1 || repeatsArg > 1000)
        throw UsageError("--repeats must be between 1 and 1000");
    const int repeats = static_cast<int>(repeatsArg);

    const StackInfo info = TiffStack::open(path)->info();
    (void)fullRead(path);  // warm the page cache: dropping caches needs root, so report warm figures
    std::vector<double> open, first, full;
    std::vector<std::uint8_t> slice(static_cast<std::size_t>(info.shape.sliceVoxels()) * dtypeSize(info.dtype));
    for (int i = 0; i < repeats; ++i) {
        auto t = Clock::now();
        {
            auto stack = TiffStack::open(path);
            open.push_back(millisSince(t));
        }
        t = Clock::now();
        {
            auto stack = TiffStack::open(path);
            stack->readSlice(0, slice.data());
            first.push_back(millisSince(t));
        }
        full.push_back(fullRead(path));
    }
    const double openMs = median(open), firstMs = median(first), fullMs = median(full);
    const double mb = static_cast<double>(info.dataBytes()) / 1e6;
    const double mbPerS = mb / (fullMs / 1000.0);

    PeerResult peer;
    const std::string peerScript = peerPath().string();
    if (!args.flag("no-peer"))
        peer = runLoadPeer(path, repeats);
    const double ratio = peer.ok && fullMs > 0 ? peer.seconds * 1000.0 / fullMs : 0.0;

    if (args.flag("json")) {
        std::cout << "{\"what\": \"bench-load\", \"path\": " << jsonString(path) << ", \"shape\": [" << info.shape.depth
                  << ", " << info.shape.height << ", " << info.shape.width << "], \"dtype\": \"" << dtypeName(info.dtype)
                  << "\", \"data_bytes\": " << info.dataBytes() << ", \"repeats\": " << repeats
                  << ", \"cache\": \"warm\", \"open_ms\": " << fixed(openMs, 3)
                  << ", \"open_first_slice_ms\": " << fixed(firstMs, 3) << ", \"full_read_ms\": " << fixed(fullMs, 2)
                  << ", \"mb_per_s\": " << fixed(mbPerS, 1);
        if (peer.ok)
            std::cout << ", \"peer\": {\"name\": \"tifffile\", \"full_read_ms\": " << fixed(peer.seconds * 1000, 2)
                      << ", \"mb_per_s\": " << fixed(mb / peer.seconds, 1) << "}, \"ratio_vs_peer\": " << fixed(ratio, 3);
        else
            std::cout << ", \"peer\": null, \"peer_error\": " << jsonString(args.flag("no-peer") ? "skipped" : peer.error);
        std::cout << "}\n";
    } else {
        std::cout << "stack:              " << path << "  " << info.shape.depth << " x " << info.shape.height << " x "
                  << info.shape.width << " " << dtypeName(info.dtype) << " (" << fixed(mb, 1)
                  << " MB), warm page cache, median of " << repeats << "\n"
                  << "open:               " << fixed(openMs, 3) << " ms\n"
                  << "open + first slice: " << fixed(firstMs, 3) << " ms\n"
                  << "full read:          " << fixed(fullMs, 2) << " ms  (" << fixed(mbPerS, 1) << " MB/s)\n";
        if (peer.ok)
            std::cout << "tifffile (peer):    " << fixed(peer.seconds * 1000, 2) << " ms  (" << fixed(mb / peer.seconds, 1)
                      << " MB/s)  via " << peerScript << "\n"
                      << "ratio:              " << fixed(ratio, 2)
                      << "x  (tifffile time / ours: above 1 means mitoseg reads faster)\n";
        else
            std::cout << "tifffile (peer):    " << (args.flag("no-peer") ? "skipped (--no-peer)" : peer.error) << "\n";
    }
    if (!peer.ok && !args.flag("no-peer"))
        std::cerr << "mitoseg bench load: peer not measured: " << peer.error << "\n";
    return 0;
}

}  // namespace

const Command kBenchLoadCommand{
    "bench load", "time opening and reading a stack vs tifffile",
    "usage: mitoseg bench load STACK.tif [--repeats N] [--json] [--no-peer]\n"
    "\n"
    "Measures, with a warm page cache (one untimed read first; dropping caches needs root):\n"
    "  open                 index the pages (no pixels decoded)\n"
    "  open + first slice   what a viewer waits for before it can draw\n"
    "  full read            open + every slice into memory, and the throughput in MB/s\n"
    "each the median of N runs (default 3). Then runs the Python peer in the same session,\n"
    "`/usr/bin/python3 PEER load STACK` (tifffile.imread, N times, median) and prints the ratio\n"
    "tifffile time / mitoseg time. PEER is $MITOSEG_PEER or <source>/../shared/reference/peer.py.\n"
    "\n"
    "options:\n"
    "  --repeats N   runs per measurement (default 3)\n"
    "  --json        one JSON line (open_ms, open_first_slice_ms, full_read_ms, mb_per_s, peer,\n"
    "                ratio_vs_peer)\n"
    "  --no-peer     skip the Python peer\n",
    &run};

}  // namespace mitoseg::cli
