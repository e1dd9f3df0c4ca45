#include "core/labels/EditHistory.h"

#include <algorithm>

namespace mitoseg::labels {

std::size_t EditStep::bytes() const
{
    std::size_t b = sizeof(EditStep) + name.size();
    for (const auto& d : deltas)
        b += d.bytes();
    return b;
}

std::vector<std::int64_t> EditStep::slices() const
{
    std::vector<std::int64_t> zs;
    for (const auto& d : deltas)
        for (std::int64_t z = d.box().z0; z < d.box().z1; ++z)
            zs.push_back(z);
    std::sort(zs.begin(), zs.end());
    zs.erase(std::unique(zs.begin(), zs.end()), zs.end());
    return zs;
}

std::uint64_t EditHistory::push(EditStep step)
{
    for (const auto& s : redo_)
        bytes_ -= s.bytes();
    redo_.clear();
    step.id = nextId_++;
    bytes_ += step.bytes();
    undo_.push_back(std::move(step));
    evict();
    return undo_.back().id;
}

void EditHistory::evict()
{
    while (bytes_ > maxBytes_ && undo_.size() > 1) {
        bytes_ -= undo_.front().bytes();
        undo_.pop_front();
        ++evicted_;
    }
}

const EditStep* EditHistory::takeUndo()
{
    if (undo_.empty())
        return nullptr;
    redo_.push_back(std::move(undo_.back()));
    undo_.pop_back();
    return &redo_.back();
}

const EditStep* EditHistory::takeRedo()
{
    if (redo_.empty())
        return nullptr;
    undo_.push_back(std::move(redo_.back()));
    redo_.pop_back();
    return &undo_.back();
}

void EditHistory::setMaxBytes(std::size_t maxBytes)
{
    maxBytes_ = maxBytes;
    evict();
}

void EditHistory::clear()
{
    undo_.clear();
    redo_.clear();
    bytes_ = 0;
}

}  // namespace mitoseg::labels
