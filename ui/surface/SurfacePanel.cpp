#include "ui/surface/SurfacePanel.h"

#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QMenu>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSplitter>
#include <QTableWidget>
#include <QThread>
#include <QVBoxLayout>

#include <cmath>
#include <exception>

#include "core/base/Error.h"
#include "core/base/Progress.h"
#include "ui/surface/SurfaceView.h"

namespace mitoseg::ui {

namespace {

enum Column { ColId, ColVoxels, ColVolume, ColArea, ColSphericity, ColZ, ColY, ColX, ColBorder, ColCount };

// Volumes and areas in nm are shown in um (EM objects are ~1e7 nm^3).
struct DisplayUnit {
    QString name;
    double lengthScale = 1.0;
};
DisplayUnit displayUnit(const Spacing& s)
{
    if (s.unit == "nm")
        return {QStringLiteral("\u00b5m"), 1e-3};
    if (s.unit == "um")
        return {QStringLiteral("\u00b5m"), 1.0};
    return {QString::fromStdString(s.unit.empty() ? std::string("px") : s.unit), 1.0};
}

QTableWidgetItem* numberItem(double value, int decimals)
{
    auto* item = new QTableWidgetItem;
    const double rounded = decimals >= 0 ? std::round(value * std::pow(10.0, decimals)) / std::pow(10.0, decimals) : value;
    item->setData(Qt::DisplayRole, rounded);
    item->setFlags(item->flags() & ~Qt::ItemIsEditable);
    item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    return item;
}

// `value` to `digits` significant digits, so a tiny area (a lone 5 nm voxel: 1.5e-4 um^2) does
// not round to 0.
double significant(double value, int digits)
{
    if (value == 0.0 || !std::isfinite(value))
        return value;
    const double scale = std::pow(10.0, digits - 1 - static_cast<int>(std::floor(std::log10(std::abs(value)))));
    return std::round(value * scale) / scale;
}

}  // namespace

SurfacePanel::SurfacePanel(QWidget* parent) : QWidget(parent)
{
    view_ = new SurfaceView(this);
    table_ = new QTableWidget(0, ColCount, this);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::SingleSelection);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->verticalHeader()->setVisible(false);
    table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    table_->horizontalHeader()->setSortIndicator(ColId, Qt::AscendingOrder);
    table_->verticalHeader()->setDefaultSectionSize(table_->fontMetrics().height() + 6);
    table_->setAlternatingRowColors(true);
    table_->setSortingEnabled(true);

    status_ = new QLabel(tr("No mask yet."), this);
    progress_ = new QProgressBar(this);
    progress_->setRange(0, 100);
    progress_->setVisible(false);
    progress_->setMaximumWidth(160);

    exportMeshButton_ = new QPushButton(tr("Export meshes"), this);
    auto* meshMenu = new QMenu(exportMeshButton_);
    meshMenu->addAction(tr("Whole scene (STL/PLY/OBJ)..."), this, &SurfacePanel::exportMeshes);
    meshMenu->addAction(tr("One file per object..."), this, &SurfacePanel::exportObjectMeshes);
    exportMeshButton_->setMenu(meshMenu);
    exportCsvButton_ = new QPushButton(tr("Export CSV..."), this);
    voxelSizeButton_ = new QPushButton(tr("Voxel size..."), this);
    voxelSizeButton_->setToolTip(tr("See or set the voxel size used by the measurements"));
    connect(voxelSizeButton_, &QPushButton::clicked, this, &SurfacePanel::voxelSizeRequested);
    exportMeshButton_->setEnabled(false);
    exportCsvButton_->setEnabled(false);
    connect(exportCsvButton_, &QPushButton::clicked, this, &SurfacePanel::exportCsv);

    auto* buttons = new QHBoxLayout;
    buttons->addWidget(status_, 1);
    buttons->addWidget(progress_);
    buttons->addWidget(voxelSizeButton_);
    buttons->addWidget(exportMeshButton_);
    buttons->addWidget(exportCsvButton_);

