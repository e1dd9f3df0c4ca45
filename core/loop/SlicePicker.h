#pragma once
// Which slice should the user correct next: per-slice uncertainty of a prediction (mean binary
// entropy of the probabilities) and picking the most uncertain (or random) slices that are not
// labelled yet. Pure functions, no torch, no Qt; any thread.
#include <cstdint>
#include <vector>

#include "core/base/Volume.h"

namespace mitoseg {

/// Mean binary entropy (bits, 0..1) of `n` probabilities; 0 when n is 0. For multiclass
/// predictions pass the probability of the chosen class: its entropy still measures doubt.
double meanBinaryEntropy(const float* probability, std::int64_t n);
/// The same for probabilities stored as 0..255 (the studio's overlay).
double meanBinaryEntropy(const std::uint8_t* probability, std::int64_t n);

/// How much IoU the model expects to miss on its own mask of a slice: 1 - E[I]/E[U] with the
/// probabilities taken as the truth's odds, for the mask p > threshold (E[I] = sum of p over the
/// mask, E[U] = mask area + sum of p - E[I]), both smoothed by 0.1% of the slice's pixels so that
/// an empty, confident slice scores 0. Unlike the mean entropy, which grows with the length of
/// object boundaries, it ranks slices by the errors the foreground IoU counts: on EPFL 133-164 at
/// half the pixel density its rank correlation with the slices' true 1 - IoU is +0.74, the mean
/// entropy's -0.01. As a pick rule it did not train better models than the entropy (README).
double expectedIoUShortfall(const float* probability, std::int64_t n, float threshold = 0.5f);
/// The same for probabilities stored as 0..255 (the studio's overlay).
double expectedIoUShortfall(const std::uint8_t* probability, std::int64_t n, float threshold = 0.5f);

/// What ranks the slices: the mean binary entropy ("Next slice to correct") or the expected IoU
/// shortfall (`mitoseg bench loop --pick shortfall`).
enum class Uncertainty { Entropy, IoUShortfall };

/// The uncertainty of every slice of `probability` (foreground probabilities).
std::vector<double> sliceUncertainty(const VolumeF32& probability, Uncertainty measure = Uncertainty::Entropy,
                                     float threshold = 0.5f);

/// Uncertain: the most uncertain first (kept minGap apart). Random: uniformly random, for
/// comparison. Spread: the most uncertain after discounting slices near labelled or already
/// picked ones (score x min(1, distance / R), R = the spacing the labelled and picked slices
/// would have if spread evenly over the pickable slices), so the picks cover the stack like
/// random ones while preferring the doubtful slices of each stretch.
enum class PickMode { Uncertain, Random, Spread };

/// Up to `count` slice indices in [0, uncertainty.size()) that are not in `exclude` (any order)
/// and have a score (>= 0; negative = not predicted): the most uncertain first, or uniformly
/// random ones (seeded, deterministic) for comparison.
/// With `minGap` > 1 the uncertain picks are spread out: each is at least `minGap` slices from
/// the others and from every excluded (already labelled) slice, so one round does not spend the
/// user's time on neighbours that show the model the same structures (a 2.5D model reads +-2
/// slices). When too few slices are that far apart, the rest are the most uncertain of the others.
std::vector<std::int64_t> pickSlices(const std::vector<double>& uncertainty, const std::vector<std::int64_t>& exclude, int count,
                                     PickMode mode = PickMode::Uncertain, std::uint64_t seed = 1, int minGap = 0);

/// The gap pickSlices keeps between uncertain picks for a model that reads `contextSlices`
/// slices on each side: its context plus one.
inline int pickGapFor(int contextSlices) { return contextSlices + 1; }

/// What the studio's "Next slice to correct" and `mitoseg bench loop` both pick: up to `count`
/// slices that are not labelled, not validation slices and not within `contextSlices` of one
/// (their 2.5D input would show the network a validation slice's image in training); uncertain
/// picks keep pickGapFor(contextSlices) from each other and from labelled slices.
std::vector<std::int64_t> pickSlicesToCorrect(std::vector<double> uncertainty, const std::vector<std::int64_t>& labelled,
                                              const std::vector<std::int64_t>& validation, int count, int contextSlices,
                                              PickMode mode = PickMode::Uncertain, std::uint64_t seed = 1);

/// Up to `count` slices of [0, depth) not in `exclude`, spread evenly over the candidates
/// (for pseudo-labelled replay). Sorted.
std::vector<std::int64_t> spreadSlices(std::int64_t depth, const std::vector<std::int64_t>& exclude, int count);

}  // namespace mitoseg
