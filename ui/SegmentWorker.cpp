#include "ui/SegmentWorker.h"

#include "core/base/Error.h"
#include "ui/ImageSource.h"
#include "ui/PredictionProvider.h"

namespace mitoseg::ui {

void SegmentWorker::run(const SegmentJob& job)
{
    const int total = static_cast<int>(job.slices.size());
    const Shape s = job.image->shape();
    std::vector<float> raw(static_cast<std::size_t>(s.sliceVoxels()));
    try {
        for (int i = 0; i < total; ++i) {
            job.cancel->check();
            const std::int64_t z = job.slices[static_cast<std::size_t>(i)];
            if (i == 0 && job.firstSlice.size() == raw.size())
                raw = job.firstSlice;
            else
                job.image->readSliceF32(z, raw.data());
            auto pred = std::make_shared<const SlicePrediction>(job.provider->predict(raw.data(), s.height, s.width, *job.cancel));
            Q_EMIT sliceReady(job.generation, z, pred);
            Q_EMIT progress(job.generation, i + 1, total);
        }
        Q_EMIT finished(job.generation, false, QString());
    } catch (const Cancelled&) {
        Q_EMIT finished(job.generation, true, QString());
    } catch (const std::exception& e) {
        Q_EMIT finished(job.generation, false, QString::fromStdString(e.what()));
    }
}

}  // namespace mitoseg::ui
