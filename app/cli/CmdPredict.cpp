#include "app/cli/Command.h"

#include <iostream>

namespace mitoseg::cli {

namespace {
int run(const std::vector<std::string>&)
{
    std::cerr << "mitoseg predict: not available in this build yet\n";
    return 1;
}
}  // namespace

const Command kPredictCommand{"predict", "segment a stack with a model", "usage: mitoseg predict ...\n", &run};

}  // namespace mitoseg::cli
