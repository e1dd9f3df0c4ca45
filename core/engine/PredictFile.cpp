#include "core/engine/PredictFile.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <optional>
#include <vector>

#include "core/dist/ProcessGroup.h"
#include "core/io/TiffSliceWriter.h"
#include "core/io/TiffStack.h"

namespace mitoseg {

namespace {

/// Writes the streamed prediction straight into the output files.
class FileSink final : public PredictionSink {
public:
    FileSink(const PredictFileRequest& r, const StackInfo& info, bool binary) : binary_(binary), type_(r.probabilityType)
    {
        const Shape s = info.shape;
        n_ = static_cast<std::size_t>(s.sliceVoxels());
        mask_ = std::make_unique<TiffSliceWriter>(r.mask, SampleType::U8, s, info.spacing);
        if (!r.probability.empty()) {
            const bool f32 = type_ == ProbabilityType::Float32;
            prob_ = std::make_unique<TiffSliceWriter>(r.probability, f32 ? SampleType::F32 : SampleType::U8, s, info.spacing,
                                                      TiffWriteOptions{}, std::make_pair(0.0, 1.0));
        }
        buffer_.resize(n_);
    }
    void probability(std::int64_t, const float* v) override
    {
        if (!prob_)
            return;
        if (type_ == ProbabilityType::Float32) {
            prob_->write(v);
            return;
        }
        for (std::size_t i = 0; i < n_; ++i)
            buffer_[i] = static_cast<std::uint8_t>(std::lround(255.0f * std::clamp(v[i], 0.0f, 1.0f)));
        prob_->write(buffer_.data());
    }
    bool wantsProbability() const override { return prob_ != nullptr; }
    void labels(std::int64_t, const std::uint8_t* v) override
    {
        const std::uint8_t scale = binary_ ? 255 : 1;
        for (std::size_t i = 0; i < n_; ++i) {
            buffer_[i] = static_cast<std::uint8_t>(v[i] * scale);
            foreground_ += v[i] != 0;
        }
        mask_->write(buffer_.data());
    }
    /// Replaces the mask and the probability file together: both or neither.
    void commit()
    {
        if (prob_)
            TiffSliceWriter::commitTogether({mask_.get(), prob_.get()});
        else
            mask_->commit();
    }
    std::int64_t foreground() const { return foreground_; }

private:
    bool binary_;
    ProbabilityType type_;
    std::size_t n_ = 0;
    std::unique_ptr<TiffSliceWriter> mask_, prob_;
    std::vector<std::uint8_t> buffer_;
    std::int64_t foreground_ = 0;
};

/// The other ranks' sink: rank 0 writes.
class NoSink final : public PredictionSink {
public:
    void labels(std::int64_t, const std::uint8_t*) override {}
};

}  // namespace

PredictFileReport predictFile(Segmenter& segmenter, const PredictFileRequest& request, ProgressSink* progress,
                              const CancelToken* cancel, ProcessGroup* group)
{
    const auto start = std::chrono::steady_clock::now();
    auto stack = TiffStack::open(request.stack);
    const StackInfo& info = stack->info();
    auto read = [&](std::int64_t z, float* dst) { stack->readSliceF32(z, dst); };
    PredictFileReport report;
    report.shape = info.shape;
    if (group && group->rank() != 0) {
        NoSink none;
        segmenter.predictStackDistributed(info.shape, read, request.options, none, *group, progress, cancel);
        group->barrier();   // rank 0 has written the outputs
    } else {
        FileSink sink(request, info, segmenter.info().classes == 2);
        if (group)
            segmenter.predictStackDistributed(info.shape, read, request.options, sink, *group, progress, cancel);
        else
            segmenter.predictStack(info.shape, read, request.options, sink, progress, cancel);
        sink.commit();
        if (group)
            group->barrier();
        report.foregroundVoxels = sink.foreground();
    }
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return report;
}

}  // namespace mitoseg
