#include "app/cli/Command.h"

int main(int argc, char** argv) { return mitoseg::cli::runCli(argc, argv); }
