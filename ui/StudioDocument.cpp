#include "ui/StudioDocument.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <iterator>
#include <new>
#include <stdexcept>
#include <string>

#include <QCoreApplication>
#include <QPointer>
#include <QThreadPool>

#include "core/base/Error.h"
#include "core/base/Memory.h"
#include "core/engine/StreamingPostProcess.h"
#include "core/labels/ClassMatch.h"
#include "core/metrics/Components.h"

namespace mitoseg::ui {

std::vector<labels::LabelClass> defaultClasses()
{
    return {{"background", 0, 0, 0}, {"mitochondria", 255, 196, 0}};
}

namespace {
bool sameClasses(const std::vector<labels::LabelClass>& a, const std::vector<labels::LabelClass>& b)
{
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const labels::LabelClass& x, const labels::LabelClass& y) {
        return x.name == y.name && x.r == y.r && x.g == y.g && x.b == y.b;
    });
}

labels::LabelClass paletteClass(std::string name, std::size_t index)
{
    // Distinct on a grey EM image; index 1.. picks from `others` unless the name says what it is.
    static constexpr std::uint8_t others[][3] = {{80, 220, 110}, {235, 80, 200}, {0, 215, 225}, {240, 70, 60},
                                                 {170, 120, 255}, {190, 230, 40}, {255, 140, 60}, {120, 200, 255}};
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (index == 0)
        return {std::move(name), 0, 0, 0};
    if (lower.find("mito") != std::string::npos)
        return {std::move(name), 255, 196, 0};
    if (lower.find("membran") != std::string::npos)
        return {std::move(name), 70, 150, 255};
    const auto* c = others[(index - 1) % std::size(others)];
    return {std::move(name), c[0], c[1], c[2]};
}
}  // namespace

std::vector<labels::LabelClass> classesFromNames(const std::vector<std::string>& names)
{
    std::vector<labels::LabelClass> out;
    for (std::size_t i = 0; i < names.size() && i < 256; ++i)
        out.push_back(paletteClass(names[i].empty() ? (i == 0 ? std::string("background") : "class " + std::to_string(i))
                                                    : names[i],
                                   i));
    return out;
}

StudioDocument::StudioDocument(QObject* parent) : QObject(parent)
{
    mask_ = std::make_unique<labels::LabelEditor>(Shape{0, 0, 0}, defaultClasses());
}

StudioDocument::~StudioDocument() = default;

void StudioDocument::connectMask(labels::LabelEditor& mask)
{
    mask.labelsChanged.connect([this](const labels::Box& b) {
        markDirty();
        Q_EMIT maskChanged(b.z0, b.z1, static_cast<int>(b.x0), static_cast<int>(b.y0), static_cast<int>(b.x1),
                           static_cast<int>(b.y1));
    });
    mask.historyChanged.connect([this] {
        Q_EMIT historyChanged();
        checkLabelled();
    });
}

void StudioDocument::checkLabelled()
{
    std::vector<LabelSource> now(static_cast<std::size_t>(shape().depth));
    for (std::int64_t z = 0; z < shape().depth; ++z)
        now[static_cast<std::size_t>(z)] = sliceLabelSource(z);
    if (now == labelled_)
        return;
    labelled_ = std::move(now);
    Q_EMIT labelledSlicesChanged();
}

LabelSource StudioDocument::sliceLabelSource(std::int64_t z) const
{
    if (z < 0 || z >= shape().depth)
        return LabelSource::None;
    if (static_cast<std::size_t>(z) < marked_.size() && marked_[static_cast<std::size_t>(z)])
        return LabelSource::Marked;
    if (mask_->isEdited(z))
        return LabelSource::Edited;
    if (mask_->isAccepted(z))
        return LabelSource::Accepted;
    return LabelSource::None;
}

std::vector<std::int64_t> StudioDocument::labelledSlices() const
{
    std::vector<std::int64_t> out;
    for (std::int64_t z = 0; z < shape().depth; ++z)
        if (isLabelled(z))
            out.push_back(z);
    return out;
}

std::vector<std::int64_t> StudioDocument::slicesLabelledAs(LabelSource source) const
{
    std::vector<std::int64_t> out;
    for (std::int64_t z = 0; z < shape().depth; ++z)
        if (sliceLabelSource(z) == source)
            out.push_back(z);
    return out;
}

