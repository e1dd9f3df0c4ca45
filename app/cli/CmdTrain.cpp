#include "app/cli/Command.h"

#include <iostream>

namespace mitoseg::cli {

namespace {
int run(const std::vector<std::string>&)
{
    std::cerr << "mitoseg train: not available in this build yet\n";
    return 1;
}
}  // namespace

const Command kTrainCommand{"train", "train a U-Net on a stack and its mask", "usage: mitoseg train ...\n", &run};

}  // namespace mitoseg::cli
