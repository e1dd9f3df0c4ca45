#pragma once
// Shared helpers for core tests: a scratch directory per test, and the real EPFL volume.
#include <filesystem>
#include <string>

namespace mitoseg::test {

/// A fresh, empty directory for the calling test; removed when the object dies.
class ScratchDir {
public:
    ScratchDir();
    ~ScratchDir();
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

/// ../shared/data/lucchi/<name>. When the file is missing the calling test fails loudly
/// (ADD_FAILURE with the path and how to get it) and the returned path is empty.
std::filesystem::path lucchiFile(const std::string& name);

/// Path of ../shared/reference/peer.py (for cross-checks against tifffile/numpy/skimage).
std::filesystem::path peerScript();

/// Runs a shell command, returns its exit code and fills `output` with stdout.
int runCommand(const std::string& command, std::string* output = nullptr);

/// A TCP port that was free a moment ago on 127.0.0.1 (for rendezvous in tests).
int freeLoopbackPort();

}  // namespace mitoseg::test
