#pragma once
// Writes a file through a temporary sibling and renames it into place, so readers never see a
// half-written file and a failure leaves any existing file untouched. Any thread; one writer
// per target path at a time.
#include <filesystem>
#include <functional>
#include <ostream>

namespace mitoseg {

/// Calls `write` with a binary stream on `path`.tmp-*, flushes, checks, renames onto `path`.
/// Throws IoError(WriteFailed) naming `path` when anything fails (the temp file is removed);
/// exceptions thrown by `write` (e.g. Cancelled) propagate after the cleanup.
void writeFileAtomically(const std::filesystem::path& path, const std::function<void(std::ostream&)>& write);

}  // namespace mitoseg
