#include "app/cli/Command.h"

#include <iostream>

namespace mitoseg::cli {

namespace {
int run(const std::vector<std::string>&)
{
    std::cerr << "mitoseg evaluate: not available in this build yet\n";
    return 1;
}
}  // namespace

const Command kEvaluateCommand{"evaluate", "compare a mask with a reference mask (IoU, Dice, objects)", "usage: mitoseg evaluate ...\n", &run};

}  // namespace mitoseg::cli