void StudioDocument::setSliceMarkedLabelled(std::int64_t z, bool marked)
{
    if (z < 0 || z >= shape().depth)
        return;
    marked_.resize(static_cast<std::size_t>(shape().depth), false);
    marked_[static_cast<std::size_t>(z)] = marked;
    checkLabelled();
}

void StudioDocument::restoreLabelledSlices(const std::vector<std::int64_t>& edited,
                                           const std::vector<std::int64_t>& accepted,
                                           const std::vector<std::int64_t>& marked)
{
    mask_->markEdited(edited);
    mask_->markAccepted(accepted);
    marked_.assign(static_cast<std::size_t>(shape().depth), false);
    for (std::int64_t z : marked)
        if (z >= 0 && z < shape().depth)
            marked_[static_cast<std::size_t>(z)] = true;
    checkLabelled();
}

Spacing StudioDocument::spacing() const
{
    if (voxelSize_)
        return *voxelSize_;
    return image_ ? image_->spacing() : Spacing{};
}

void StudioDocument::setVoxelSize(const Spacing& spacing)
{
    if (!(spacing.z > 0 && spacing.y > 0 && spacing.x > 0) || !std::isfinite(spacing.z * spacing.y * spacing.x))
        throw std::invalid_argument("voxel size must be positive");
    Spacing s = spacing;
    if (s.unit.empty())
        s.unit = "px";
    const bool changed = !(s == this->spacing());
    voxelSize_ = s;
    if (changed)
        Q_EMIT spacingChanged();
}

std::uint64_t StudioDocument::memoryNeeded(const Shape& shape)
{
    // Two decoded slices in each of the four label caches (mask, reference, predicted labels
    // and probabilities), the image's float slices and the composed view: about 16 bytes per
    // slice voxel; plus ~64 bytes of bookkeeping per slice.
    const auto slice = static_cast<std::uint64_t>(std::max<std::int64_t>(0, shape.sliceVoxels()));
    return 16 * slice + 64 * static_cast<std::uint64_t>(std::max<std::int64_t>(0, shape.depth));
}

namespace {
/// Why a stack of `shape` called `name` cannot be opened: its mask needs `needed` bytes and
/// only `available` are free (0: unknown).
std::string memoryMessage(const QString& name, const Shape& shape, std::uint64_t needed, std::uint64_t available)
{
    std::string text = "cannot open " + name.toStdString() + ": editing it needs " + formatBytes(needed) + " of memory ("
                       + std::to_string(shape.depth) + " slices of " + std::to_string(shape.width) + " x "
                       + std::to_string(shape.height) + " pixels: a few slices of the mask, reference, predictions "
                       "and image at a time), but ";
    if (available > 0 && needed > available) {
        text += "only " + formatBytes(available) + " is available";
        if (memoryLimit() > 0)
            text += " (the limit set by MITOSEG_MEMORY_LIMIT)";
    } else if (needed > memoryBudget()) {
        text += "the memory budget is " + formatBytes(memoryBudget()) + " (raise it with --memory-budget or "
                "MITOSEG_MEMORY_BUDGET)";
    } else {
        text += "that much could not be allocated";
    }
    return text + ". Open a smaller part of the stack (e.g. a crop saved from Fiji), or close other programs.";
}
}  // namespace

