#include "app/cli/Command.h"
#include "core/base/AtomicFile.h"

int main(int argc, char** argv)
{
    // Ctrl-C or a kill removes half-written outputs (temporary files) before the process ends.
    mitoseg::installTempFileCleanup();
    return mitoseg::cli::runCli(argc, argv);
}
