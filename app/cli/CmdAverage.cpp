#include <iostream>

#include "app/cli/Args.h"
#include "app/cli/Command.h"
#include "core/base/AtomicFile.h"
#include "core/engine/ModelAverage.h"
#include "core/engine/Segmenter.h"

namespace mitoseg::cli {

namespace {

int run(const std::vector<std::string>& argv)
{
    Args args(argv, {"out"}, {});
    args.expectPositionals(2, 1000);
    auto out = args.value("out");
    if (!out)
        throw UsageError("--out MODEL is required");
    checkWritableOutput(*out);
    std::vector<std::filesystem::path> models(args.positionals().begin(), args.positionals().end());
    averageModels(models, *out);
    auto seg = Segmenter::load(*out);   // read back: the written file is a valid model
    std::cout << "averaged " << models.size() << " models into " << *out << " (" << seg->info().parameters
              << " parameters, " << seg->info().steps << " steps); measure it again with "
              << "`mitoseg predict` + `evaluate`, or choose its post-processing with `mitoseg calibrate`\n";
    return 0;
}

}  // namespace

const Command kAverageCommand{
    "average", "average the weights of models from one training run (snapshot averaging)",
    "usage: mitoseg average MODEL MODEL [MODEL...] --out MODEL\n"
    "\n"
    "Writes a model whose weights and batch-norm statistics are the mean of the given models'\n"
    "(stochastic weight averaging over the snapshots that `mitoseg train --keep-snapshots`\n"
    "keeps). The models must share architecture, input slices and normalisation; threshold and\n"
    "post-processing are the last model's. The output is written atomically.\n"
    "\n"
    "  --out MODEL    the averaged model\n"
    "\n"
    "Exit status 1 with a message naming the file that cannot be read or does not match.\n",
    &run};

}  // namespace mitoseg::cli
