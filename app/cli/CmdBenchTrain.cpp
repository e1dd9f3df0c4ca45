#include "app/cli/Command.h"

#include <iostream>

namespace mitoseg::cli {

namespace {
int run(const std::vector<std::string>&)
{
    std::cerr << "mitoseg bench train: not available in this build yet\n";
    return 1;
}
}  // namespace

const Command kBenchTrainCommand{"bench train", "time a training step vs PyTorch from Python", "usage: mitoseg bench train ...\n", &run};

}  // namespace mitoseg::cli
