#pragma once
// Draws augmented training patches from the labelled slices of a stack: foreground-aware
// placement, the 8 flips/rotations, brightness/contrast/gamma and Gaussian noise.
// Torch-free; deterministic given its RNG (whose state the checkpoint stores). One thread.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/base/Volume.h"
#include "core/engine/ModelSpec.h"

namespace mitoseg {

struct TrainConfig;
struct TrainData;

class PatchSampler {
public:
    /// `slices` are the z indices patches may be centred on (labelled, outside validation).
    PatchSampler(const TrainConfig& config, const TrainData& data, std::vector<std::int64_t> slices,
                 Normalisation norm, int patch);

    /// Fills `input` (batch x channels x patch x patch, normalised) and `target`
    /// (batch x patch x patch class indices; binary: 0/1).
    void sample(int batch, std::vector<float>& input, std::vector<std::uint8_t>& target);

    /// The same for patches firstIndex .. firstIndex + count - 1 of the global batch of `step`,
    /// each drawn from its own RNG seeded by (config seed, step, index): independent of the
    /// sampler's stream, so ranks of a data-parallel run that draw disjoint index ranges see
    /// together exactly the patches one process drawing the whole range sees.
    void sampleIndexed(std::int64_t step, std::int64_t firstIndex, int count, std::vector<float>& input,
                       std::vector<std::uint8_t>& target);

    /// The seed of patch `index` of step `step` under sampleIndexed (splitmix64 of the three).
    static std::uint64_t patchSeed(std::uint64_t seed, std::int64_t step, std::int64_t index);

    /// Replaces the input normalisation (after resuming from a checkpoint).
    void setNormalisation(Normalisation norm) { norm_ = norm; }
    /// RNG state as text (for checkpoints) and back.
    std::string rngState() const;
    void setRngState(const std::string& state);

private:
    float raw(std::int64_t z, std::int64_t y, std::int64_t x) const;
    /// Draws one patch into `in` (channels x patch x patch) and `tg` with `rng`.
    void drawOne(std::mt19937_64& rng, std::normal_distribution<float>& gauss, float* in, std::uint8_t* tg);
    const TrainConfig& config_;
    const TrainData& data_;
    std::vector<std::int64_t> slices_;
    std::vector<std::vector<std::int32_t>> foreground_;   ///< per slice in slices_: y*W+x on a stride-4 grid
    std::vector<std::size_t> slicesWithForeground_;
    std::vector<std::size_t> focus_, focusWithForeground_;   ///< TrainData::focusSlices, as indices into slices_
    Normalisation norm_;
    int patch_;
    float rawMax_ = 255.0f;
    std::mt19937_64 rng_;
};

}  // namespace mitoseg