    auto* split = new QSplitter(Qt::Vertical, this);
    split->addWidget(view_);
    split->addWidget(table_);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->addWidget(split, 1);
    layout->addLayout(buttons);

    connect(view_, &SurfaceView::objectSelected, this, &SurfacePanel::selectObject);
    connect(table_, &QTableWidget::itemSelectionChanged, this, &SurfacePanel::onTableSelection);
}

SurfacePanel::~SurfacePanel()
{
    if (cancel_)
        cancel_->cancel();
    for (QThread* t : threads_) {
        t->disconnect(this);
        t->wait();
        delete t;
    }
}

void SurfacePanel::setMask(const VolumeU8& mask, const Spacing& spacing)
{
    setSharedMask(std::make_shared<const VolumeU8>(mask), spacing);
}

void SurfacePanel::showUnavailable(const QString& why)
{
    ++generation_;   // drops the result of a rebuild still running
    if (cancel_)
        cancel_->cancel();
    progress_->setVisible(false);
    status_->setText(why);
}

void SurfacePanel::setSharedMask(std::shared_ptr<const VolumeU8> mask, const Spacing& spacing)
{
    const std::uint64_t gen = ++generation_;
    if (cancel_)
        cancel_->cancel();
    auto cancel = std::make_shared<CancelToken>();
    cancel_ = cancel;
    const MeshOptions options = options_;
    ++running_;
    progress_->setValue(0);
    progress_->setVisible(true);
    status_->setText(tr("Building surfaces..."));

    QThread* thread = QThread::create([this, gen, mask, spacing, options, cancel] {
        int lastPercent = -1;
        FunctionProgress sink([&](double done, double total, const std::string& message) {
            const int percent = total > 0 ? static_cast<int>(100.0 * done / total) : 0;
            if (percent == lastPercent)
                return;
            lastPercent = percent;
            const QString text = QString::fromStdString(message);
            QMetaObject::invokeMethod(this, [this, gen, percent, text] { showProgress(gen, percent, text); },
                                      Qt::QueuedConnection);
        });
        try {
            auto scene = std::make_shared<const MeshScene>(buildMeshScene(*mask, spacing, options, &sink, cancel.get()));
            auto surface = prepareSurface(scene->mesh, static_cast<std::uint32_t>(scene->objects.size()));
            QMetaObject::invokeMethod(this, [this, gen, scene, surface] { applyResult(gen, scene, surface); },
                                      Qt::QueuedConnection);
        } catch (const Cancelled&) {
            // A newer mask replaced this one.
        } catch (const std::exception& e) {
            const QString message = QString::fromUtf8(e.what());
            QMetaObject::invokeMethod(this,
                                      [this, gen, message] {
                                          if (gen != generation_)
                                              return;
                                          progress_->setVisible(false);
                                          status_->setText(tr("Surface extraction failed: %1").arg(message));
                                          Q_EMIT meshingFailed(message);
                                      },
                                      Qt::QueuedConnection);
        }
    });
    threads_.push_back(thread);
    connect(thread, &QThread::finished, this, [this, thread] {
        threads_.removeOne(thread);
        --running_;
        thread->deleteLater();
    });
    thread->start(QThread::LowPriority);
}

void SurfacePanel::showProgress(std::uint64_t generation, int percent, const QString& message)
{
    if (generation != generation_)
        return;
    progress_->setValue(percent);
    status_->setText(message);
}

void SurfacePanel::applyResult(std::uint64_t generation, std::shared_ptr<const MeshScene> scene,
                               std::shared_ptr<PreparedSurface> surface)
{
    if (generation != generation_)
        return;  // stale: a newer mask is being processed
    scene_ = std::move(scene);
    view_->setSurface(std::move(surface), scene_->shape, scene_->spacing, true);
    fillTable();
    progress_->setVisible(false);
    const auto triangles = static_cast<qint64>(scene_->mesh.triangleCount());
    status_->setText(tr("%n object(s), %1 triangles", nullptr, static_cast<int>(scene_->objects.size())).arg(triangles));
    exportMeshButton_->setEnabled(!scene_->objects.empty());
    exportCsvButton_->setEnabled(!scene_->objects.empty());
    Q_EMIT meshesReady(static_cast<int>(scene_->objects.size()), triangles);
}

