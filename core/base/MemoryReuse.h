#pragma once

namespace mitoseg {

// Whole-slice inference allocates and frees tens of MB of activations per forward pass, from
// several worker threads. With glibc's defaults those blocks go back to the kernel on free
// (per-thread arenas are unmapped when empty; blocks above the dynamic mmap threshold are
// unmapped at once), so every pass page-faults its whole working set in again: 6.2 million
// minor faults and about a third of the wall time for one 165 x 768 x 1024 stack.
// keepFreedMemoryForReuse() keeps freed memory in the process for the next pass instead:
// one arena, a fixed 32 MB mmap threshold (glibc's maximum), and the heap trimmed only when
// more than 1 GB at its top is free. Call it first thing in main(), before any thread starts.
// Returns false when the C library refused a setting (then nothing is worse than before).
bool keepFreedMemoryForReuse();

}  // namespace mitoseg
