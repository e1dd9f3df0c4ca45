#include "app/cli/Command.h"

#include <iostream>

namespace mitoseg::cli {

namespace {
int run(const std::vector<std::string>&)
{
    std::cerr << "mitoseg bench mesh: not available in this build yet\n";
    return 1;
}
}  // namespace

const Command kBenchMeshCommand{"bench mesh", "time surface extraction vs scikit-image", "usage: mitoseg bench mesh ...\n", &run};

}  // namespace mitoseg::cli
