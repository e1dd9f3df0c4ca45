#pragma once
// Matching a model's class names to a mask's class names, so a prediction lands on the class
// it means (a binary "mitochondria" model on a background/membrane/mitochondrion mask writes
// label 2, not 1). Plain functions; any thread.
#include <string>
#include <vector>

namespace mitoseg::labels {

/// True when two class names mean the same class: equal ignoring case, spaces and punctuation,
/// or differing only in a short ending of letters ("mitochondria" / "mitochondrion", "membrane(s)").
bool sameClassName(const std::string& a, const std::string& b);

/// For each model class i (modelNames[0] is background), the index of the matching entry of
/// `maskNames` (background always maps to 0), or -1 when none matches.
std::vector<int> matchClasses(const std::vector<std::string>& modelNames, const std::vector<std::string>& maskNames);

}  // namespace mitoseg::labels
