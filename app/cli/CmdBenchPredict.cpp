#include "app/cli/Command.h"

#include <iostream>

namespace mitoseg::cli {

namespace {
int run(const std::vector<std::string>&)
{
    std::cerr << "mitoseg bench predict: not available in this build yet\n";
    return 1;
}
}  // namespace

const Command kBenchPredictCommand{"bench predict", "time inference vs PyTorch from Python", "usage: mitoseg bench predict ...\n", &run};

}  // namespace mitoseg::cli
