#pragma once
// The studio's 3D panel: a SurfaceView with every object in its own colour, a table of per-object
// measurements (row <-> object selection both ways; objects cut by the volume border are marked),
// a "Voxel size..." button and export buttons. Meshes are rebuilt in a
// background thread whenever a new mask arrives; stale results are dropped. GUI thread only.
//
// Use (the studio's main() must call ui::setDefaultSurfaceFormat() before QApplication):
//   auto* surfaces = new SurfacePanel(this);
//   auto* dock = new QDockWidget(tr("3D surfaces"), this);
//   dock->setObjectName("surfacesDock");
//   dock->setWidget(surfaces);
//   addDockWidget(Qt::RightDockWidgetArea, dock);
//   connect(sliceView, &SliceView::sliceChanged, surfaces, &SurfacePanel::setSlice);
//   connect(surfaces, &SurfacePanel::requestJumpTo, sliceView, &SliceView::jumpTo);
//   surfaces->setMask(labels, labels.spacing);   // after each committed edit / accepted prediction
#include <QString>
#include <QWidget>

#include <cstdint>
#include <filesystem>
#include <memory>

#include "core/base/Volume.h"
#include "core/mesh/MeshWriter.h"
#include "core/mesh/SurfaceExtractor.h"

class QLabel;
class QProgressBar;
class QPushButton;
class QTableWidget;
class QThread;

namespace mitoseg {
class CancelToken;
}

namespace mitoseg::ui {

class SurfaceView;
struct PreparedSurface;

class SurfacePanel : public QWidget {
    Q_OBJECT
public:
    explicit SurfacePanel(QWidget* parent = nullptr);
    /// Cancels a running rebuild and waits for its thread (it stops at the next object).
    ~SurfacePanel() override;

    SurfaceView* view() const { return view_; }
    QTableWidget* table() const { return table_; }
    QPushButton* voxelSizeButton() const { return voxelSizeButton_; }

    /// Options used by the next rebuild (connectivity, smoothing, decimation, minimum size).
    void setOptions(const MeshOptions& options) { options_ = options; }
    const MeshOptions& options() const { return options_; }

    /// The scene shown now (null before the first rebuild finished). Owned by the panel.
    std::shared_ptr<const MeshScene> scene() const { return scene_; }
    /// True while a rebuild runs.
    bool busy() const { return running_ > 0; }

    /// Exports: whole scene to one file (format from the extension), one file per object into a
    /// folder, or the measurement table as CSV. Return false and fill `error` on failure.
    bool exportSceneTo(const std::filesystem::path& file, QString* error = nullptr) const;
    bool exportObjectsTo(const std::filesystem::path& dir, MeshFormat format, QString* error = nullptr) const;
    bool exportCsvTo(const std::filesystem::path& file, QString* error = nullptr) const;

public Q_SLOTS:
    /// Rebuilds surfaces of `mask` (non-zero voxels, or options().label) with `spacing`. The mask
    /// is copied first; the work runs in a background thread.
    void setMask(const mitoseg::VolumeU8& mask, const mitoseg::Spacing& spacing);
    /// Same without a copy: the panel keeps a reference to the immutable volume while it works.
    void setSharedMask(std::shared_ptr<const mitoseg::VolumeU8> mask, const mitoseg::Spacing& spacing);
    /// Shows why no surfaces are built (e.g. the mask does not fit the memory budget); stops
    /// a running rebuild.
    void showUnavailable(const QString& why);
    /// Shows the slice plane at slice z (e.g. connected to the slice view's current slice).
    void setSlice(int z);
    /// Selects object `id` (0: none) in the view and the table; emits objectSelected and,
    /// for an object, requestJumpTo with its centroid.
    void selectObject(std::uint32_t id);
    /// Asks for a file (STL/PLY/OBJ) and exports the whole scene.
    void exportMeshes();
    /// Asks for a folder and format and exports one file per object.
    void exportObjectMeshes();
    /// Asks for a file and exports the measurement table as CSV.
    void exportCsv();

Q_SIGNALS:
    /// Object `id` was selected (0: selection cleared).
    void objectSelected(std::uint32_t id);
    /// The selected object's centroid, in voxels, for the slice view to jump to.
    void requestJumpTo(int z, int y, int x);
    /// A rebuild finished and is shown.
    void meshesReady(int objects, qint64 triangles);
    /// A rebuild failed with `message`.
    void meshingFailed(const QString& message);
    /// The user asked to see or set the voxel size (the owner opens a VoxelSizeDialog).
    void voxelSizeRequested();

private:
    void applyResult(std::uint64_t generation, std::shared_ptr<const MeshScene> scene,
                     std::shared_ptr<PreparedSurface> surface);
    void showProgress(std::uint64_t generation, int percent, const QString& message);
    void fillTable();
    void onTableSelection();

    SurfaceView* view_ = nullptr;
    QTableWidget* table_ = nullptr;
    QLabel* status_ = nullptr;
    QProgressBar* progress_ = nullptr;
    QPushButton* exportMeshButton_ = nullptr;
    QPushButton* exportCsvButton_ = nullptr;
    QPushButton* voxelSizeButton_ = nullptr;
    MeshOptions options_;
    std::shared_ptr<const MeshScene> scene_;
    std::uint64_t generation_ = 0;
    int running_ = 0;
    std::shared_ptr<CancelToken> cancel_;
    QList<QThread*> threads_;
    bool syncing_ = false;
};

}  // namespace mitoseg::ui
