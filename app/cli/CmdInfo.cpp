#include "app/cli/Command.h"

#include <iostream>

namespace mitoseg::cli {

namespace {
int run(const std::vector<std::string>&)
{
    std::cerr << "mitoseg info: not available in this build yet\n";
    return 1;
}
}  // namespace

const Command kInfoCommand{"info", "print shape, type, spacing and layout of a TIFF stack", "usage: mitoseg info ...\n", &run};

}  // namespace mitoseg::cli
