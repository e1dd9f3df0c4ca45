#pragma once
// How much memory this process can still get, to refuse a job up front (with the figure)
// rather than die half-way through it. Linux only; any thread.
#include <cstdint>
#include <string>

namespace mitoseg {

/// Bytes this process can still allocate: the least of the system's MemAvailable
/// (/proc/meminfo), the room left under the cgroup's memory.max, and the room left under
/// RLIMIT_AS (its soft limit minus the current VmSize). UINT64_MAX when none can be read.
std::uint64_t availableMemoryBytes();

/// "1.3 GB" style text for messages.
std::string formatBytes(std::uint64_t bytes);

}  // namespace mitoseg
