#pragma once
// The studio's main window: the slice view in the centre with its slice slider, docks for
// layers, tools and IoU, menus and the status bar. Thin: it creates and connects the parts
// (document, view, tools, file/segmentation controllers, autosave) and owns them as children.
// GUI thread only.
#include <QMainWindow>

#include "ui/JobEta.h"

class QLabel;
class QProgressBar;
class QPushButton;
class QSlider;
class QSpinBox;
class QTimer;
class QAction;
class QUndoStack;

namespace mitoseg::ui {

class StudioDocument;
class LayerSettings;
class SliceView;
class EditTools;
class IoUPanel;
class FileController;
class SegmentationController;
class Autosaver;
class SurfacePanel;
class TrainingController;
class TrainingPanel;
class ModelManager;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    /// `autosaveFolder` empty: the per-user default (tests pass a scratch folder).
    explicit MainWindow(QWidget* parent = nullptr, const QString& autosaveFolder = {});
    ~MainWindow() override;

    /// Docks `panel` (e.g. the 3D surface view) under `title`; returns the dock's object. With
    /// `scroll` the panel sits in a scroll area, so a tall panel cannot push the slice slider
    /// and status bar off a 900-pixel screen.
    QDockWidget* addDockPanel(QWidget* panel, const QString& title, Qt::DockWidgetArea area = Qt::RightDockWidgetArea,
                              bool scroll = true);

    /// After construction: offers crash recovery when an autosave is left over (asks unless
    /// non-interactive, where `acceptRecovery` decides), then starts autosaving every
    /// `autosaveSeconds`. Returns true when a session was restored.
    bool startAutosave(int autosaveSeconds = 60, bool acceptRecovery = false);

    /// Restores window geometry and dock layout saved by the last clean exit (QSettings).
    void restoreLayout();

    /// Shows or hides the XZ / YZ docks (hidden by default).
    void setOrthoViewsVisible(bool visible);

    StudioDocument* document() const { return doc_; }
    LayerSettings* layers() const { return layers_; }
    SliceView* sliceView() const { return view_; }
    EditTools* tools() const { return tools_; }
    IoUPanel* iouPanel() const { return iou_; }
    FileController* files() const { return files_; }
    SegmentationController* segmentation() const { return seg_; }
    Autosaver* autosaver() const { return autosave_; }
    /// The status bar's job progress (its text shows the time left).
    QProgressBar* progressBar() const { return progress_; }
    TrainingController* training() const { return training_; }
    TrainingPanel* trainingPanel() const { return trainingPanel_; }
    QUndoStack* undoStack() const { return undo_; }
    /// File ▸ Model manager…: the model in use, its metadata, open / shipped / save a copy
    /// (created on first use, owned by the window).
    ModelManager* modelManager();
    /// Dialogs on/off (tests switch them off).
    void setInteractive(bool on);

    /// Shows the 3D surface dock, creating it on first use (it holds an OpenGL view, so it is
    /// never built unless asked for). Meshes rebuild in the background when the mask settles.
    SurfacePanel* showSurfaces();
    /// View > Voxel size…: asks for the voxel size (z, y, x, unit) used by the 3D measurements
    /// and sets it on the document; the 3D table re-measures. True when it was set.
    bool editVoxelSize();
    QAction* voxelSizeAction() const { return voxelSizeAction_; }

protected:
    void closeEvent(QCloseEvent* e) override;
    void dragEnterEvent(QDragEnterEvent* e) override;
    void dropEvent(QDropEvent* e) override;

private:
    void buildMenus();
    void buildDocks();
    void buildStatusBar();
    QWidget* buildCentre();
    void showCursorInfo(qint64 x, qint64 y, qint64 z, bool inside);
    void syncSliceControls();
    void segment(bool stack);
    void updateTitle();
    void updateModelLabel();

    StudioDocument* doc_;
    LayerSettings* layers_;
    QUndoStack* undo_;
    SliceView* view_;
    EditTools* tools_;
    IoUPanel* iou_;
    SegmentationController* seg_;
    FileController* files_;
    Autosaver* autosave_;
    TrainingController* training_;
    TrainingPanel* trainingPanel_ = nullptr;
    ModelManager* modelManager_ = nullptr;
    void buildTraining();
    QSlider* sliceSlider_ = nullptr;
    QSpinBox* sliceSpin_ = nullptr;
    QLabel* depthLabel_ = nullptr;
    QLabel* cursorLabel_ = nullptr;
    QLabel* zoomLabel_ = nullptr;
    QLabel* editedLabel_ = nullptr;
    QLabel* modelLabel_ = nullptr;
    QLabel* autosaveLabel_ = nullptr;   ///< "Autosave off" / "Autosave failing", with the reason as tooltip
    QProgressBar* progress_ = nullptr;
    QPushButton* cancel_ = nullptr;
    JobEta eta_;
    bool interactive_ = true;
    SurfacePanel* surfaces_ = nullptr;
    QDockWidget* surfacesDock_ = nullptr;
    QTimer* surfacesRebuild_ = nullptr;
    QAction* surfacesAction_ = nullptr;
    QAction* voxelSizeAction_ = nullptr;
    void rebuildSurfaces();
};

}  // namespace mitoseg::ui
