#include "app/cli/Command.h"

#include <iostream>

namespace mitoseg::cli {

namespace {
int run(const std::vector<std::string>&)
{
    std::cerr << "mitoseg bench load: not available in this build yet\n";
    return 1;
}
}  // namespace

const Command kBenchLoadCommand{"bench load", "time opening and reading a stack vs tifffile", "usage: mitoseg bench load ...\n", &run};

}  // namespace mitoseg::cli
