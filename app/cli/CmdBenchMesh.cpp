#include "app/cli/Args.h"
#include "app/cli/Command.h"
#include "app/cli/PeerRunner.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/base/Error.h"
#include "core/io/TiffStack.h"
#include "core/mesh/SurfaceExtractor.h"

#ifndef MITOSEG_SOURCE_DIR
#define MITOSEG_SOURCE_DIR "."
#endif

namespace mitoseg::cli {

namespace {

const char* kHelp =
    "usage: mitoseg bench mesh MASK [--repeats N] [--threads N] [--connectivity 6|26] [--no-peer]\n"
    "\n"
    "Times, on the whole mask, each stage of `mitoseg mesh`: connected-component labelling,\n"
    "per-object surface extraction (flying edges on padded crops), windowed-sinc smoothing (15\n"
    "iterations), and a single-pass extraction of the whole binary mask. In the same run it times\n"
    "scikit-image's marching cubes on the same file with `/usr/bin/python3 PEER mesh MASK`\n"
    "(PEER: $MITOSEG_PEER, else <source>/../shared/reference/peer.py) and prints the medians and\n"
    "the ratios peer / ours (above 1: we are faster).\n"
    "\n"
    "  --repeats N        timed repetitions of each stage and of the peer (default 3)\n"
    "  --threads N        cap our threads and VTK's (default: all cores; the peer uses one)\n"
    "  --connectivity C   6 or 26 (default 26)\n"
    "  --no-peer          skip scikit-image\n";

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

double median(std::vector<double> v)
{
    if (v.empty())
        return 0.0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

struct PeerRun {
    double seconds = 0.0;
    long long triangles = 0;
};

/// Runs `peer.py mesh MASK` once; throws Error with the peer's output when it fails.
PeerRun runMeshPeer(const std::string& mask)
{
    std::string error;
    const Json line = runPeer("mesh " + shellQuote(mask), error);
    const Json* seconds = line.isObject() ? line.find("seconds") : nullptr;
    if (!seconds)
        throw Error("peer failed: " + (error.empty() ? std::string("no \"seconds\" in its output") : error));
    PeerRun r;
    r.seconds = seconds->number();
    r.triangles = static_cast<long long>(line.number("triangles", 0));
    return r;
}

int run(const std::vector<std::string>& words)
{
    Args args(words, {"repeats", "threads", "connectivity"}, {"no-peer"});
    args.expectPositionals(1, 1);
    const std::string maskPath = args.positionals()[0];
    const long long repeats = args.integer("repeats", 3, 1, 100);
    if (repeats < 1 || repeats > 100)
        throw UsageError("--repeats must be between 1 and 100");
    const long long threads = args.integer("threads", 0, 0, 1024);
    if (threads < 0 || threads > 1024)
        throw UsageError("--threads must be between 0 and 1024");
    const long long conn = args.integer("connectivity", 26, 6, 26);
    if (conn != 6 && conn != 26)
        throw UsageError("--connectivity must be 6 or 26");
    const bool withPeer = !args.flag("no-peer");
    const auto peer = peerPath();
    if (withPeer && !std::filesystem::exists(peer))
        throw Error("peer script not found: " + peer.string() + " (set MITOSEG_PEER or pass --no-peer)");

    setVtkThreadLimit(static_cast<int>(threads));
    const unsigned cores = threads > 0 ? static_cast<unsigned>(threads) : std::max(1u, std::thread::hardware_concurrency());

    std::fprintf(stderr, "bench mesh: reading %s\n", maskPath.c_str());
    auto t0 = Clock::now();
    const VolumeU8 mask = readLabels(maskPath, true);
    const double readSeconds = since(t0);
    const Spacing spacing = mask.spacing;

    MeshOptions raw;
    raw.connectivity = conn == 6 ? Connectivity::Six : Connectivity::TwentySix;
    raw.smoothIterations = 0;
    raw.threads = static_cast<int>(threads);
    MeshOptions smooth = raw;
    smooth.smoothIterations = 15;

    std::vector<double> label, extract, extractAll, smoothing, whole;
    std::size_t objects = 0, triangles = 0, wholeTriangles = 0;
    for (long long r = 0; r < repeats; ++r) {
        std::fprintf(stderr, "bench mesh: repeat %lld/%lld\n", r + 1, repeats);
        auto t = Clock::now();
        Components comps = connectedComponents(mask, raw.connectivity, -1);
        label.push_back(since(t));
        MeshScene scene = meshComponents(comps, spacing, raw);
        extract.push_back(scene.timings.extract);
        extractAll.push_back(scene.timings.measure + scene.timings.extract + scene.timings.assemble);
        objects = scene.objects.size();
        triangles = scene.mesh.triangleCount();
        scene = MeshScene{};
        MeshScene smoothed = meshComponents(comps, spacing, smooth);
        smoothing.push_back(smoothed.timings.smooth);
        smoothed = MeshScene{};
        comps = Components{};
        t = Clock::now();
        SurfaceMesh mesh = extractMaskSurface(mask, spacing);
        whole.push_back(since(t));
        wholeTriangles = mesh.triangleCount();
    }

    std::vector<double> peerSeconds;
    long long peerTriangles = 0;
    if (withPeer) {
        for (long long r = 0; r < repeats; ++r) {
            std::fprintf(stderr, "bench mesh: peer (scikit-image) %lld/%lld\n", r + 1, repeats);
            PeerRun p = runMeshPeer(maskPath);
            peerSeconds.push_back(p.seconds);
            peerTriangles = p.triangles;
        }
    }

    const double mLabel = median(label), mExtract = median(extract), mExtractAll = median(extractAll),
                 mSmooth = median(smoothing), mWhole = median(whole), mPeer = median(peerSeconds);
    std::printf("mask: %s (%lld x %lld x %lld), read in %.2f s\n", maskPath.c_str(), static_cast<long long>(mask.depth()),
                static_cast<long long>(mask.height()), static_cast<long long>(mask.width()), readSeconds);
    std::printf("medians of %lld repeats, %u thread(s):\n", repeats, cores);
    const std::string labelTitle = "labelling (" + std::to_string(conn) + "-connected)";
    std::printf("  %-43s%8.3f s  (%zu objects)\n", labelTitle.c_str(), mLabel, objects);
    std::printf("  per-object extraction (flying edges)       %8.3f s  (%zu triangles)\n", mExtract, triangles);
    std::printf("  per-object extraction incl. crops+arrays   %8.3f s\n", mExtractAll);
    std::printf("  smoothing (windowed sinc, 15 iterations)   %8.3f s\n", mSmooth);
    std::printf("  whole-mask extraction (one pass)           %8.3f s  (%zu triangles)\n", mWhole, wholeTriangles);
    if (withPeer) {
        std::printf("  scikit-image marching_cubes (peer)         %8.3f s  (%lld triangles, 1 thread)\n", mPeer, peerTriangles);
        std::printf("ratio peer/ours, whole-mask extraction:       %.2fx\n", mPeer / mWhole);
        std::printf("ratio peer/ours, per-object extraction:       %.2fx\n", mPeer / mExtractAll);
        std::printf("ratio peer/ours, labelling + extraction:      %.2fx\n", mPeer / (mLabel + mExtractAll));
    }
    std::printf("{\"what\": \"bench-mesh\", \"threads\": %u, \"repeats\": %lld, \"objects\": %zu, \"label_s\": %.4f, "
                "\"extract_s\": %.4f, \"extract_all_s\": %.4f, \"smooth_s\": %.4f, \"whole_mask_s\": %.4f, "
                "\"triangles\": %zu, \"whole_mask_triangles\": %zu",
                cores, repeats, objects, mLabel, mExtract, mExtractAll, mSmooth, mWhole, triangles, wholeTriangles);
    if (withPeer)
        std::printf(", \"peer_s\": %.4f, \"peer_triangles\": %lld, \"ratio_whole\": %.3f, \"ratio_per_object\": %.3f, "
                    "\"ratio_label_and_extract\": %.3f",
                    mPeer, peerTriangles, mPeer / mWhole, mPeer / mExtractAll, mPeer / (mLabel + mExtractAll));
    std::printf("}\n");
    return 0;
}

}  // namespace

const Command kBenchMeshCommand{"bench mesh", "time surface extraction vs scikit-image", kHelp, &run};

}  // namespace mitoseg::cli
