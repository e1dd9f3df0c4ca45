#include "ui/train/TrainingWorker.h"

#include <QElapsedTimer>

#include <cmath>
#include <filesystem>

#include "core/base/Error.h"
#include "core/engine/Trainer.h"
#include "core/loop/RetrainRound.h"
#include "ui/ImageSource.h"

namespace mitoseg::ui {

namespace {

/// The stack in memory for training: uint8 when every value is a byte (EM stacks usually are),
/// else float.
struct StackCopy {
    VolumeU8 u8;
    VolumeF32 f32;
    bool isU8 = true;
};

StackCopy readStack(const ImageSource& image, const CancelToken& cancel)
{
    const Shape s = image.shape();
    StackCopy copy;
    copy.u8 = VolumeU8(s);
    std::vector<float> slice(static_cast<std::size_t>(s.sliceVoxels()));
    for (std::int64_t z = 0; z < s.depth; ++z) {
        cancel.check();
        image.readSliceF32(z, slice.data());
        if (copy.isU8) {
            std::uint8_t* dst = copy.u8.slice(z);
            for (std::size_t i = 0; i < slice.size() && copy.isU8; ++i) {
                const float v = slice[i];
                copy.isU8 = v >= 0.0f && v <= 255.0f && v == std::floor(v);
                dst[i] = static_cast<std::uint8_t>(v);
            }
            if (!copy.isU8) {   // switch to float: convert the slices read so far
                copy.f32 = VolumeF32(s);
                for (std::int64_t k = 0; k < z; ++k)
                    for (std::int64_t i = 0; i < s.sliceVoxels(); ++i)
                        copy.f32.slice(k)[i] = copy.u8.slice(k)[i];
                copy.u8 = VolumeU8();
            }
        }
        if (!copy.isU8)
            std::copy(slice.begin(), slice.end(), copy.f32.slice(z));
    }
    return copy;
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
        const StackCopy stack = readStack(*job.image, *job.cancel);
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
            d.image = stack.isU8 ? &stack.u8 : nullptr;
            d.imageF32 = stack.isU8 ? nullptr : &stack.f32;
            d.labels = job.labels.get();
            d.labelledSlices = job.labelled;
            d.valSlices = job.valSlices;
            const int gen = job.generation;
            TrainResult r = train(c, d, [&](const TrainProgress& p) { Q_EMIT progress(gen, pointFrom(p)); }, *job.cancel);
            out.cancelled = r.cancelled;
            out.steps = r.steps;
            out.iouAfter = r.bestValIoU;
            out.trainedOn = job.labelled;
            out.ok = r.steps > 0 && std::filesystem::exists(job.outModel);
        } else {
            RoundData data;
            data.image = stack.isU8 ? &stack.u8 : nullptr;
            data.imageF32 = stack.isU8 ? nullptr : &stack.f32;
            data.labels = job.labels.get();
            data.corrected = job.labelled;
            data.replay = job.replay;
            data.scoreSlices = job.valSlices;
            RoundSettings s;
            s.model = job.initModel;
            s.outModel = job.outModel;
            s.seconds = job.seconds;
            s.threads = job.threads;
            s.patch = job.patch;
            s.batch = job.batch;
            s.bf16 = s.channelsLast = job.bf16;
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
            out.trainedOn = r.trainedOn;
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
