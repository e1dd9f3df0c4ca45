#include "app/cli/Command.h"

#include <iostream>

namespace mitoseg::cli {

namespace {
int run(const std::vector<std::string>&)
{
    std::cerr << "mitoseg demo: not available in this build yet\n";
    return 1;
}
}  // namespace

const Command kDemoCommand{"demo", "generate the EM-like demo stack and run the headless pipeline", "usage: mitoseg demo ...\n", &run};

}  // namespace mitoseg::cli