void StudioDocument::setImage(std::shared_ptr<ImageSource> image)
{
    const Shape s = image ? image->shape() : Shape{};
    const QString name = !image ? QString() : image->path().isEmpty() ? image->name() : image->path();
    // The volumes live out of core; refuse only a stack whose per-slice working set cannot fit.
    const std::uint64_t needed = memoryNeeded(s), available = availableMemoryBytes();
    if ((available > 0 && needed > available) || needed > memoryBudget())
        throw Error(memoryMessage(name, s, needed, available));

    // Build everything new first. Nothing after the swap below can throw, so a failure here
    // (std::bad_alloc above all) leaves the open document, its mask and its history as they were.
    const auto depth = static_cast<std::size_t>(s.depth);
    std::unique_ptr<labels::LabelEditor> mask;
    labels::SliceStore predLabels, predProb;
    std::vector<bool> hasPred, binaryPred, marked;
    std::vector<LabelSource> labelled;
    labels::ConfusionCounts confusion;
    try {
        mask = std::make_unique<labels::LabelEditor>(s, mask_->classes());
        connectMask(*mask);
        predLabels = labels::SliceStore(s);
        predProb = labels::SliceStore(s);
        hasPred.assign(depth, false);
        binaryPred.assign(depth, false);
        marked.assign(depth, false);
        labelled.assign(depth, LabelSource::None);
        confusion.reset(s.depth, static_cast<int>(mask->classes().size()));
    } catch (const std::bad_alloc&) {
        throw Error(memoryMessage(name, s, needed, 0));
    } catch (const std::length_error&) {
        throw Error(memoryMessage(name, s, needed, 0));
    }

    // Swap in (no-throw from here on).
    image_.swap(image);
    mask_.swap(mask);
    voxelSize_.reset();
    reference_.reset();
    referencePath_.clear();
    maskPath_.clear();
    predLabels_ = std::move(predLabels);
    predProb_ = std::move(predProb);
    postRefusal_.clear();
    hasPred_.swap(hasPred);
    binaryPred_.swap(binaryPred);
    stackPostProcessed_ = false;
    ++postGeneration_;
    predConfusion_ = std::move(confusion);
    dirty_ = false;
    marked_.swap(marked);
    const bool labelledChanged = labelled != labelled_;
    labelled_.swap(labelled);
    if (labelledChanged)
        Q_EMIT labelledSlicesChanged();
    Q_EMIT historyReset();
    Q_EMIT imageChanged();
    Q_EMIT dirtyChanged(false);
    Q_EMIT historyChanged();
}

std::vector<std::string> StudioDocument::setModelClassNames(std::vector<std::string> names)
{
    if (names.size() < 2)
        names = {"background", "mitochondria"};
    // Unnamed classes (models trained without names): a binary model means mitochondria.
    for (std::size_t i = 0; i < names.size(); ++i)
        if (names[i].empty())
            names[i] = i == 0 ? "background" : names.size() == 2 ? "mitochondria" : "class " + std::to_string(i);
    modelNames_ = std::move(names);
    std::vector<labels::LabelClass> classes = mask_->classes();
    std::vector<std::string> present;
    for (const auto& c : classes)
        present.push_back(c.name);
    const std::vector<int> match = labels::matchClasses(modelNames_, present);
    std::vector<std::string> added;
    for (std::size_t i = 1; i < match.size() && classes.size() < 256; ++i)
        if (match[i] < 0) {
            classes.push_back(paletteClass(modelNames_[i], classes.size()));
            added.push_back(modelNames_[i]);
        }
    if (!added.empty())
        setClasses(std::move(classes));   // recomputes the map
    else
        updateClassMap();
    return added;
}

std::uint8_t StudioDocument::predictionLabelFor(int modelClass) const
{
    if (modelClass >= 0 && static_cast<std::size_t>(modelClass) < classMap_.size())
        return classMap_[static_cast<std::size_t>(modelClass)];
    return static_cast<std::uint8_t>(std::clamp(modelClass, 0, 255));
}

void StudioDocument::updateClassMap()
{
    std::vector<std::uint8_t> map;
    if (!modelNames_.empty()) {
        std::vector<std::string> present;
        for (const auto& c : mask_->classes())
            present.push_back(c.name);
        const std::vector<int> match = labels::matchClasses(modelNames_, present);
        for (std::size_t i = 0; i < match.size(); ++i)
            map.push_back(static_cast<std::uint8_t>(match[i] >= 0 ? match[i] : std::min<std::size_t>(i, 255)));
    }
    if (map == classMap_)
        return;
    classMap_ = std::move(map);
    if (predictedSlices() == 0)
        return;
    if (stackPostProcessed_ && startStackPostProcessing())
        return;
    for (std::int64_t z = 0; z < shape().depth; ++z)
        if (hasPrediction(z) && binaryPred_[static_cast<std::size_t>(z)])
            thresholdSlice(z);
    Q_EMIT predictionChanged(-1);
}