void SurfacePanel::fillTable()
{
    syncing_ = true;
    table_->setSortingEnabled(false);
    table_->clearContents();
    const auto& objects = scene_ ? scene_->objects : std::vector<ObjectMeasure>{};
    const DisplayUnit u = scene_ ? displayUnit(scene_->spacing) : DisplayUnit{};
    table_->setHorizontalHeaderLabels({tr("ID"), tr("Voxels"), tr("Volume") + QStringLiteral(" (") + u.name + QStringLiteral("\u00b3)"),
                                       tr("Area") + QStringLiteral(" (") + u.name + QStringLiteral("\u00b2)"), tr("Sphericity"), tr("slice"), tr("y"), tr("x"),
                                       tr("Border")});
    // The slice view counts slices from 1: the centroid's z is shown the same way.
    if (auto* zHeader = table_->horizontalHeaderItem(ColZ))
        zHeader->setToolTip(tr("Centroid slice, counted from 1 as in the slice view"));
    if (auto* borderHeader = table_->horizontalHeaderItem(ColBorder))
        borderHeader->setToolTip(tr("\"cut\": the object touches the volume border, so it is probably cut and "
                                    "its measures are partial"));
    if (scene_)
        voxelSizeButton_->setToolTip(tr("Voxel size: %1 x %2 x %3 %4 (z, y, x). Click to change it.")
                                         .arg(scene_->spacing.z).arg(scene_->spacing.y).arg(scene_->spacing.x)
                                         .arg(QString::fromStdString(scene_->spacing.unit)));
    table_->setRowCount(static_cast<int>(objects.size()));
    const double l = u.lengthScale;
    for (int row = 0; row < static_cast<int>(objects.size()); ++row) {
        const ObjectMeasure& m = objects[static_cast<std::size_t>(row)];
        auto* idItem = numberItem(m.id, -1);
        idItem->setData(Qt::DisplayRole, static_cast<int>(m.id));
        idItem->setData(Qt::UserRole, static_cast<uint>(m.id));
        idItem->setData(Qt::DecorationRole, SurfaceView::objectColor(m.id));
        table_->setItem(row, ColId, idItem);
        table_->setItem(row, ColVoxels, numberItem(static_cast<double>(m.voxels), 0));
        table_->setItem(row, ColVolume, numberItem(m.volume * l * l * l, 5));
        auto* areaItem = numberItem(significant(m.surfaceArea * l * l, 5), -1);
        if (m.voxelSurface)
            areaItem->setToolTip(tr("Too small for a smooth surface: the area of its voxel faces"));
        table_->setItem(row, ColArea, areaItem);
        table_->setItem(row, ColSphericity, numberItem(m.sphericity, 3));
        table_->setItem(row, ColZ, numberItem(m.centroidVoxel[0] + 1.0, 1));
        table_->setItem(row, ColY, numberItem(m.centroidVoxel[1], 1));
        table_->setItem(row, ColX, numberItem(m.centroidVoxel[2], 1));
        auto* borderItem = new QTableWidgetItem(m.touchesBorder ? tr("cut") : QString());
        borderItem->setData(Qt::UserRole, m.touchesBorder);
        borderItem->setFlags(borderItem->flags() & ~Qt::ItemIsEditable);
        table_->setItem(row, ColBorder, borderItem);
    }
    table_->setSortingEnabled(true);
    syncing_ = false;
}

