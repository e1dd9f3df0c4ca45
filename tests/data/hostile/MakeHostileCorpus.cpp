// make_hostile_corpus DIR MODEL: writes the hostile input corpus (tests/data/hostile) into DIR,
// deriving the hostile models from MODEL, and lists what each file is.
#include <cstdio>
#include <exception>

#include "HostileCorpus.h"

int main(int argc, char** argv)
{
    if (argc != 3) {
        std::fprintf(stderr, "usage: make_hostile_corpus DIR MODEL.msm\n");
        return 2;
    }
    try {
        for (const auto& f : mitoseg::hostile::buildHostileCorpus(argv[1], argv[2]))
            std::printf("%-40s %-6s %s\n", f.path.filename().c_str(), f.kind.c_str(), f.why.c_str());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "make_hostile_corpus: %s\n", e.what());
        return 1;
    }
    return 0;
}