void StudioDocument::setClasses(std::vector<labels::LabelClass> classes)
{
    if (sameClasses(classes, mask_->classes()))
        return;
    mask_->setClasses(std::move(classes));
    predConfusion_.reset(shape().depth, static_cast<int>(mask_->classes().size()));
    if (reference_)
        for (std::int64_t z = 0; z < shape().depth; ++z)
            if (hasPrediction(z))
                predConfusion_.recountSlice(z, predLabels_.slice(z)->data(), reference_->slice(z)->data(),
                                            shape().sliceVoxels());
    updateClassMap();
    Q_EMIT classesChanged();
}

void StudioDocument::extendClasses(int maxValue)
{
    maxValue = std::min(maxValue, 255);
    std::vector<labels::LabelClass> c = mask_->classes();
    if (static_cast<int>(c.size()) > maxValue)
        return;
    while (static_cast<int>(c.size()) <= maxValue)
        c.push_back(paletteClass("class " + std::to_string(c.size()), c.size()));
    setClasses(std::move(c));
}

void StudioDocument::setMask(VolumeU8 mask, const QString& path)
{
    if (!(mask.shape() == shape()))
        throw std::invalid_argument("the mask's size differs from the stack's");
    setMask(labels::SliceStore::fromVolume(mask), path);
}

void StudioDocument::setMask(labels::SliceStore mask, const QString& path)
{
    if (!(mask.shape() == shape()))
        throw std::invalid_argument("the mask's size differs from the stack's");
    marked_.assign(static_cast<std::size_t>(shape().depth), false);
    mask_->setLabels(std::move(mask));
    maskPath_ = path;
    Q_EMIT historyReset();
    setClean();
}

void StudioDocument::setReference(std::shared_ptr<VolumeU8> reference, const QString& path)
{
    if (reference && !(reference->shape() == shape()))
        throw std::invalid_argument("the reference's size differs from the stack's");
    setReference(reference ? std::make_shared<const labels::SliceStore>(labels::SliceStore::fromVolume(*reference))
                           : std::shared_ptr<const labels::SliceStore>(),
                 path);
}

void StudioDocument::setReference(std::shared_ptr<const labels::SliceStore> reference, const QString& path)
{
    if (reference && !(reference->shape() == shape()))
        throw std::invalid_argument("the reference's size differs from the stack's");
    reference_ = std::move(reference);
    referencePath_ = reference_ ? path : QString();
    mask_->setReference(reference_);
    predConfusion_.reset(shape().depth, static_cast<int>(mask_->classes().size()));
    if (reference_)
        for (std::int64_t z = 0; z < shape().depth; ++z)
            if (hasPrediction(z))
                predConfusion_.recountSlice(z, predLabels_.slice(z)->data(), reference_->slice(z)->data(),
                                            shape().sliceVoxels());
    Q_EMIT referenceChanged();
}