void SurfacePanel::onTableSelection()
{
    if (syncing_)
        return;
    const auto rows = table_->selectionModel()->selectedRows();
    std::uint32_t id = 0;
    if (!rows.isEmpty())
        if (QTableWidgetItem* item = table_->item(rows.first().row(), ColId))
            id = item->data(Qt::UserRole).toUInt();
    selectObject(id);
}

void SurfacePanel::selectObject(std::uint32_t id)
{
    if (!scene_ || id > scene_->objects.size())
        id = 0;
    view_->setSelectedObject(id);
    syncing_ = true;
    table_->clearSelection();
    for (int row = 0; row < table_->rowCount() && id != 0; ++row) {
        QTableWidgetItem* item = table_->item(row, ColId);
        if (item && item->data(Qt::UserRole).toUInt() == id) {
            table_->selectRow(row);
            table_->scrollToItem(item);
            break;
        }
    }
    syncing_ = false;
    Q_EMIT objectSelected(id);
    if (id != 0) {
        const auto& c = scene_->objects[id - 1].centroidVoxel;
        Q_EMIT requestJumpTo(static_cast<int>(std::lround(c[0])), static_cast<int>(std::lround(c[1])),
                             static_cast<int>(std::lround(c[2])));
    }
}

void SurfacePanel::setSlice(int z) { view_->setSlice(z); }

bool SurfacePanel::exportSceneTo(const std::filesystem::path& file, QString* error) const
{
    try {
        if (!scene_)
            throw Error("no surfaces to export yet");
        writeMesh(file, scene_->mesh, meshFormatFromPath(file));
        return true;
    } catch (const std::exception& e) {
        if (error)
            *error = QString::fromUtf8(e.what());
        return false;
    }
}

bool SurfacePanel::exportObjectsTo(const std::filesystem::path& dir, MeshFormat format, QString* error) const
{
    try {
        if (!scene_)
            throw Error("no surfaces to export yet");
        writeObjectMeshes(dir, scene_->mesh, format);
        return true;
    } catch (const std::exception& e) {
        if (error)
            *error = QString::fromUtf8(e.what());
        return false;
    }
}

bool SurfacePanel::exportCsvTo(const std::filesystem::path& file, QString* error) const
{
    try {
        if (!scene_)
            throw Error("no measurements to export yet");
        writeMeasuresCsv(file, scene_->objects, scene_->spacing);
        return true;
    } catch (const std::exception& e) {
        if (error)
            *error = QString::fromUtf8(e.what());
        return false;
    }
}

void SurfacePanel::exportMeshes()
{
    const QString file = QFileDialog::getSaveFileName(this, tr("Export meshes"), QStringLiteral("mitochondria.stl"),
                                                      tr("Meshes (*.stl *.ply *.obj)"));
    if (file.isEmpty())
        return;
    QString error;
    if (!exportSceneTo(file.toStdString(), &error))
        QMessageBox::warning(this, tr("Export meshes"), error);
}

void SurfacePanel::exportObjectMeshes()
{
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Folder for one mesh per object"));
    if (dir.isEmpty())
        return;
    bool ok = false;
    const QString format = QInputDialog::getItem(this, tr("Mesh format"), tr("Format:"), {"STL", "PLY", "OBJ"}, 0,
                                                 false, &ok);
    if (!ok)
        return;
    const MeshFormat f = format == "PLY" ? MeshFormat::Ply : format == "OBJ" ? MeshFormat::Obj : MeshFormat::Stl;
    QString error;
    if (!exportObjectsTo(dir.toStdString(), f, &error))
        QMessageBox::warning(this, tr("Export meshes"), error);
}

void SurfacePanel::exportCsv()
{
    const QString file = QFileDialog::getSaveFileName(this, tr("Export measurements"), QStringLiteral("objects.csv"),
                                                      tr("CSV (*.csv)"));
    if (file.isEmpty())
        return;
    QString error;
    if (!exportCsvTo(file.toStdString(), &error))
        QMessageBox::warning(this, tr("Export measurements"), error);
}

}  // namespace mitoseg::ui
