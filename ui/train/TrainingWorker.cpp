#include "ui/train/TrainingWorker.h"

#include <QElapsedTimer>

#include <filesystem>

#include "core/base/Error.h"
#include "core/engine/Trainer.h"
#include "core/engine/ModelFile.h"
#include "core/engine/ModelSpec.h"
#include "core/loop/RetrainRound.h"
#include "core/loop/SliceSubset.h"
#include "ui/ImageSource.h"

namespace mitoseg::ui {

namespace {

/// Slices on each side that the job's network reads: the model's own, or the preset's from scratch.
int contextOf(const TrainingJob& job)
{
    if (job.initModel.empty())
        return UNetConfig::fromPreset(job.preset).context();
    return ModelSpec::fromJson(readModelContainer(job.initModel).header, job.initModel).arch.context();
}

/// The job's slices in memory: the image's and the labels' needed slices, compacted.
struct JobData {
    SliceSubset subset;
    SubsetImage image;
    VolumeU8 labels;
};

JobData readJobData(const TrainingJob& job)
{
    if (!job.labels || job.labels->depth() != static_cast<std::int64_t>(job.labelSlices.size()))
        throw Error("training job: the label copies do not match their slice list");
    const Shape s = job.image->shape();
    std::vector<std::int64_t> needed = job.labelSlices;
    needed.insert(needed.end(), job.valSlices.begin(), job.valSlices.end());
    JobData d;
    d.subset = SliceSubset::around(needed, contextOf(job), s.depth);
    d.image = readSubsetImage(d.subset, s.height, s.width, [&](std::int64_t z, float* dst) { job.image->readSliceF32(z, dst); },
                              *job.cancel);
    d.labels = VolumeU8(Shape{d.subset.size(), s.height, s.width}, 0);
    for (std::size_t i = 0; i < job.labelSlices.size(); ++i)
        std::copy(job.labels->slice(static_cast<std::int64_t>(i)), job.labels->slice(static_cast<std::int64_t>(i)) + s.sliceVoxels(),
                  d.labels.slice(d.subset.local(job.labelSlices[i])));
    return d;
}

TrainingPoint pointFrom(const TrainProgress& p)
{
    TrainingPoint t;
    t.step = p.step;
    t.totalSteps = p.totalSteps;
    t.loss = p.loss;
    t.averageLoss = p.averageLoss;
    t.valIoU = p.valIoU;
    t.validated = p.validated;
    t.etaSeconds = p.etaSeconds;
    t.phase = QStringLiteral("training");
    return t;
}

}  // namespace

void TrainingWorker::run(const TrainingJob& job)
{
    TrainingOutcome out;
    out.model = job.outModel;
    QElapsedTimer clock;
    clock.start();
    try {
        const JobData stack = readJobData(job);
        const SliceSubset& subset = stack.subset;
        if (job.kind == TrainingJob::Kind::Train) {
            TrainConfig c;
            c.arch = UNetConfig::fromPreset(job.preset);
            c.arch.classes = static_cast<int>(std::max<std::size_t>(2, job.classNames.size()));
            c.classNames = job.classNames;
            c.initFrom = job.initModel;
            if (!c.initFrom.empty())
                c.arch.inChannels = 0;   // the model's own input slices
            c.steps = 1000000000;
            c.maxSeconds = job.seconds;
            c.patch = job.patch;
            c.batch = job.batch;
            c.bf16 = c.channelsLast = job.bf16;
            c.threads = job.threads;
            c.validateEvery = job.validateEvery;
            c.warmupSteps = job.initModel.empty() ? 50 : 10;
            c.learningRate = job.initModel.empty() ? 1e-3 : 1e-4;
            c.outModel = job.outModel;
            c.dataDescription = job.description;
            c.pause = job.pause.get();
            TrainData d;
            d.image = stack.image.isU8() ? &stack.image.u8 : nullptr;
            d.imageF32 = stack.image.isU8() ? nullptr : &stack.image.f32;
            d.labels = &stack.labels;
            d.labelledSlices = subset.local(job.labelled);
            d.valSlices = subset.local(job.valSlices);
            const int gen = job.generation;
            TrainResult r = train(c, d, [&](const TrainProgress& p) { Q_EMIT progress(gen, pointFrom(p)); }, *job.cancel);
            out.cancelled = r.cancelled;
            out.steps = r.steps;
            out.iouAfter = r.bestValIoU;
            out.trainedOn = job.labelled;
            out.ok = r.steps > 0 && std::filesystem::exists(job.outModel);
        } else {
            RoundData data;
            data.image = stack.image.isU8() ? &stack.image.u8 : nullptr;
            data.imageF32 = stack.image.isU8() ? nullptr : &stack.image.f32;
            data.labels = &stack.labels;
            data.corrected = subset.local(job.labelled);
            data.replay = subset.local(job.replay);
            data.scoreSlices = subset.local(job.valSlices);
            RoundSettings s;
            s.model = job.initModel;
            s.outModel = job.outModel;
            s.seconds = job.seconds;
            s.threads = job.threads;
            s.patch = job.patch;
            s.batch = job.batch;
            s.bf16 = s.channelsLast = job.bf16;
            // int8: the ranges of the whole image, as the studio's segmentation takes them
            // (this job holds only the slices it needs).
            Int8Calibration calibration;
            if (job.int8 && !job.bf16) {
                try {
                    calibration = int8CalibrationOf(job.image->shape(), contextOf(job),
                                                    [&](std::int64_t z, float* dst) { job.image->readSliceF32(z, dst); });
                    s.int8 = true;
                    data.int8Calibration = &calibration;
                } catch (const IoError&) {
                    // unreadable calibration slice: float32, as PredictionProvider::prepareFor does
                }
            }
            s.description = job.description;
            s.pause = job.pause.get();
            const int gen = job.generation;
            RoundReport r = RetrainRound(s, data).run(
                [&](const RoundProgress& p) {
                    TrainingPoint t = pointFrom(p.train);
                    if (p.phase != RoundProgress::Phase::Training) {
                        t = TrainingPoint{};
                        t.phase = QStringLiteral("scoring");
                    }
                    Q_EMIT progress(gen, t);
                },
                *job.cancel);
            out.cancelled = r.cancelled;
            out.steps = r.steps;
            out.iouBefore = r.iouBefore;
            out.iouAfter = r.iouAfter;
            out.trainedOn = subset.original(r.trainedOn);
            out.ok = r.steps > 0;
        }
    } catch (const Cancelled&) {
        out.cancelled = true;
        out.ok = false;
    } catch (const std::exception& e) {
        out.error = QString::fromStdString(e.what());
        out.ok = false;
    }
    out.seconds = static_cast<double>(clock.elapsed()) / 1000.0;
    Q_EMIT finished(job.generation, out);
}

}  // namespace mitoseg::ui
