#pragma once
// How much memory a job may still take, and byte counts for people. Used before big
// allocations (the studio's mask) so a stack that cannot fit is refused with the bytes it needs
// instead of failing half-way. Any thread; no state.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mitoseg {

/// Bytes this process may still allocate: the kernel's MemAvailable (/proc/meminfo; physical
/// RAM when that is unknown), bounded by the room left under the cgroup's memory.max and under
/// RLIMIT_AS (ulimit -v); or the limit in the environment variable MITOSEG_MEMORY_LIMIT (bytes,
/// or with a K, M, G or T suffix: powers of 1024) when one is set. 0 when unknown.
std::uint64_t availableMemoryBytes();

/// The limit set by MITOSEG_MEMORY_LIMIT in bytes; 0 when none is set.
std::uint64_t memoryLimit();

/// Parses a byte count for people: "1073741824", "512M", "1.5G", "2g", "64K", "1T" (suffixes are
/// powers of 1024; a trailing "B" or "iB" is allowed: "2GiB"). Nothing for anything else
/// (empty, negative, zero, trailing garbage, overflow).
std::optional<std::uint64_t> parseByteSize(std::string_view text);

/// The memory budget of the out-of-core paths: how many bytes their caches and slabs (decoded
/// label chunks, mesh slabs, prediction windows) may hold together. From setMemoryBudget (the
/// `--memory-budget` option, a studio preference), else MITOSEG_MEMORY_BUDGET, else
/// kDefaultMemoryBudget. Any thread.
std::uint64_t memoryBudget();
/// Sets the process's memory budget (0 restores the default).
void setMemoryBudget(std::uint64_t bytes);
constexpr std::uint64_t kDefaultMemoryBudget = 1024ull << 20;

/// `bytes` for people: "512 bytes", "5.9 KiB", "3.0 GiB" (one decimal from KiB on).
std::string formatBytes(std::uint64_t bytes);

/// `bytes` rounded up to whole MiB as a `--memory-budget` value: "204M" (for refusals that
/// tell the user what to give).
std::string budgetArgument(std::uint64_t bytes);

}  // namespace mitoseg