void StudioDocument::setPrediction(std::int64_t z, const SlicePrediction& p)
{
    const Shape s = shape();
    const std::int64_t n = s.sliceVoxels();
    // A result that does not fit this stack (e.g. a job of a previous stack) is ignored.
    if (z < 0 || z >= s.depth || p.height != s.height || p.width != s.width
        || p.labels.size() < static_cast<std::size_t>(n) || p.classes < 1)
        return;
    std::vector<std::uint8_t> out(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i)
        out[static_cast<std::size_t>(i)] = predictionLabelFor(p.labels[static_cast<std::size_t>(i)]);
    predLabels_.writeSlice(z, out.data());
    std::vector<std::uint8_t>& prob = out;
    const bool haveProb = p.probabilities.size() >= static_cast<std::size_t>(n * p.classes);
    for (std::int64_t i = 0; i < n; ++i) {
        const float fg = haveProb ? 1.f - p.probability(0, i) : (p.labels[static_cast<std::size_t>(i)] ? 1.f : 0.f);
        prob[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(std::clamp(fg, 0.f, 1.f) * 255.f + 0.5f);
    }
    predProb_.writeSlice(z, prob.data());
    hasPred_[static_cast<std::size_t>(z)] = true;
    binaryPred_[static_cast<std::size_t>(z)] = haveProb && p.classes == 2;
    stackPostProcessed_ = false;
    ++postGeneration_;
    thresholdSlice(z);
    Q_EMIT predictionChanged(z);
}

void StudioDocument::restorePrediction(std::int64_t z, const std::uint8_t* probability, const std::uint8_t* labels)
{
    const Shape s = shape();
    if (z < 0 || z >= s.depth || !probability)
        return;
    const std::int64_t n = s.sliceVoxels();
    (void)n;
    predProb_.writeSlice(z, probability);
    if (labels)
        predLabels_.writeSlice(z, labels);
    hasPred_[static_cast<std::size_t>(z)] = true;
    binaryPred_[static_cast<std::size_t>(z)] = labels == nullptr;
    stackPostProcessed_ = false;
    ++postGeneration_;
    thresholdSlice(z);
    Q_EMIT predictionChanged(z);
}

void StudioDocument::thresholdSlice(std::int64_t z)
{
    const std::int64_t n = shape().sliceVoxels();
    if (binaryPred_[static_cast<std::size_t>(z)]) {
        const labels::SliceData prob = predProb_.slice(z);
        const int t = std::clamp(static_cast<int>(std::lround(threshold_ * 255.0)), 1, 255);
        const std::uint8_t fg = predictionLabelFor(1);
        std::vector<std::uint8_t> labels(static_cast<std::size_t>(n));
        for (std::int64_t i = 0; i < n; ++i)
            labels[static_cast<std::size_t>(i)] = (*prob)[static_cast<std::size_t>(i)] >= t ? fg : 0;
        predLabels_.writeSlice(z, labels.data());
    }
    if (reference_)
        predConfusion_.recountSlice(z, predLabels_.slice(z)->data(), reference_->slice(z)->data(), n);
}

void StudioDocument::setPredictionThreshold(double t)
{
    t = std::clamp(t, 0.01, 0.99);
    if (t == threshold_)
        return;
    threshold_ = t;
    Q_EMIT predictionThresholdChanged(t);
    if (stackPostProcessed_ && startStackPostProcessing())
        return;   // the labels change when the worker is done; the GUI stays live meanwhile
    for (std::int64_t z = 0; z < shape().depth; ++z)
        if (hasPrediction(z) && binaryPred_[static_cast<std::size_t>(z)])
            thresholdSlice(z);
    Q_EMIT predictionChanged(-1);
}

void StudioDocument::setPostProcessing(const PostProcessing& settings)
{
    post_ = settings;
    post_.zSmooth = std::max(0, post_.zSmooth);
    post_.minObjectVoxels = std::max<std::int64_t>(0, post_.minObjectVoxels);
    // Model files store the threshold as float: 0.45f is shown and used as 0.45.
    const double t = std::clamp(std::round(static_cast<double>(settings.threshold) * 1e4) / 1e4, 0.01, 0.99);
    if (t != threshold_) {
        threshold_ = t;
        Q_EMIT predictionThresholdChanged(t);
    }
    Q_EMIT postProcessingChanged();
    if (startStackPostProcessing() || predictedSlices() == 0)
        return;
    // Not post-processed (any more): the labels are the thresholded probabilities.
    for (std::int64_t z = 0; z < shape().depth; ++z)
        if (hasPrediction(z) && binaryPred_[static_cast<std::size_t>(z)])
            thresholdSlice(z);
    Q_EMIT predictionChanged(-1);
}

namespace {

/// The stack post-processing of binary predictions (probabilities as 0..255 per slice): the mean
/// over +-zSmooth slices against the threshold (same rounding as thresholdSlice: radius 0 gives
/// the per-slice labels), then 3D objects under minObjectVoxels dropped; foreground is written
/// as `fg`. Any thread.
VolumeU8 postProcessedLabels(const labels::SliceSnapshot& prob, Shape s, const PostProcessing& post,
                             double threshold, std::uint8_t fg)
{
    VolumeU8 labels(s, 0);
    std::vector<std::uint8_t> p(static_cast<std::size_t>(s.sliceVoxels()));
    const std::int64_t n = s.sliceVoxels();
    const std::uint32_t t = static_cast<std::uint32_t>(std::clamp(static_cast<int>(std::lround(threshold * 255.0)), 1, 255));
    std::vector<std::uint32_t> sum(static_cast<std::size_t>(n));
    for (std::int64_t z = 0; z < s.depth; ++z) {
        const std::int64_t z0 = std::max<std::int64_t>(0, z - post.zSmooth), z1 = std::min<std::int64_t>(s.depth - 1, z + post.zSmooth);
        std::fill(sum.begin(), sum.end(), 0u);
        for (std::int64_t k = z0; k <= z1; ++k) {
            prob.readSlice(k, p.data());
            for (std::int64_t i = 0; i < n; ++i)
                sum[static_cast<std::size_t>(i)] += p[static_cast<std::size_t>(i)];
        }
        const std::uint32_t need = t * static_cast<std::uint32_t>(z1 - z0 + 1);
        std::uint8_t* out = labels.slice(z);
        for (std::int64_t i = 0; i < n; ++i)
            out[i] = sum[static_cast<std::size_t>(i)] >= need ? fg : 0;
    }
    removeSmallComponents(labels, post.minObjectVoxels);
    return labels;
}

/// The same result streamed slice by slice (core's StreamingPostProcessor: a window of
/// 2 * zSmooth + 1 slices and the foreground runs spilled to scratch), for stacks whose labels do
/// not fit the memory budget. The probabilities are fed as 0..255 and the threshold set just
/// under t so that `mean > threshold` is exactly the integer rule `sum >= t * count` above.
labels::SliceStore streamedPostProcessedLabels(const labels::SliceSnapshot& prob, Shape s, const PostProcessing& post,
                                               double threshold, std::uint8_t fg)
{
    labels::SliceStore out(s);
    const auto n = static_cast<std::size_t>(s.sliceVoxels());
    const int t = std::clamp(static_cast<int>(std::lround(threshold * 255.0)), 1, 255);
    PostProcessing settings = post;
    settings.threshold = static_cast<float>(t - 0.5 / (2.0 * post.zSmooth + 1.0));
    std::vector<std::uint8_t> labels(n), p8(n);
    std::vector<float> pf(n);
    StreamingPostProcessor stream(s, settings, nullptr, [&](std::int64_t z, const std::uint8_t* binary) {
        for (std::size_t i = 0; i < n; ++i)
            labels[i] = binary[i] ? fg : 0;
        out.writeSlice(z, labels.data());
    });
    for (std::int64_t z = 0; z < s.depth; ++z) {
        prob.readSlice(z, p8.data());
        std::transform(p8.begin(), p8.end(), pf.begin(), [](std::uint8_t v) { return static_cast<float>(v); });
        stream.push(pf.data());
    }
    stream.finish();
    return out;
}

}  // namespace

bool StudioDocument::canPostProcessStack() const
{
    const Shape s = shape();
    const PostProcessing post = postProcessingPlan().effective;
    return s.depth > 0 && (post.zSmooth > 0 || post.minObjectVoxels > 1) && predictedSlices() == s.depth &&
           std::all_of(binaryPred_.begin(), binaryPred_.end(), [](bool b) { return b; });
}

bool StudioDocument::startStackPostProcessing()
{
    const int generation = ++postGeneration_;
    if (!canPostProcessStack()) {
        stackPostProcessed_ = false;
        return false;
    }
    // In memory the 3D clean-up holds the labels of the whole stack (a byte per voxel); above
    // the memory budget it streams instead (a window of slices; runs spilled to scratch). Only
    // when even the window does not fit is it refused, saying so.
    const Shape s = shape();
    const PostProcessing effective = postProcessingPlan().effective;
    const std::uint64_t inMemory = static_cast<std::uint64_t>(s.voxels()) + 4 * static_cast<std::uint64_t>(s.sliceVoxels());
    const std::uint64_t window = static_cast<std::uint64_t>(s.sliceVoxels()) * (4 * (2 * static_cast<std::uint64_t>(effective.zSmooth) + 2) + 8);
    const bool stream = inMemory > memoryBudget();
    if (stream && window > memoryBudget()) {
        stackPostProcessed_ = false;
        postRefusal_ = tr("The stack post-processing (z-smoothing, small-object removal) needs %1 of memory for this "
                          "stack even streamed; the memory budget is %2. The per-slice threshold is applied instead; "
                          "raise the budget (--memory-budget) or run `mitoseg predict` on the stack.")
                           .arg(QString::fromStdString(formatBytes(window)),
                                QString::fromStdString(formatBytes(memoryBudget())));
        return false;
    }
    postRefusal_.clear();
    // The worker gets a snapshot of the probabilities (shared compressed slices, no copy), so
    // new predictions can arrive meanwhile; its result is dropped if they do.
    auto job = [self = QPointer<StudioDocument>(this), generation, prob = predProb_.snapshot(), s, post = effective,
                threshold = threshold_, fg = predictionLabelFor(1), stream] {
        auto result = std::make_shared<labels::SliceStore>(
            stream ? streamedPostProcessedLabels(prob, s, post, threshold, fg)
                   : labels::SliceStore::fromVolume(postProcessedLabels(prob, s, post, threshold, fg)));
        // Delivered on the GUI thread (the application's); the document may be gone by then.
        QMetaObject::invokeMethod(QCoreApplication::instance(), [self, generation, result] {
            if (!self)
                return;
            const bool current = generation == self->postGeneration_;
            if (current)
                self->setPostProcessedLabels(std::move(*result));
            Q_EMIT self->stackPostProcessingFinished(current);
        }, Qt::QueuedConnection);
    };
    QThreadPool::globalInstance()->start(std::move(job));
    return true;
}

void StudioDocument::setPostProcessedLabels(labels::SliceStore labels)
{
    const Shape s = shape();
    predLabels_ = std::move(labels);
    if (reference_)
        for (std::int64_t z = 0; z < s.depth; ++z)
            predConfusion_.recountSlice(z, predLabels_.slice(z)->data(), reference_->slice(z)->data(), s.sliceVoxels());
    stackPostProcessed_ = true;
    Q_EMIT predictionChanged(-1);
}

void StudioDocument::clearPredictions()
{
    stackPostProcessed_ = false;
    ++postGeneration_;
    predLabels_.clear();
    predProb_.clear();
    std::fill(hasPred_.begin(), hasPred_.end(), false);
    std::fill(binaryPred_.begin(), binaryPred_.end(), false);
    predConfusion_.reset(shape().depth, static_cast<int>(mask_->classes().size()));
    Q_EMIT predictionChanged(-1);
}

bool StudioDocument::hasPrediction(std::int64_t z) const
{
    return z >= 0 && static_cast<std::size_t>(z) < hasPred_.size() && hasPred_[static_cast<std::size_t>(z)];
}

int StudioDocument::predictedSlices() const
{
    return static_cast<int>(std::count(hasPred_.begin(), hasPred_.end(), true));
}

labels::SliceRef StudioDocument::predictionLabels(std::int64_t z) const
{
    return hasPrediction(z) ? labels::SliceRef(predLabels_.slice(z)) : labels::SliceRef();
}

labels::SliceRef StudioDocument::predictionProbability(std::int64_t z) const
{
    return hasPrediction(z) ? labels::SliceRef(predProb_.slice(z)) : labels::SliceRef();
}

bool StudioDocument::acceptPredictionSlice(std::int64_t z)
{
    return hasPrediction(z) && mask_->acceptPrediction(z, predLabels_.slice(z)->data());
}

bool StudioDocument::acceptPredictionStack(bool overwriteHandLabelled, int* skipped)
{
    if (skipped)
        *skipped = 0;
    if (predictedSlices() == 0)
        return false;
    std::vector<bool> take = hasPred_;
    if (!overwriteHandLabelled)
        for (std::int64_t z = 0; z < shape().depth; ++z) {
            const LabelSource src = sliceLabelSource(z);
            if (take[static_cast<std::size_t>(z)] && (src == LabelSource::Edited || src == LabelSource::Marked)) {
                take[static_cast<std::size_t>(z)] = false;
                if (skipped)
                    ++*skipped;
            }
        }
    return mask_->acceptPrediction(predLabels_, take);
}

void StudioDocument::markDirty()
{
    if (dirty_)
        return;
    dirty_ = true;
    Q_EMIT dirtyChanged(true);
}

void StudioDocument::setClean()
{
    dirty_ = false;
    Q_EMIT dirtyChanged(false);
}

}  // namespace mitoseg::ui
