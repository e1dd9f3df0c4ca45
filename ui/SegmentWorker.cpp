#include "ui/SegmentWorker.h"

#include <algorithm>
#include <cstdlib>
#include <map>

#include "core/base/Error.h"
#include "ui/ImageSource.h"
#include "ui/PredictionProvider.h"

namespace mitoseg::ui {

void SegmentWorker::run(const SegmentJob& job)
{
    const int total = static_cast<int>(job.slices.size());
    const Shape s = job.image->shape();
    const int context = job.provider->contextSlices();
    std::vector<float> raw(static_cast<std::size_t>(s.sliceVoxels()));
    // 2.5D models: raw slices by z, kept while a neighbour may still need them.
    std::map<std::int64_t, std::vector<float>> neighbours;
    auto neighbour = [&](std::int64_t z) -> const float* {
        z = std::clamp<std::int64_t>(z, 0, s.depth - 1);
        auto it = neighbours.find(z);
        if (it == neighbours.end()) {
            it = neighbours.emplace(z, std::vector<float>(static_cast<std::size_t>(s.sliceVoxels()))).first;
            job.image->readSliceF32(z, it->second.data());
        }
        return it->second.data();
    };
    try {
        for (int i = 0; i < total; ++i) {
            job.cancel->check();
            const std::int64_t z = job.slices[static_cast<std::size_t>(i)];
            SlicePrediction p;
            if (context > 0) {
                for (auto it = neighbours.begin(); it != neighbours.end();)
                    it = std::abs(it->first - z) > context ? neighbours.erase(it) : std::next(it);
                std::vector<const float*> slices;
                for (int k = -context; k <= context; ++k)
                    slices.push_back(neighbour(z + k));
                p = job.provider->predictWithContext(slices, s.height, s.width, *job.cancel);
            } else {
                if (i == 0 && job.firstSlice.size() == raw.size())
                    raw = job.firstSlice;
                else
                    job.image->readSliceF32(z, raw.data());
                p = job.provider->predict(raw.data(), s.height, s.width, *job.cancel);
            }
            auto pred = std::make_shared<const SlicePrediction>(std::move(p));
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
