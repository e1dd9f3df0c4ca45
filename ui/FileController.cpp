#include "ui/FileController.h"

#include <QApplication>
#include <QFileDialog>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QMenu>
#include <QMessageBox>
#include <QSettings>

#include <algorithm>
#include <array>

#include "core/engine/Segmenter.h"
#include "ui/DemoData.h"
#include "ui/LayerSettings.h"
#include "ui/SegmentationController.h"
#include "ui/SliceView.h"
#include "ui/StackFiles.h"
#include "ui/StudioDocument.h"
#include "ui/files/PredictionStore.h"

namespace mitoseg::ui {

namespace {
const QString kTiffFilter = QStringLiteral("TIFF stacks (*.tif *.tiff);;All files (*)");
const QString kRecentKey = QStringLiteral("recentFiles");
}  // namespace

FileController::FileController(StudioDocument* doc, SliceView* view, LayerSettings* layers, SegmentationController* seg,
                               QWidget* dialogParent)
    : QObject(dialogParent), doc_(doc), view_(view), layers_(layers), seg_(seg), parent_(dialogParent)
{
}

bool FileController::fail(const QString& title, const QString& text)
{
    lastError_ = text;
    Q_EMIT message(title + QStringLiteral(": ") + text);
    if (interactive_)
        QMessageBox::warning(parent_, title, text);
    return false;
}

QString FileController::dialogDir() const
{
    const QStringList recent = recentFiles();
    return recent.isEmpty() ? QString() : QFileInfo(recent.front()).absolutePath();
}

namespace {
// Makes a label file fit the document's `classes`, slice by slice: a single foreground value
// that is no known class (a Fiji 0/255 mask) becomes 1; with `binarize` every non-zero voxel
// becomes 1. Returns the largest value left.
int normalizeLabels(labels::SliceStore& v, int classes, bool binarize)
{
    std::array<std::int64_t, 256> hist{};
    const Shape s = v.shape();
    std::vector<std::uint8_t> slice(static_cast<std::size_t>(s.sliceVoxels()));
    for (std::int64_t z = 0; z < s.depth; ++z) {
        if (v.sliceEmpty(z))
            continue;
        v.readSlice(z, slice.data());
        for (std::uint8_t x : slice)
            ++hist[x];
    }
    int distinct = 0, maxValue = 0;
    for (int i = 1; i < 256; ++i)
        if (hist[static_cast<std::size_t>(i)] != 0)
            ++distinct, maxValue = i;
    if (maxValue == 0)
        return 0;
    if (binarize || (distinct == 1 && maxValue >= classes)) {
        for (std::int64_t z = 0; z < s.depth; ++z) {
            if (v.sliceEmpty(z))
                continue;
            v.readSlice(z, slice.data());
            for (auto& x : slice)
                x = x != 0 ? 1 : 0;
            v.writeSlice(z, slice.data());
        }
        return 1;
    }
    return maxValue;
}
}  // namespace

bool FileController::openStack(const QString& path)
{
    try {
        auto source = ImageSource::openTiff(path.toStdString());
        doc_->setImage(std::move(source));
        doc_->setClasses(seg_->modelClasses());
    } catch (const std::exception& e) {
        return fail(tr("Cannot open stack"), QString::fromStdString(e.what()));
    }
    addRecent(path);
    autoLevels();
    Q_EMIT message(tr("Opened %1").arg(QFileInfo(path).fileName()));
    return true;
}

bool FileController::openDemo(std::int64_t depth, std::int64_t height, std::int64_t width)
{
    try {
        DemoVolumes demo = makeDemoVolumes(Shape{depth, height, width});
        doc_->setImage(ImageSource::fromVolume(std::move(demo.image), tr("demo")));
        doc_->setClasses(classesFromNames(demo.classNames));
        doc_->setReference(std::make_shared<VolumeU8>(std::move(demo.truth)), tr("demo ground truth"));
    } catch (const std::exception& e) {
        return fail(tr("Cannot open the demo stack"), QString::fromStdString(e.what()));
    }
    autoLevels();
    Q_EMIT message(tr("Demo stack: generated EM-like volume with its ground truth as reference"));
    return true;
}

bool FileController::openMask(const QString& path)
{
    if (!doc_->hasImage())
        return fail(tr("Cannot open mask"), tr("Open a stack first."));
    // Loading replaces the mask and its history: unsaved edits would be lost for good.
    if (!maybeSave(tr("Save them before opening another mask?")))
        return false;
    try {
        labels::SliceStore mask = readLabelStore(path.toStdString(), false);
        const int maxValue = normalizeLabels(mask, static_cast<int>(doc_->classes().size()), false);
        if (!(mask.shape() == doc_->shape()))
            return fail(tr("Cannot open mask"), tr("%1: its size (%2 x %3 x %4) differs from the stack's (%5 x %6 x %7)")
                                                    .arg(path).arg(mask.shape().depth).arg(mask.shape().height).arg(mask.shape().width)
                                                    .arg(doc_->shape().depth).arg(doc_->shape().height).arg(doc_->shape().width));
        doc_->extendClasses(maxValue);
        doc_->setMask(std::move(mask), path);
    } catch (const std::exception& e) {
        return fail(tr("Cannot open mask"), QString::fromStdString(e.what()));
    }
    addRecent(path);
    return true;
}

bool FileController::openReference(const QString& path)
{
    if (!doc_->hasImage())
        return fail(tr("Cannot open reference"), tr("Open a stack first."));
    try {
        auto ref = std::make_shared<labels::SliceStore>(readLabelStore(path.toStdString(), false));
        normalizeLabels(*ref, static_cast<int>(doc_->classes().size()), doc_->classes().size() == 2);
        if (!(ref->shape() == doc_->shape()))
            return fail(tr("Cannot open reference"), tr("%1: its size differs from the stack's").arg(path));
        doc_->setReference(std::shared_ptr<const labels::SliceStore>(std::move(ref)), path);
    } catch (const std::exception& e) {
        return fail(tr("Cannot open reference"), QString::fromStdString(e.what()));
    }
    addRecent(path);
    return true;
}

bool FileController::openModel(const QString& path)
{
    const QString why = seg_->loadModel(path);
    if (!why.isEmpty()) {
        // The reason names the file, like every other open error.
        const QString named = why.contains(QFileInfo(path).fileName()) ? why : tr("%1: %2").arg(path, why);
        return fail(tr("No segmentation model"), tr("The model could not be loaded, so Segment slice/stack is not "
                                                    "available.\n\n%1").arg(named));
    }
    Q_EMIT message(tr("Model loaded: %1").arg(seg_->providerName()));
    return true;
}

bool FileController::openShippedModel()
{
    const auto shipped = Segmenter::defaultModelPath();
    if (shipped.empty())
        return fail(tr("No segmentation model"), tr("The shipped model was not found (set MITOSEG_MODEL or reinstall)."));
    return openModel(QString::fromStdString(shipped.string()));
}

bool FileController::saveModelAs(const QString& path)
{
    const QString source = doc_->modelPath();
    if (source.isEmpty() || !QFileInfo::exists(source))
        return fail(tr("Cannot save model"), tr("No model file is in use."));
    if (QFileInfo(path).absoluteFilePath() == QFileInfo(source).absoluteFilePath())
        return true;
    const QString partial = path + QStringLiteral(".part");
    QFile::remove(partial);
    if (!QFile::copy(source, partial))
        return fail(tr("Cannot save model"), tr("Cannot write %1").arg(partial));
    QFile::remove(path);
    if (!QFile::rename(partial, path)) {
        QFile::remove(partial);
        return fail(tr("Cannot save model"), tr("Cannot write %1").arg(path));
    }
    Q_EMIT message(tr("Model saved to %1").arg(path));
    return true;
}

bool FileController::saveMask(const QString& path)
{
    if (!doc_->hasImage())
        return false;
    try {
        writeMaskStack(path.toStdString(), doc_->mask().snapshot(), doc_->spacing());
    } catch (const std::exception& e) {
        return fail(tr("Cannot save mask"), QString::fromStdString(e.what()));
    }
    doc_->setMaskPath(path);
    doc_->setClean();
    addRecent(path);
    Q_EMIT message(tr("Mask saved to %1").arg(path));
    return true;
}

Session FileController::currentSession(const QString& sessionPath) const
{
    Session s;
    if (doc_->hasImage())
        s.stack = doc_->image()->path();
    s.mask = doc_->maskPath();
    s.reference = doc_->referencePath();
    s.model = doc_->modelPath();
    s.z = view_->slice();
    s.zoom = view_->zoom();
    s.pan = view_->pan();
    s.hasLevels = true;
    s.levelLow = layers_->levelLow();
    s.levelHigh = layers_->levelHigh();
    if (doc_->hasImage()) {
        s.editedSlices = doc_->mask().editedSlices();
        s.acceptedSlices = doc_->mask().acceptedSlices();
        s.markedSlices = doc_->slicesLabelledAs(LabelSource::Marked);
    }
    for (const auto& c : doc_->classes())
        s.classes.push_back({QString::fromStdString(c.name), QColor(c.r, c.g, c.b)});
    SessionLayers l;
    l.imageVisible = layers_->imageVisible();
    l.heatmap = layers_->predictionHeatmap();
    l.prediction = layers_->style(Layer::Prediction);
    l.mask = layers_->style(Layer::Mask);
    l.reference = layers_->style(Layer::Reference);
    l.threshold = doc_->predictionThreshold();
    l.zSmooth = doc_->postProcessing().zSmooth;
    l.minObjectVoxels = doc_->postProcessing().minObjectVoxels;
    s.layers = l;
    if (doc_->hasImage() && doc_->voxelSizeSet()) {
        const Spacing sp = doc_->spacing();
        s.voxelSize = SessionVoxelSize{sp.z, sp.y, sp.x, QString::fromStdString(sp.unit)};
    }
    if (saveHook_)
        saveHook_(s, sessionPath);
    return s;
}

QString FileController::predictionsPathFor(const QString& sessionPath)
{
    const QFileInfo info(sessionPath);
    return info.dir().filePath(info.completeBaseName() + QStringLiteral(".predictions"));
}

bool FileController::saveSession(const QString& path)
{
    QString error;
    Session session = currentSession(path);
    // The predictions go beside the session (compressed, atomic), so reopening needs no new run.
    const QString predPath = predictionsPathFor(path);
    if (doc_->hasImage() && doc_->predictedSlices() > 0) {
        if (!PredictionStore::save(*doc_, predPath, &error))
            return fail(tr("Cannot save session"), error);
        session.predictions = QFileInfo(predPath).fileName();
        session.predictionsPostProcessed = doc_->stackPostProcessed();
    } else if (QFileInfo::exists(predPath)) {
        QFile::remove(predPath);   // an older save's predictions are not this session's
    }
    if (!session.save(path, &error))
        return fail(tr("Cannot save session"), error);
    addRecent(path);
    return true;
}

bool FileController::openSession(const QString& path)
{
    QString error;
    auto s = Session::load(path, &error);
    if (!s)
        return fail(tr("Cannot open session"), error);
    addRecent(path);
    if (!s->model.isEmpty() && QFileInfo(s->model).isRelative())
        s->model = QDir::cleanPath(QFileInfo(path).absoluteDir().absoluteFilePath(s->model));
    const bool ok = applySession(*s, nullptr, path);
    if (ok && !s->predictions.isEmpty()) {
        const QString predPath = QFileInfo(path).dir().filePath(s->predictions);
        const int restored = PredictionStore::load(*doc_, predPath, &error);
        if (restored < 0)
            fail(tr("Predictions not restored"), error);
        else if (s->predictionsPostProcessed)
            doc_->startStackPostProcessing();
        if (restored > 0)
            Q_EMIT message(tr("Session opened with the predictions of %n slice(s)", nullptr, restored));
    }
    return ok;
}

bool FileController::applySession(const Session& s, labels::SliceStore* maskOverride, const QString& sessionPath)
{
    bool ok = s.stack.isEmpty() ? openDemo() : openStack(s.stack);
    if (!ok)
        return false;
    if (!s.reference.isEmpty() && !s.stack.isEmpty())
        ok = openReference(s.reference) && ok;
    if (maskOverride) {
        if (maskOverride->shape() == doc_->shape()) {
            doc_->setMask(std::move(*maskOverride), s.mask);
            doc_->restoreLabelledSlices(s.editedSlices, s.acceptedSlices, s.markedSlices);
            doc_->markDirty();   // a recovered mask is not saved anywhere yet
        } else {
            fail(tr("Cannot restore mask"), tr("the autosaved mask does not match the stack's size"));
        }
    } else if (!s.mask.isEmpty()) {
        ok = openMask(s.mask) && ok;
        doc_->restoreLabelledSlices(s.editedSlices, s.acceptedSlices, s.markedSlices);
    } else {
        doc_->restoreLabelledSlices(s.editedSlices, s.acceptedSlices, s.markedSlices);
    }
    if (!s.model.isEmpty())
        openModel(s.model);
    if (s.layers) {
        layers_->setImageVisible(s.layers->imageVisible);
        layers_->setStyle(Layer::Prediction, s.layers->prediction);
        layers_->setStyle(Layer::Mask, s.layers->mask);
        layers_->setStyle(Layer::Reference, s.layers->reference);
        layers_->setPredictionHeatmap(s.layers->heatmap);
        doc_->setPostProcessing({s.layers->zSmooth, static_cast<float>(s.layers->threshold), s.layers->minObjectVoxels});
    }
    if (!s.classes.empty()) {
        std::vector<labels::LabelClass> classes;
        for (const auto& c : s.classes)
            classes.push_back({c.name.toStdString(), static_cast<std::uint8_t>(c.color.red()),
                               static_cast<std::uint8_t>(c.color.green()), static_cast<std::uint8_t>(c.color.blue())});
        doc_->setClasses(std::move(classes));
    }
    if (s.voxelSize)
        doc_->setVoxelSize(Spacing{s.voxelSize->z, s.voxelSize->y, s.voxelSize->x, s.voxelSize->unit.toStdString()});
    applyView(s);
    if (loadHook_)
        loadHook_(s, sessionPath);
    return ok;
}

void FileController::applyView(const Session& s)
{
    view_->setSlice(s.z);
    if (s.zoom > 0) {
        view_->setZoom(s.zoom);
        view_->setPan(s.pan);
    }
    if (s.hasLevels)
        layers_->setLevels(static_cast<float>(s.levelLow), static_cast<float>(s.levelHigh));
}

void FileController::autoLevels()
{
    if (!doc_->hasImage())
        return;
    // From the shown slice, or the nearest readable one when it cannot be read.
    const std::int64_t depth = doc_->shape().depth, z = view_->slice();
    for (std::int64_t step = 0; step < std::min<std::int64_t>(depth, 16); ++step)
        for (const std::int64_t at : {z - step, z + step})
            if (at >= 0 && at < depth)
                if (const float* slice = doc_->image()->trySlice(at)) {
                    const auto [lo, hi] = percentileLevels(slice, doc_->shape().sliceVoxels(), 0.5, 99.5);
                    layers_->setLevels(lo, hi);
                    return;
                }
}

bool FileController::maybeSave(const QString& question)
{
    if (!doc_->hasImage() || !doc_->isDirty())
        return true;
    Answer a = answer_;
    if (interactive_) {
        const auto button = QMessageBox::question(
            parent_, tr("Unsaved mask edits"),
            tr("The mask has edits that are not saved. %1")
                .arg(question.isEmpty() ? tr("Save them before closing?") : question),
            QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
        a = button == QMessageBox::Save ? Answer::Save : button == QMessageBox::Discard ? Answer::Discard : Answer::Cancel;
    }
    if (a == Answer::Cancel)
        return false;
    if (a == Answer::Save)
        return interactive_ ? saveMaskDialog(false) : (!doc_->maskPath().isEmpty() && saveMask(doc_->maskPath()));
    return true;
}

QStringList FileController::recentFiles() const
{
    return QSettings().value(kRecentKey).toStringList();
}

void FileController::addRecent(const QString& path)
{
    QSettings settings;
    QStringList list = settings.value(kRecentKey).toStringList();
    const QString abs = QFileInfo(path).absoluteFilePath();
    list.removeAll(abs);
    list.prepend(abs);
    while (list.size() > 10)
        list.removeLast();
    settings.setValue(kRecentKey, list);
    Q_EMIT recentChanged();
}

void FileController::attachRecentMenu(QMenu* menu)
{
    auto rebuild = [this, menu] {
        menu->clear();
        const QStringList list = recentFiles();
        for (const QString& f : list) {
            QAction* a = menu->addAction(QFileInfo(f).fileName());
            a->setToolTip(f);
            connect(a, &QAction::triggered, this, [this, f] {
                if (!maybeSave())
                    return;
                if (f.endsWith(QStringLiteral(".json"), Qt::CaseInsensitive))
                    openSession(f);
                else
                    openStack(f);
            });
        }
        menu->setEnabled(!list.isEmpty());
    };
    connect(this, &FileController::recentChanged, menu, rebuild);
    rebuild();
}

void FileController::openStackDialog()
{
    if (!maybeSave())
        return;
    const QString f = QFileDialog::getOpenFileName(parent_, tr("Open stack"), dialogDir(), kTiffFilter);
    if (!f.isEmpty())
        openStack(f);
}

void FileController::openMaskDialog()
{
    const QString f = QFileDialog::getOpenFileName(parent_, tr("Open mask"), dialogDir(), kTiffFilter);
    if (!f.isEmpty())
        openMask(f);
}

void FileController::openReferenceDialog()
{
    const QString f = QFileDialog::getOpenFileName(parent_, tr("Open reference mask"), dialogDir(), kTiffFilter);
    if (!f.isEmpty())
        openReference(f);
}

void FileController::openModelDialog()
{
    const QString f = QFileDialog::getOpenFileName(parent_, tr("Open model"), dialogDir(),
                                                   tr("Mitoseg models (*.msm);;All files (*)"));
    if (!f.isEmpty())
        openModel(f);
}

void FileController::saveModelAsDialog()
{
    const QString f = QFileDialog::getSaveFileName(parent_, tr("Save model as"), dialogDir(), tr("Mitoseg models (*.msm)"));
    if (!f.isEmpty())
        saveModelAs(f);
}

bool FileController::saveMaskDialog(bool saveAs)
{
    QString f = doc_->maskPath();
    if (saveAs || f.isEmpty())
        f = QFileDialog::getSaveFileName(parent_, tr("Save mask"), dialogDir(), kTiffFilter);
    return !f.isEmpty() && saveMask(f);
}

void FileController::saveSessionDialog()
{
    const QString f = QFileDialog::getSaveFileName(parent_, tr("Save session"), dialogDir(),
                                                   tr("Sessions (*.json)"));
    if (!f.isEmpty())
        saveSession(f);
}

void FileController::openSessionDialog()
{
    if (!maybeSave())
        return;
    const QString f = QFileDialog::getOpenFileName(parent_, tr("Open session"), dialogDir(), tr("Sessions (*.json)"));
    if (!f.isEmpty())
        openSession(f);
}

}  // namespace mitoseg::ui
