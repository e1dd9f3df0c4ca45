#pragma once
// Runs the Python peer (peer.py) for `mitoseg bench ...` and returns its JSON line. Header-only;
// call from the command's thread.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "core/engine/Json.h"

namespace mitoseg::cli {

/// `s` single-quoted for /bin/sh.
inline std::string shellQuote(const std::string& s)
{
    std::string out = "'";
    for (char c : s)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

/// Path of peer.py: $MITOSEG_PEER, else <source>/../shared/reference/peer.py.
inline std::filesystem::path peerPath()
{
    if (const char* env = std::getenv("MITOSEG_PEER"); env && *env)
        return env;
#ifdef MITOSEG_SOURCE_DIR
    return std::filesystem::path(MITOSEG_SOURCE_DIR) / ".." / "shared" / "reference" / "peer.py";
#else
    return {};
#endif
}

/// Runs `/usr/bin/python3 peer.py ARGS`; returns the parsed JSON line, or a null Json and a
/// message in `error` when the peer is missing or failed.
inline Json runPeer(const std::string& args, std::string& error)
{
    std::filesystem::path peer = peerPath();
    std::error_code ec;
    if (peer.empty() || !std::filesystem::is_regular_file(peer, ec)) {
        error = "peer script not found (" + peer.string() + "); set MITOSEG_PEER";
        return {};
    }
    std::string cmd = "/usr/bin/python3 '" + peer.string() + "' " + args + " 2>&1";
    FILE* pipe = popen(cmd.c_str(), "r");
    if (!pipe) {
        error = "cannot run " + cmd;
        return {};
    }
    std::string out;
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe))
        out.append(buf, n);
    int status = pclose(pipe);
    if (status != 0) {
        error = "peer failed: " + out.substr(0, 500);
        return {};
    }
    auto start = out.rfind("\n{");
    std::string line = out.substr(start == std::string::npos ? 0 : start + 1);
    try {
        return Json::parse(line.substr(0, line.find_last_not_of("\n") + 1));
    } catch (const std::exception& e) {
        error = std::string("unreadable peer output: ") + e.what() + ": " + out.substr(0, 300);
        return {};
    }
}

}  // namespace mitoseg::cli
