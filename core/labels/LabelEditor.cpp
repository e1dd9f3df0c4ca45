#include "core/labels/LabelEditor.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

namespace mitoseg::labels {

LabelEditor::LabelEditor(Shape shape, std::vector<LabelClass> classes)
    : labels_(shape), classes_(std::move(classes)), editCount_(static_cast<std::size_t>(shape.depth), 0),
      acceptCount_(static_cast<std::size_t>(shape.depth), 0)
{
    if (classes_.size() < 2 || classes_.size() > 256)
        throw std::invalid_argument("LabelEditor: needs background plus 1..255 classes");
    confusion_.reset(shape.depth, static_cast<int>(classes_.size()));
}

void LabelEditor::setLabels(VolumeU8 labels)
{
    if (!(labels.shape() == shape()))
        throw std::invalid_argument("LabelEditor::setLabels: shape differs from the editor's");
    setLabels(SliceStore::fromVolume(labels));
}

void LabelEditor::setLabels(SliceStore labels)
{
    if (!(labels.shape() == shape()))
        throw std::invalid_argument("LabelEditor::setLabels: shape differs from the editor's");
    labels_ = std::move(labels);
    strokeOpen_ = false;
    stroke_.clear();
    history_.clear();
    std::fill(editCount_.begin(), editCount_.end(), 0);
    std::fill(acceptCount_.begin(), acceptCount_.end(), 0);
    restoredEdited_.clear();
    restoredAccepted_.clear();
    if (reference_)
        confusion_.recountAll(labels_, *reference_);
    labelsChanged.emit(Box{0, 0, 0, shape().depth, shape().height, shape().width});
    historyChanged.emit();
}

void LabelEditor::setClasses(std::vector<LabelClass> classes)
{
    if (classes.size() < 2 || classes.size() > 256)
        throw std::invalid_argument("LabelEditor: needs background plus 1..255 classes");
    classes_ = std::move(classes);
    confusion_.reset(shape().depth, static_cast<int>(classes_.size()));
    if (reference_)
        confusion_.recountAll(labels_, *reference_);
}

void LabelEditor::setReference(std::shared_ptr<const VolumeU8> reference)
{
    if (reference && !(reference->shape() == shape()))
        throw std::invalid_argument("LabelEditor::setReference: shape differs from the editor's");
    setReference(reference ? std::make_shared<const SliceStore>(SliceStore::fromVolume(*reference))
                           : std::shared_ptr<const SliceStore>());
}

void LabelEditor::setReference(std::shared_ptr<const SliceStore> reference)
{
    if (reference && !(reference->shape() == shape()))
        throw std::invalid_argument("LabelEditor::setReference: shape differs from the editor's");
    reference_ = std::move(reference);
    confusion_.reset(shape().depth, static_cast<int>(classes_.size()));
    if (reference_)
        confusion_.recountAll(labels_, *reference_);
}

std::vector<std::uint8_t> LabelEditor::readBox(const Box& box) const { return labels_.readBox(box); }

void LabelEditor::applyDelta(const UndoDelta& delta, bool forward)
{
    if (reference_) {
        const std::int64_t w = shape().width;
        std::int64_t refZ = -1;
        SliceData ref;
        delta.forEachChange(forward, [&](std::int64_t z, std::int64_t y, std::int64_t x, std::uint8_t from,
                                         std::uint8_t to) {
            if (z != refZ) {
                ref = reference_->slice(z);
                refZ = z;
            }
            confusion_.update(z, from, to, (*ref)[static_cast<std::size_t>(y * w + x)]);
        });
    }
    labels_.writeBox(delta.box(), delta.decode(!forward).data());
    labelsChanged.emit(delta.box());
}

UndoDelta LabelEditor::record(const Box& box, const std::vector<std::uint8_t>& newValues)
{
    UndoDelta d = UndoDelta::fromValues(box, readBox(box), newValues);
    if (d.changedVoxels() > 0)
        applyDelta(d, true);
    return d;
}

void LabelEditor::addDelta(UndoDelta delta, const std::string& name)
{
    if (delta.changedVoxels() == 0)
        return;
    if (strokeOpen_) {
        stroke_.push_back(std::move(delta));
        return;
    }
    EditStep step;
    step.name = name;
    step.deltas.push_back(std::move(delta));
    countEdits(step, +1);
    history_.push(std::move(step));
    historyChanged.emit();
}

void LabelEditor::beginStroke(const std::string& name)
{
    if (strokeOpen_)
        commitStroke();
    strokeOpen_ = true;
    strokeName_ = name;
    stroke_.clear();
}

bool LabelEditor::commitStroke()
{
    if (!strokeOpen_)
        return false;
    strokeOpen_ = false;
    if (stroke_.empty())
        return false;
    // Merge the deltas of each slice into one: old values from before the first stamp,
    // new values as they are now. Multi-slice deltas are kept as they are.
    std::map<std::int64_t, Box> unionBox;
    std::vector<UndoDelta> multi;
    for (const auto& d : stroke_) {
        if (d.box().depth() == 1)
            unionBox[d.box().z0] = unionBox[d.box().z0].united(d.box());
        else
            multi.push_back(d);
    }
    EditStep step;
    step.name = strokeName_;
    for (const auto& [z, box] : unionBox) {
        const std::vector<std::uint8_t> now = readBox(box);
        std::vector<std::uint8_t> before = now;
        for (auto it = stroke_.rbegin(); it != stroke_.rend(); ++it) {
            const Box& b = it->box();
            if (b.depth() != 1 || b.z0 != z)
                continue;
            const std::vector<std::uint8_t> old = it->decode(true);
            std::size_t i = 0;
            for (std::int64_t y = b.y0; y < b.y1; ++y) {
                std::uint8_t* dst = before.data() + (y - box.y0) * box.width() + (b.x0 - box.x0);
                std::copy(old.begin() + static_cast<std::ptrdiff_t>(i),
                          old.begin() + static_cast<std::ptrdiff_t>(i + static_cast<std::size_t>(b.width())), dst);
                i += static_cast<std::size_t>(b.width());
            }
        }
        UndoDelta merged = UndoDelta::fromValues(box, before, now);
        if (merged.changedVoxels() > 0)
            step.deltas.push_back(std::move(merged));
    }
    for (auto& d : multi)
        step.deltas.push_back(std::move(d));
    stroke_.clear();
    if (step.deltas.empty())
        return false;
    countEdits(step, +1);
    history_.push(std::move(step));
    historyChanged.emit();
    return true;
}

void LabelEditor::abortStroke()
{
    if (!strokeOpen_)
        return;
    for (auto it = stroke_.rbegin(); it != stroke_.rend(); ++it)
        applyDelta(*it, false);
    stroke_.clear();
    strokeOpen_ = false;
}

std::int64_t LabelEditor::stamp(std::int64_t z, std::int64_t x, std::int64_t y, int radius, std::uint8_t value)
{
    if (z < 0 || z >= shape().depth || radius < 0)
        return 0;
    const std::int64_t r = radius;
    const Box box = Box{z, y - r, x - r, z + 1, y + r + 1, x + r + 1}.intersected(sliceBox(z));
    if (box.empty())
        return 0;
    std::vector<std::uint8_t> values = readBox(box);
    const std::int64_t r2 = r * (r + 1);
    for (std::int64_t yy = box.y0; yy < box.y1; ++yy)
        for (std::int64_t xx = box.x0; xx < box.x1; ++xx) {
            const std::int64_t dx = xx - x, dy = yy - y;
            if (dx * dx + dy * dy <= r2)
                values[static_cast<std::size_t>((yy - box.y0) * box.width() + (xx - box.x0))] = value;
        }
    UndoDelta d = record(box, values);
    const std::int64_t changed = d.changedVoxels();
    addDelta(std::move(d), value == 0 ? "Eraser" : "Brush");
    return changed;
}

std::int64_t LabelEditor::stampLine(std::int64_t z, std::int64_t x0, std::int64_t y0, std::int64_t x1,
                                    std::int64_t y1, int radius, std::uint8_t value)
{
    const double len = std::hypot(static_cast<double>(x1 - x0), static_cast<double>(y1 - y0));
    const double step = std::max(1.0, radius * 0.5);
    const int n = std::max(1, static_cast<int>(std::ceil(len / step)));
    const bool own = !strokeOpen_;
    if (own)
        beginStroke(value == 0 ? "Eraser" : "Brush");
    std::int64_t changed = 0;
    for (int i = 0; i <= n; ++i) {
        const double t = static_cast<double>(i) / n;
        changed += stamp(z, std::llround(x0 + t * static_cast<double>(x1 - x0)),
                         std::llround(y0 + t * static_cast<double>(y1 - y0)), radius, value);
    }
    if (own)
        commitStroke();
    return changed;
}

std::int64_t LabelEditor::floodRegion(std::int64_t z, std::int64_t x, std::int64_t y, std::vector<std::uint8_t>& in,
                                      Box& box) const
{
    const std::int64_t w = shape().width, h = shape().height;
    const SliceData held = labels_.slice(z);
    const std::uint8_t* s = held->data();
    const std::uint8_t seed = s[y * w + x];
    in.assign(static_cast<std::size_t>(w * h), 0);
    std::vector<std::int64_t> todo{y * w + x};
    in[static_cast<std::size_t>(y * w + x)] = 1;
    box = Box{z, y, x, z + 1, y + 1, x + 1};
    std::int64_t count = 0;
    while (!todo.empty()) {
        const std::int64_t i = todo.back();
        todo.pop_back();
        ++count;
        const std::int64_t py = i / w, px = i % w;
        box = box.united(Box{z, py, px, z + 1, py + 1, px + 1});
        auto visit = [&](std::int64_t j) {
            if (!in[static_cast<std::size_t>(j)] && s[j] == seed) {
                in[static_cast<std::size_t>(j)] = 1;
                todo.push_back(j);
            }
        };
        if (px > 0)
            visit(i - 1);
        if (px + 1 < w)
            visit(i + 1);
        if (py > 0)
            visit(i - w);
        if (py + 1 < h)
            visit(i + w);
    }
    return count;
}

std::int64_t LabelEditor::floodRegionSize(std::int64_t z, std::int64_t x, std::int64_t y) const
{
    if (z < 0 || z >= shape().depth || x < 0 || y < 0 || x >= shape().width || y >= shape().height)
        return 0;
    std::vector<std::uint8_t> in;
    Box box;
    return floodRegion(z, x, y, in, box);
}

std::int64_t LabelEditor::floodFill(std::int64_t z, std::int64_t x, std::int64_t y, std::uint8_t value)
{
    const std::int64_t w = shape().width, h = shape().height;
    if (z < 0 || z >= shape().depth || x < 0 || y < 0 || x >= w || y >= h)
        return 0;
    if (labels_(z, y, x) == value)
        return 0;
    std::vector<std::uint8_t> in;
    Box box;
    floodRegion(z, x, y, in, box);
    std::vector<std::uint8_t> values = readBox(box);
    for (std::int64_t yy = box.y0; yy < box.y1; ++yy)
        for (std::int64_t xx = box.x0; xx < box.x1; ++xx)
            if (in[static_cast<std::size_t>(yy * w + xx)])
                values[static_cast<std::size_t>((yy - box.y0) * box.width() + (xx - box.x0))] = value;
    UndoDelta d = record(box, values);
    const std::int64_t changed = d.changedVoxels();
    addDelta(std::move(d), "Fill");
    return changed;
}

UndoDelta LabelEditor::acceptMarker(std::int64_t z) const
{
    const Box voxel{z, 0, 0, z + 1, 1, 1};
    const std::vector<std::uint8_t> value = readBox(voxel);
    return UndoDelta::fromValues(voxel, value, value);
}

bool LabelEditor::acceptPrediction(std::int64_t z, const std::uint8_t* predicted)
{
    std::vector<bool> has(static_cast<std::size_t>(shape().depth), false);
    if (z < 0 || z >= shape().depth)
        return false;
    has[static_cast<std::size_t>(z)] = true;
    std::vector<std::uint8_t> one(predicted, predicted + shape().sliceVoxels());
    if (strokeOpen_)
        commitStroke();
    const Box box = sliceBox(z);
    UndoDelta d = record(box, one);
    if (d.changedVoxels() == 0) {
        // Already equal: still an accepted slice (labelled) unless it is one already.
        if (isAccepted(z))
            return false;
        d = acceptMarker(z);
    }
    EditStep step;
    step.name = "Accept prediction (slice)";
    step.userEdit = false;
    step.accepted = true;
    step.deltas.push_back(std::move(d));
    countEdits(step, +1);
    history_.push(std::move(step));
    historyChanged.emit();
    return true;
}

bool LabelEditor::acceptPrediction(const VolumeU8& predicted, const std::vector<bool>& hasSlice)
{
    if (!(predicted.shape() == shape()))
        throw std::invalid_argument("LabelEditor::acceptPrediction: prediction shape differs");
    return acceptSlices(hasSlice, [&](std::int64_t z, std::vector<std::uint8_t>& out) {
        out.assign(predicted.slice(z), predicted.slice(z) + shape().sliceVoxels());
    });
}

bool LabelEditor::acceptPrediction(const SliceStore& predicted, const std::vector<bool>& hasSlice)
{
    if (!(predicted.shape() == shape()))
        throw std::invalid_argument("LabelEditor::acceptPrediction: prediction shape differs");
    return acceptSlices(hasSlice, [&](std::int64_t z, std::vector<std::uint8_t>& out) {
        out.resize(static_cast<std::size_t>(shape().sliceVoxels()));
        predicted.readSlice(z, out.data());
    });
}

bool LabelEditor::acceptSlices(const std::vector<bool>& hasSlice,
                               const std::function<void(std::int64_t, std::vector<std::uint8_t>&)>& read)
{
    if (hasSlice.size() != static_cast<std::size_t>(shape().depth))
        throw std::invalid_argument("LabelEditor::acceptPrediction: prediction shape differs");
    if (strokeOpen_)
        commitStroke();
    EditStep step;
    step.name = "Accept prediction (stack)";
    step.userEdit = false;
    step.accepted = true;
    std::vector<std::uint8_t> slice;
    for (std::int64_t z = 0; z < shape().depth; ++z) {
        if (!hasSlice[static_cast<std::size_t>(z)])
            continue;
        read(z, slice);
        UndoDelta d = record(sliceBox(z), slice);
        if (d.changedVoxels() > 0)
            step.deltas.push_back(std::move(d));
        else if (!isAccepted(z))
            step.deltas.push_back(acceptMarker(z));   // equal already, but now accepted
    }
    if (step.deltas.empty())
        return false;
    countEdits(step, +1);
    history_.push(std::move(step));
    historyChanged.emit();
    return true;
}

void LabelEditor::applyStep(const EditStep& step, bool forward)
{
    if (forward)
        for (const auto& d : step.deltas)
            applyDelta(d, true);
    else
        for (auto it = step.deltas.rbegin(); it != step.deltas.rend(); ++it)
            applyDelta(*it, false);
}

std::uint64_t LabelEditor::undo()
{
    if (strokeOpen_)
        commitStroke();
    const EditStep* step = history_.takeUndo();
    if (!step)
        return 0;
    applyStep(*step, false);
    countEdits(*step, -1);
    historyChanged.emit();
    return step->id;
}

std::uint64_t LabelEditor::redo()
{
    if (strokeOpen_)
        commitStroke();
    const EditStep* step = history_.takeRedo();
    if (!step)
        return 0;
    applyStep(*step, true);
    countEdits(*step, +1);
    historyChanged.emit();
    return step->id;
}

void LabelEditor::countEdits(const EditStep& step, int sign)
{
    std::vector<int>* counts = step.userEdit ? &editCount_ : step.accepted ? &acceptCount_ : nullptr;
    if (!counts)
        return;
    for (std::int64_t z : step.slices())
        (*counts)[static_cast<std::size_t>(z)] += sign;
}

std::vector<std::int64_t> LabelEditor::editedSlices() const
{
    std::vector<std::int64_t> out;
    for (std::int64_t z = 0; z < shape().depth; ++z)
        if (isEdited(z))
            out.push_back(z);
    return out;
}

bool LabelEditor::isEdited(std::int64_t z) const
{
    if (z < 0 || z >= shape().depth)
        return false;
    return editCount_[static_cast<std::size_t>(z)] > 0 || restoredEdited_.count(z) > 0;
}

void LabelEditor::markEdited(const std::vector<std::int64_t>& zs)
{
    for (std::int64_t z : zs)
        if (z >= 0 && z < shape().depth)
            restoredEdited_.insert(z);
    historyChanged.emit();
}

}  // namespace mitoseg::labels

namespace mitoseg::labels {

std::vector<std::int64_t> LabelEditor::acceptedSlices() const
{
    std::vector<std::int64_t> out;
    for (std::int64_t z = 0; z < shape().depth; ++z)
        if (isAccepted(z))
            out.push_back(z);
    return out;
}

bool LabelEditor::isAccepted(std::int64_t z) const
{
    if (z < 0 || z >= shape().depth)
        return false;
    return acceptCount_[static_cast<std::size_t>(z)] > 0 || restoredAccepted_.count(z) > 0;
}

void LabelEditor::markAccepted(const std::vector<std::int64_t>& zs)
{
    for (std::int64_t z : zs)
        if (z >= 0 && z < shape().depth)
            restoredAccepted_.insert(z);
    historyChanged.emit();
}

}  // namespace mitoseg::labels
