#include "app/cli/Command.h"

#include <iostream>

namespace mitoseg::cli {

namespace {
int run(const std::vector<std::string>&)
{
    std::cerr << "mitoseg mesh: not available in this build yet\n";
    return 1;
}
}  // namespace

const Command kMeshCommand{"mesh", "3D surfaces and per-object measurements of a mask", "usage: mitoseg mesh ...\n", &run};

}  // namespace mitoseg::cli
