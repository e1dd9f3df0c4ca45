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
    const auto sliceVoxels = static_cast<std::size_t>(s.sliceVoxels());
    // Raw slices by z (2.5D models keep them while a neighbour may still need them); an empty
    // vector marks a slice that cannot be read, `unreadable` says why.
    std::map<std::int64_t, std::vector<float>> slices;
    std::map<std::int64_t, QString> unreadable;
    auto slice = [&](std::int64_t z) -> const float* {
        z = std::clamp<std::int64_t>(z, 0, s.depth - 1);
        auto it = slices.find(z);
        if (it == slices.end()) {
            it = slices.emplace(z, std::vector<float>(sliceVoxels)).first;
            try {
                job.image->readSliceF32(z, it->second.data());
            } catch (const IoError& e) {
                it->second.clear();
                unreadable[z] = QString::fromStdString(e.what());
            }
        }
        return it->second.empty() ? nullptr : it->second.data();
    };
    // One slice on its own (single-slice jobs, and after a slice that cannot be read): an
    // unreadable neighbour is replaced by the slice itself.
    auto one = [&](int i) {
        job.cancel->check();
        const std::int64_t z = job.slices[static_cast<std::size_t>(i)];
        for (auto it = slices.begin(); it != slices.end();)
            it = std::abs(it->first - z) > context ? slices.erase(it) : std::next(it);
        const float* centre = i == 0 && job.firstSlice.size() == sliceVoxels ? job.firstSlice.data() : slice(z);
        if (!centre) {
            Q_EMIT sliceUnreadable(job.generation, z, unreadable[z]);
            Q_EMIT progress(job.generation, i + 1, total);
            return;
        }
        SlicePrediction p;
        if (context > 0) {
            std::vector<const float*> stack;
            for (int k = -context; k <= context; ++k) {
                const float* n = k == 0 ? centre : slice(z + k);
                stack.push_back(n ? n : centre);
            }
            p = job.provider->predictWithContext(stack, s.height, s.width, *job.cancel);
        } else {
            p = job.provider->predict(centre, s.height, s.width, *job.cancel);
        }
        Q_EMIT sliceReady(job.generation, z, std::make_shared<const SlicePrediction>(std::move(p)));
        Q_EMIT progress(job.generation, i + 1, total);
    };
    auto clearOfUnreadable = [&](std::int64_t z) {
        return std::none_of(unreadable.begin(), unreadable.end(), [&](const auto& bad) { return std::abs(bad.first - z) <= context; });
    };
    try {
        job.provider->prepareFor(job.image, *job.cancel);
        int i = 0;
        while (i < total) {
            // A run of consecutive slices goes to the engine at once (several slices in flight,
            // as `mitoseg predict`); around a slice that cannot be read, slice by slice.
            int end = i + 1;
            while (end < total && job.slices[static_cast<std::size_t>(end)] == job.slices[static_cast<std::size_t>(end - 1)] + 1)
                ++end;
            if (end - i > 1) {
                int next = i;
                try {
                    const bool ran = job.provider->predictSlices(
                        job.image, job.slices[static_cast<std::size_t>(i)], job.slices[static_cast<std::size_t>(end - 1)] + 1, *job.cancel,
                        [&](std::int64_t z, const SlicePrediction& p) {
                            Q_EMIT sliceReady(job.generation, z, std::make_shared<const SlicePrediction>(p));
                            Q_EMIT progress(job.generation, ++next, total);
                        });
                    if (ran) {
                        i = end;
                        continue;
                    }
                } catch (const IoError&) {
                    // Slice by slice from the first one not delivered until past the unreadable
                    // slice and the neighbours that read it, then runs again.
                    i = next;
                    const std::size_t knownBad = unreadable.size();
                    for (int alone = 1; i < end; ++alone) {
                        one(i++);
                        const bool passed = unreadable.size() > knownBad || alone > 2 * context + 1;
                        if (passed && i < end && clearOfUnreadable(job.slices[static_cast<std::size_t>(i)]))
                            break;
                    }
                    continue;
                }
            }
            for (; i < end; ++i)
                one(i);
        }
        Q_EMIT finished(job.generation, false, QString());
    } catch (const Cancelled&) {
        Q_EMIT finished(job.generation, true, QString());
    } catch (const std::exception& e) {
        Q_EMIT finished(job.generation, false, QString::fromStdString(e.what()));
    }
}

}  // namespace mitoseg::ui
