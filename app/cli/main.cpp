#include "app/cli/Command.h"
#include "core/base/MemoryReuse.h"

int main(int argc, char** argv)
{
    mitoseg::keepFreedMemoryForReuse();  // before any thread starts: see MemoryReuse.h
    return mitoseg::cli::runCli(argc, argv);
}
