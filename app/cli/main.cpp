#include "app/cli/Command.h"
#include "core/base/AtomicFile.h"
#include "core/base/MemoryReuse.h"

int main(int argc, char** argv)
{
    mitoseg::keepFreedMemoryForReuse();  // before any thread starts: see MemoryReuse.h
    // Ctrl-C or a kill removes half-written outputs (temporary files) before the process ends.
    mitoseg::installTempFileCleanup();
    return mitoseg::cli::runCli(argc, argv);
}
