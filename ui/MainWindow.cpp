#include "ui/MainWindow.h"
#include "ui/MemoryPreference.h"

#include "core/base/Memory.h"

#include <QTimer>

#include <algorithm>

#include "ui/surface/SurfacePanel.h"
#include "ui/surface/VoxelSizeDialog.h"

#include <QCloseEvent>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDir>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSettings>
#include <QSignalBlocker>
#include <QSlider>
#include <QSpinBox>
#include <QStatusBar>
#include <QStyle>
#include <QToolBar>
#include <QUndoStack>
#include <QVBoxLayout>

#include <exception>

#include "ui/Autosaver.h"
#include "ui/EditTools.h"
#include "ui/FileController.h"
#include "ui/IoUPanel.h"
#include "ui/LayerSettings.h"
#include "ui/LayersPanel.h"
#include "ui/OrthoView.h"
#include "ui/SegmentationController.h"
#include "ui/SliceView.h"
#include "ui/StudioDocument.h"
#include "ui/ToolsPanel.h"
#include "ui/train/TrainingController.h"
#include "ui/train/TrainingPanel.h"
#include "ui/train/ModelManager.h"
#include "ui/train/RoundFiles.h"
#include "ui/train/TrainingRound.h"

namespace mitoseg::ui {

MainWindow::MainWindow(QWidget* parent, const QString& autosaveFolder)
    : QMainWindow(parent),
      doc_(new StudioDocument(this)),
      layers_(new LayerSettings(this)),
      undo_(new QUndoStack(this)),
      view_(new SliceView(doc_, layers_)),
      tools_(new EditTools(doc_, undo_, this)),
      iou_(new IoUPanel(doc_)),
      seg_(new SegmentationController(doc_, this)),
      files_(new FileController(doc_, view_, layers_, seg_, this)),
      autosave_(new Autosaver(doc_, [this] { return files_->currentSession(); }, autosaveFolder, this)),
      training_(new TrainingController(doc_, seg_, this))
{
    setWindowTitle(QStringLiteral("Mitoseg Studio"));
    setAcceptDrops(true);
    setDockOptions(QMainWindow::AnimatedDocks | QMainWindow::AllowTabbedDocks);
    view_->setTool(tools_);
    setCentralWidget(buildCentre());
    buildMenus();
    buildStatusBar();
    connect(view_, &SliceView::sliceChanged, iou_, &IoUPanel::setSlice);
    connect(doc_, &StudioDocument::imageChanged, this, &MainWindow::syncSliceControls);
    connect(doc_, &StudioDocument::dirtyChanged, this, &MainWindow::updateTitle);
    connect(doc_, &StudioDocument::imageChanged, this, &MainWindow::updateTitle);
    connect(files_, &FileController::message, this, [this](const QString& m) { statusBar()->showMessage(m, 6000); });
    connect(tools_, &EditTools::message, this, [this](const QString& m) { statusBar()->showMessage(m, 6000); });
    connect(seg_, &SegmentationController::message, this, [this](const QString& m) { statusBar()->showMessage(m, 8000); });
    tools_->setConfirmLargeFill([this](std::int64_t voxels, double fraction) {
        return interactive_
               && QMessageBox::question(this, tr("Large fill"),
                                        tr("This fill would cover %1 pixels (%2% of the slice). Fill anyway?")
                                            .arg(voxels).arg(qRound(fraction * 100)),
                                        QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel)
                      == QMessageBox::Yes;
    });
    resize(1400, 900);
    // Tools keeps the height it needs; Training gets the rest of the left column.
    auto* toolsDock = findChild<QDockWidget*>(QStringLiteral("toolsDock"));
    auto* trainingDock = findChild<QDockWidget*>(QStringLiteral("trainingDock"));
    if (toolsDock && trainingDock) {
        auto* scroller = qobject_cast<QScrollArea*>(toolsDock->widget());
        const int panel = scroller && scroller->widget() ? scroller->widget()->sizeHint().height() : toolsDock->widget()->sizeHint().height();
        const int toolsHeight = panel + toolsDock->style()->pixelMetric(QStyle::PM_TitleBarHeight) + 30;
        resizeDocks({toolsDock, trainingDock}, {toolsHeight, std::max(400, height() - toolsHeight)}, Qt::Vertical);
    }
}

MainWindow::~MainWindow() = default;

void MainWindow::setInteractive(bool on)
{
    interactive_ = on;
    files_->setInteractive(on);
}

QWidget* MainWindow::buildCentre()
{
    auto* centre = new QWidget(this);
    auto* layout = new QVBoxLayout(centre);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(view_, 1);
    auto* bar = new QWidget(centre);
    auto* row = new QHBoxLayout(bar);
    row->setContentsMargins(8, 4, 8, 4);
    row->addWidget(new QLabel(tr("Slice"), bar));
    sliceSlider_ = new QSlider(Qt::Horizontal, bar);
    sliceSpin_ = new QSpinBox(bar);
    depthLabel_ = new QLabel(bar);
    row->addWidget(sliceSlider_, 1);
    row->addWidget(sliceSpin_);
    row->addWidget(depthLabel_);
    editedLabel_ = new QLabel(bar);
    editedLabel_->setToolTip(tr("Slices you labelled: corrected by hand, accepted from a prediction or marked "
                                "(used for retraining)"));
    row->addSpacing(12);
    row->addWidget(editedLabel_);
    layout->addWidget(bar);
    auto showEdited = [this] {
        const auto labelled = doc_->labelledSlices();
        const LabelSource here = doc_->sliceLabelSource(view_->slice());
        const QString what = here == LabelSource::Edited     ? tr(" · this one: edited")
                             : here == LabelSource::Accepted ? tr(" · this one: accepted")
                             : here == LabelSource::Marked   ? tr(" · this one: marked")
                                                             : QString();
        editedLabel_->setText(tr("labelled: %1 slice(s)%2").arg(labelled.size()).arg(what));
    };
    connect(doc_, &StudioDocument::labelledSlicesChanged, editedLabel_, showEdited);
    connect(view_, &SliceView::sliceChanged, editedLabel_, showEdited);
    // Slider and spin box show 1-based slice numbers; the view works 0-based.
    connect(sliceSlider_, &QSlider::valueChanged, view_, [this](int v) { view_->setSlice(v - 1); });
    connect(sliceSpin_, &QSpinBox::valueChanged, view_, [this](int v) { view_->setSlice(v - 1); });
    connect(view_, &SliceView::sliceChanged, this, [this](qint64 z) {
        QSignalBlocker b1(sliceSlider_), b2(sliceSpin_);
        sliceSlider_->setValue(static_cast<int>(z) + 1);
        sliceSpin_->setValue(static_cast<int>(z) + 1);
    });
    syncSliceControls();
    return centre;
}

void MainWindow::syncSliceControls()
{
    const int depth = static_cast<int>(std::max<std::int64_t>(1, doc_->shape().depth));
    QSignalBlocker b1(sliceSlider_), b2(sliceSpin_);
    sliceSlider_->setRange(1, depth);
    sliceSpin_->setRange(1, depth);
    sliceSlider_->setValue(static_cast<int>(view_->slice()) + 1);
    sliceSpin_->setValue(static_cast<int>(view_->slice()) + 1);
    depthLabel_->setText(tr("/ %1").arg(depth));
}

void MainWindow::buildMenus()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("Open &stack…"), QKeySequence::Open, files_, &FileController::openStackDialog);
    file->addAction(tr("Open &mask…"), files_, &FileController::openMaskDialog);
    file->addAction(tr("Open &reference…"), files_, &FileController::openReferenceDialog);
    file->addAction(tr("Open m&odel…"), files_, &FileController::openModelDialog);
    file->addAction(tr("Model manager…"), this, [this] {
        ModelManager* m = modelManager();
        m->show();
        m->raise();
    });
    file->addAction(tr("Open &demo stack"), this, [this] {
        if (files_->maybeSave())
            files_->openDemo();
    });
    files_->attachRecentMenu(file->addMenu(tr("Recent files")));
    file->addSeparator();
    file->addAction(tr("Save mask"), QKeySequence::Save, files_, [this] { files_->saveMaskDialog(false); });
    file->addAction(tr("Save mask as…"), QKeySequence::SaveAs, files_, [this] { files_->saveMaskDialog(true); });
    file->addSeparator();
    file->addAction(tr("Open session…"), files_, &FileController::openSessionDialog);
    file->addAction(tr("Save session…"), files_, &FileController::saveSessionDialog);
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    QAction* undo = undo_->createUndoAction(this, tr("&Undo"));
    undo->setShortcut(QKeySequence::Undo);
    QAction* redo = undo_->createRedoAction(this, tr("&Redo"));
    redo->setShortcuts({QKeySequence::Redo, QKeySequence(QStringLiteral("Ctrl+Y"))});
    edit->addAction(undo);
    edit->addAction(redo);
    edit->addSeparator();
    for (QAction* a : tools_->toolActions())
        edit->addAction(a);
    edit->addAction(tools_->smallerAction());
    edit->addAction(tools_->largerAction());
    edit->addSeparator();
    edit->addAction(tr("Memory budget…"), this, [this] { MemoryPreference::edit(this); });

    QMenu* viewMenu = menuBar()->addMenu(tr("&View"));
    viewMenu->addAction(tr("Fit to window"), QKeySequence(QStringLiteral("Ctrl+0")), view_, &SliceView::fitToWindow);
    viewMenu->addAction(tr("Actual pixels (1:1)"), QKeySequence(QStringLiteral("Ctrl+1")), view_, &SliceView::zoomOneToOne);
    viewMenu->addAction(tr("Zoom in"), QKeySequence::ZoomIn, view_, [this] { view_->setZoom(view_->zoom() * 1.25); });
    viewMenu->addAction(tr("Zoom out"), QKeySequence::ZoomOut, view_, [this] { view_->setZoom(view_->zoom() / 1.25); });
    viewMenu->addAction(tr("Auto levels"), QKeySequence(QStringLiteral("Ctrl+L")), files_, &FileController::autoLevels);
    viewMenu->addSeparator();
    voxelSizeAction_ = viewMenu->addAction(tr("Voxel size…"), this, &MainWindow::editVoxelSize);

    QMenu* seg = menuBar()->addMenu(tr("&Segment"));
    QAction* segSlice = seg->addAction(tr("Segment slice"), QKeySequence(QStringLiteral("Ctrl+R")), this, [this] { segment(false); });
    QAction* segStack = seg->addAction(tr("Segment stack"), QKeySequence(QStringLiteral("Ctrl+Shift+R")), this, [this] { segment(true); });
    seg->addSeparator();
    QAction* accSlice = seg->addAction(tr("Accept prediction (slice)"), QKeySequence(QStringLiteral("Ctrl+Return")), this, [this] {
        if (!tools_->acceptPredictionSlice(view_->slice()))
            statusBar()->showMessage(tr("No prediction on this slice (or nothing to change)"), 4000);
    });
    QAction* accStack = seg->addAction(tr("Accept prediction (stack)"), this, [this] {
        int skipped = 0;
        const bool changed = tools_->acceptPredictionStack(&skipped);
        const QString kept = skipped > 0 ? tr(" %n slice(s) you labelled by hand kept as they are.", nullptr, skipped) : QString();
        statusBar()->showMessage((changed ? tr("Prediction accepted.") : tr("No predictions to accept.")) + kept, 8000);
    });
    accStack->setToolTip(tr("Accept every predicted slice, except slices you labelled by hand"));
    seg->addAction(tr("Clear predictions"), doc_, &StudioDocument::clearPredictions);
    seg->addSeparator();
    QAction* mark = seg->addAction(tr("Mark slice as labelled"), QKeySequence(QStringLiteral("Ctrl+M")), this, [this](bool on) {
        doc_->setSliceMarkedLabelled(view_->slice(), on);
    });
    mark->setCheckable(true);
    mark->setToolTip(tr("The slice is right as it is: use it for retraining and keep it when accepting a stack"));
    auto syncMark = [this, mark] { mark->setChecked(doc_->sliceLabelSource(view_->slice()) == LabelSource::Marked); };
    connect(doc_, &StudioDocument::labelledSlicesChanged, mark, syncMark);
    connect(view_, &SliceView::sliceChanged, mark, syncMark);

    buildDocks();
    auto* toolsDock = addDockPanel(new ToolsPanel(tools_, doc_, {segSlice, segStack, accSlice, accStack}), tr("Tools"),
                                   Qt::LeftDockWidgetArea);
    toolsDock->setObjectName(QStringLiteral("toolsDock"));
    buildTraining();

    QMenu* windows = menuBar()->addMenu(tr("&Window"));
    for (QDockWidget* d : findChildren<QDockWidget*>())
        windows->addAction(d->toggleViewAction());
    windows->addSeparator();
    surfacesAction_ = windows->addAction(tr("3D surfaces"), this, [this] { showSurfaces(); });
    surfacesAction_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_3));
}

SurfacePanel* MainWindow::showSurfaces()
{
    if (!surfaces_) {
        surfaces_ = new SurfacePanel(this);
        surfacesDock_ = addDockPanel(surfaces_, tr("3D surfaces"), Qt::RightDockWidgetArea, false);
        surfacesDock_->setObjectName(QStringLiteral("surfacesDock"));
        // A tab beside Layers (the IoU table stays in view below), given most of the column's
        // height and a wider column, so the 3D view is usable and nothing is pushed out.
        if (auto* layersDock = findChild<QDockWidget*>(QStringLiteral("layersDock"));
            layersDock && dockWidgetArea(layersDock) == Qt::RightDockWidgetArea && !layersDock->isFloating()) {
            tabifyDockWidget(layersDock, surfacesDock_);
            if (auto* iouDock = findChild<QDockWidget*>(QStringLiteral("iouDock")); iouDock && iouDock->isVisible())
                resizeDocks({surfacesDock_, iouDock}, {height() * 2 / 3, height() / 4}, Qt::Vertical);
            resizeDocks({surfacesDock_}, {std::max(520, width() * 2 / 5)}, Qt::Horizontal);
        }
        // Rebuild once the mask has been still for a moment, not on every brush move.
        surfacesRebuild_ = new QTimer(this);
        surfacesRebuild_->setSingleShot(true);
        surfacesRebuild_->setInterval(800);
        connect(surfacesRebuild_, &QTimer::timeout, this, &MainWindow::rebuildSurfaces);
        for (auto signal : {&StudioDocument::historyChanged, &StudioDocument::historyReset, &StudioDocument::imageChanged})
            connect(doc_, signal, surfacesRebuild_, qOverload<>(&QTimer::start));
        connect(view_, &SliceView::sliceChanged, surfaces_, [this](qint64 z) { surfaces_->setSlice(static_cast<int>(z)); });
        connect(surfaces_, &SurfacePanel::requestJumpTo, view_, &SliceView::jumpTo);
        connect(surfaces_, &SurfacePanel::voxelSizeRequested, this, &MainWindow::editVoxelSize);
        connect(doc_, &StudioDocument::spacingChanged, this, &MainWindow::rebuildSurfaces);
        rebuildSurfaces();
    }
    surfacesDock_->show();
    surfacesDock_->raise();
    return surfaces_;
}

bool MainWindow::editVoxelSize()
{
    if (!doc_->hasImage())
        return false;
    VoxelSizeDialog dialog(doc_->spacing(), this);
    if (dialog.exec() != QDialog::Accepted)
        return false;
    try {
        doc_->setVoxelSize(dialog.spacing());
    } catch (const std::exception& e) {
        statusBar()->showMessage(tr("Voxel size not changed: %1").arg(QString::fromUtf8(e.what())), 5000);
        return false;
    }
    return true;
}

void MainWindow::rebuildSurfaces()
{
    if (!surfaces_ || !doc_->image())
        return;
    // Surfaces are built from the mask in memory (a byte per voxel, plus the meshing's own
    // work): above the memory budget say so, with the figure, instead of failing to allocate.
    const Shape s = doc_->shape();
    const auto needed = static_cast<std::uint64_t>(s.voxels());
    if (needed > memoryBudget()) {
        surfaces_->showUnavailable(tr("3D surfaces need the whole mask in memory: %1 for this stack, above the "
                                      "memory budget of %2 (--memory-budget). Use `mitoseg mesh` on the saved mask.")
                                       .arg(QString::fromStdString(formatBytes(needed)),
                                            QString::fromStdString(formatBytes(memoryBudget()))));
        return;
    }
    surfaces_->setSharedMask(std::make_shared<const VolumeU8>(doc_->mask().labels().toVolume()), doc_->spacing());
    surfaces_->setSlice(static_cast<int>(view_->slice()));
}

ModelManager* MainWindow::modelManager()
{
    if (!modelManager_)
        modelManager_ = new ModelManager(doc_, seg_, training_, files_, this);
    return modelManager_;
}

void MainWindow::buildTraining()
{
    trainingPanel_ = new TrainingPanel(training_, doc_, [this] { return view_->slice(); });
    // Left, under Tools: the right side already holds Layers and IoU.
    auto* dock = addDockPanel(trainingPanel_, tr("Training"), Qt::LeftDockWidgetArea);
    dock->setObjectName(QStringLiteral("trainingDock"));

    connect(trainingPanel_, &TrainingPanel::jumpToSlice, view_, &SliceView::setSlice);
    connect(trainingPanel_, &TrainingPanel::message, this, [this](const QString& m) { statusBar()->showMessage(m, 8000); });
    QMenu* menu = menuBar()->addMenu(tr("&Train"));
    menu->addAction(tr("Train"), trainingPanel_->trainButton(), &QPushButton::click);
    menu->addAction(tr("Retrain on corrections"), QKeySequence(QStringLiteral("Ctrl+T")), trainingPanel_->retrainButton(),
                    &QPushButton::click);
    menu->addAction(tr("Stop training"), training_, &TrainingController::stop);
    menu->addAction(tr("Next slice to correct"), QKeySequence(Qt::Key_N), trainingPanel_, &TrainingPanel::nextSliceToCorrect);
    QAction* validation = menu->addAction(tr("Set slice aside for validation"));
    validation->setShortcut(QKeySequence(Qt::Key_V));
    validation->setCheckable(true);
    connect(validation, &QAction::triggered, this, [this, validation](bool on) {
        const std::int64_t z = view_->slice();
        if (on && !doc_->isLabelled(z)) {
            statusBar()->showMessage(tr("Slice %1 is not labelled: correct or mark it first (Ctrl+M)").arg(z + 1), 6000);
            validation->setChecked(false);
            return;
        }
        training_->setValidationSlice(z, on);
    });
    validation->setToolTip(tr("A labelled slice set aside is never trained on; each round is scored on it"));
    auto syncValidation = [this, validation] { validation->setChecked(training_->isUserValidation(view_->slice())); };
    connect(training_, &TrainingController::validationChanged, validation, syncValidation);
    connect(doc_, &StudioDocument::labelledSlicesChanged, validation, syncValidation);
    connect(view_, &SliceView::sliceChanged, validation, syncValidation);
    // The rounds and the slices set aside for validation live in the session file; saved to a
    // file, the rounds' models are copied beside it (and later rounds are written there).
    files_->setSessionHooks(
        [this](Session& s, const QString& path) {
            std::vector<TrainingRound> rounds = training_->rounds(), stored = rounds;
            if (!path.isEmpty()) {
                QString model = s.model, error;
                if (storeRoundModels(rounds, model, path, &stored, &error)) {
                    training_->setRounds(rounds, training_->currentRound());
                    training_->setModelsFolder(roundModelsFolderFor(path));
                    const QDir dir = QFileInfo(path).absoluteDir();
                    s.model = model.startsWith(QFileInfo(roundModelsFolderFor(path)).absoluteFilePath()) ? dir.relativeFilePath(model) : model;
                } else {
                    statusBar()->showMessage(tr("The rounds' models stay where they are: %1").arg(error), 8000);
                }
            }
            s.trainingRounds = roundsToJson(stored);
            s.currentRound = training_->currentRound();
            s.validationSlices = training_->userValidationSlices();
        },
        [this](const Session& s, const QString& path) {
            std::vector<TrainingRound> rounds = roundsFromJson(s.trainingRounds);
            if (!path.isEmpty()) {
                resolveRoundModels(rounds, path);
                training_->setModelsFolder(roundModelsFolderFor(path));
            }
            training_->setRounds(std::move(rounds), s.currentRound);
            training_->setUserValidationSlices(s.validationSlices);
        });
}

void MainWindow::buildDocks()
{
    auto* layersPanel = new LayersPanel(layers_, [this] { files_->autoLevels(); },
                                        [this](double t) { doc_->setPredictionThreshold(t); }, doc_->predictionThreshold());
    connect(doc_, &StudioDocument::predictionThresholdChanged, layersPanel, &LayersPanel::setThreshold);
    layersPanel->setPostProcessingEditor([this](int zSmooth, qint64 minObjectVoxels) {
        PostProcessing p = doc_->postProcessing();
        p.zSmooth = zSmooth;
        p.minObjectVoxels = minObjectVoxels;
        p.threshold = static_cast<float>(doc_->predictionThreshold());
        doc_->setPostProcessing(p);
    });
    auto showPost = [this, layersPanel] {
        const PostProcessing& p = doc_->postProcessing();
        layersPanel->showPostProcessing(p.zSmooth, p.minObjectVoxels, QString::fromStdString(doc_->postProcessingPlan().note()));
    };
    connect(doc_, &StudioDocument::postProcessingChanged, layersPanel, showPost);
    connect(doc_, &StudioDocument::imageChanged, layersPanel, showPost);
    showPost();
    auto* layers = addDockPanel(layersPanel, tr("Layers"), Qt::RightDockWidgetArea);
    layers->setObjectName(QStringLiteral("layersDock"));
    auto* iou = addDockPanel(iou_, tr("IoU / Dice"), Qt::RightDockWidgetArea);
    iou->setObjectName(QStringLiteral("iouDock"));
    // Orthogonal planes: hidden until asked for (Window menu), as they read the whole stack.
    QDockWidget* previous = nullptr;
    for (auto plane : {OrthoView::Plane::XZ, OrthoView::Plane::YZ}) {
        auto* ortho = new OrthoView(doc_, layers_, plane);
        connect(view_, &SliceView::cursorMoved, ortho, &OrthoView::setCursor);
        connect(view_, &SliceView::sliceChanged, ortho, &OrthoView::setSlice);
        connect(ortho, &OrthoView::sliceRequested, view_, &SliceView::setSlice);
        auto* dock = addDockPanel(ortho, plane == OrthoView::Plane::XZ ? tr("XZ view") : tr("YZ view"),
                                  Qt::BottomDockWidgetArea);
        dock->setObjectName(plane == OrthoView::Plane::XZ ? QStringLiteral("xzDock") : QStringLiteral("yzDock"));
        if (previous)
            splitDockWidget(previous, dock, Qt::Horizontal);
        previous = dock;
        dock->hide();
    }
}

void MainWindow::restoreLayout()
{
    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
}

void MainWindow::setOrthoViewsVisible(bool visible)
{
    for (const char* name : {"xzDock", "yzDock"})
        if (auto* dock = findChild<QDockWidget*>(QString::fromLatin1(name)))
            dock->setVisible(visible);
}

QDockWidget* MainWindow::addDockPanel(QWidget* panel, const QString& title, Qt::DockWidgetArea area, bool scroll)
{
    auto* dock = new QDockWidget(title, this);
    if (scroll) {
        auto* scroller = new QScrollArea(dock);
        scroller->setWidget(panel);
        scroller->setWidgetResizable(true);
        scroller->setFrameShape(QFrame::NoFrame);
        scroller->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
        // As wide as the panel wants (and at least its minimum: narrower would clip its right
        // edge, as the horizontal scroll bar is off), as short as the window needs.
        const int wanted = std::max({panel->sizeHint().width(), panel->minimumSizeHint().width(), panel->minimumWidth()});
        scroller->setMinimumWidth(wanted + scroller->verticalScrollBar()->sizeHint().width());
        dock->setWidget(scroller);
    } else {
        dock->setWidget(panel);
    }
    dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable | QDockWidget::DockWidgetClosable);
    addDockWidget(area, dock);
    return dock;
}

void MainWindow::buildStatusBar()
{
    cursorLabel_ = new QLabel(this);
    cursorLabel_->setMinimumWidth(360);
    zoomLabel_ = new QLabel(this);
    modelLabel_ = new QLabel(this);
    updateModelLabel();
    progress_ = new QProgressBar(this);
    progress_->setMaximumWidth(320);
    progress_->setVisible(false);
    cancel_ = new QPushButton(tr("Cancel"), this);
    cancel_->setVisible(false);
    // Shown only when autosave is not protecting the work: off (and why) or failing.
    autosaveLabel_ = new QLabel(this);
    autosaveLabel_->setObjectName(QStringLiteral("autosaveStatus"));
    autosaveLabel_->setStyleSheet(QStringLiteral("color: #f0a040; font-weight: bold;"));
    autosaveLabel_->hide();
    statusBar()->addPermanentWidget(autosaveLabel_);
    connect(autosave_, &Autosaver::stateChanged, this, [this](const QString& writeError) {
        const QString why = !autosave_->offReason().isEmpty() ? autosave_->offReason() : writeError;
        autosaveLabel_->setVisible(!why.isEmpty());
        autosaveLabel_->setText(autosave_->isActive() ? tr("Autosave failing") : tr("Autosave off"));
        autosaveLabel_->setToolTip(why.isEmpty() ? QString()
                                                 : tr("Unsaved mask edits are not protected by autosave in this window: "
                                                      "%1. Save the mask yourself (File ▸ Save mask).").arg(why));
    });
    statusBar()->addPermanentWidget(cursorLabel_);
    statusBar()->addPermanentWidget(zoomLabel_);
    statusBar()->addPermanentWidget(modelLabel_);
    statusBar()->addPermanentWidget(progress_);
    statusBar()->addPermanentWidget(cancel_);
    connect(view_, &SliceView::cursorMoved, this, &MainWindow::showCursorInfo);
    connect(view_, &SliceView::zoomChanged, this, [this](double s) { zoomLabel_->setText(tr("zoom %1%").arg(qRound(s * 100))); });
    connect(cancel_, &QPushButton::clicked, seg_, &SegmentationController::cancel);
    connect(seg_, &SegmentationController::started, this, [this](int total) {
        eta_.start(total);
        progress_->setRange(0, total);
        progress_->setValue(0);
        progress_->setFormat(tr("Segmenting %v / %m"));
        progress_->setVisible(true);
        cancel_->setVisible(true);
    });
    connect(seg_, &SegmentationController::progress, progress_, [this](int done, int) {
        progress_->setValue(done);
        const QString left = eta_.text(done);
        progress_->setFormat(left.isEmpty() ? tr("Segmenting %v / %m") : tr("Segmenting %v / %m · %1").arg(left));
    });
    connect(seg_, &SegmentationController::providerChanged, this, &MainWindow::updateModelLabel);
    connect(seg_, &SegmentationController::finished, this, [this](bool, const QString& msg) {
        progress_->setVisible(false);
        cancel_->setVisible(false);
        statusBar()->showMessage(msg, 8000);
    });
}

void MainWindow::showCursorInfo(qint64 x, qint64 y, qint64 z, bool inside)
{
    if (!inside || !doc_->hasImage()) {
        cursorLabel_->setText(QString());
        return;
    }
    const Shape s = doc_->shape();
    const std::size_t i = static_cast<std::size_t>(y * s.width + x);
    const float* slice = doc_->image()->trySlice(z);
    const QString value = slice ? QStringLiteral("%1").arg(static_cast<double>(slice[i])) : tr("unreadable");
    QString text = tr("x %1  y %2  z %3   value %4   mask %5").arg(x).arg(y).arg(z + 1).arg(value).arg(
        doc_->mask().labels()(z, y, x));
    if (doc_->reference())
        text += tr("   ref %1").arg((*doc_->reference())(z, y, x));
    if (const labels::SliceRef p = doc_->predictionProbability(z))
        text += tr("   p %1").arg(p[i] / 255.0, 0, 'f', 2);
    cursorLabel_->setText(text);
}

void MainWindow::updateModelLabel()
{
    const QString precision = seg_->modelPrecision();
    modelLabel_->setText(!seg_->hasProvider() ? tr("no model loaded")
                         : precision.isEmpty() ? tr("model: %1").arg(seg_->providerName())
                                               : tr("model: %1, %2").arg(seg_->providerName(), precision));
}

void MainWindow::segment(bool stack)
{
    QString why;
    const bool ok = stack ? seg_->segmentStack(view_->slice(), &why) : seg_->segmentSlice(view_->slice(), &why);
    if (ok)
        return;
    statusBar()->showMessage(why, 8000);
    if (interactive_)
        QMessageBox::information(this, tr("Segmentation not available"), why);
}

void MainWindow::updateTitle()
{
    QString name = doc_->hasImage() ? doc_->image()->name() : QString();
    setWindowTitle(name.isEmpty() ? QStringLiteral("Mitoseg Studio")
                                  : QStringLiteral("%1%2 — Mitoseg Studio").arg(name, doc_->isDirty() ? QStringLiteral(" *") : QString()));
}

bool MainWindow::startAutosave(int autosaveSeconds, bool acceptRecovery)
{
    bool restored = false;
    if (autosave_->hasRecovery()) {
        bool yes = acceptRecovery;
        if (interactive_)
            yes = QMessageBox::question(this, tr("Restore unsaved work?"),
                                        tr("Mitoseg Studio did not close cleanly last time. Restore the autosaved "
                                           "session and mask?"),
                                        QMessageBox::Yes | QMessageBox::No, QMessageBox::Yes)
                  == QMessageBox::Yes;
        if (yes) {
            QString error;
            if (auto rec = autosave_->recover(&error)) {
                restored = files_->applySession(rec->first, &rec->second);
            } else {
                statusBar()->showMessage(tr("Could not restore: %1").arg(error), 8000);
            }
        }
        autosave_->discard();
    }
    if (!autosave_->start(autosaveSeconds))
        statusBar()->showMessage(tr("Autosave is off in this window: %1").arg(autosave_->offReason()), 8000);
    return restored;
}

void MainWindow::closeEvent(QCloseEvent* e)
{
    if (!files_->maybeSave()) {
        e->ignore();
        return;
    }
    seg_->cancel();
    training_->stop();
    autosave_->finish();
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    e->accept();
}

void MainWindow::dragEnterEvent(QDragEnterEvent* e)
{
    if (e->mimeData()->hasUrls())
        e->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* e)
{
    // A .json opens as a session; the first TIFF opens as the stack; a second TIFF as its mask.
    const auto urls = e->mimeData()->urls();
    bool stackOpened = false;
    for (const QUrl& url : urls) {
        const QString f = url.toLocalFile();
        if (f.isEmpty())
            continue;
        if (f.endsWith(QStringLiteral(".json"), Qt::CaseInsensitive)) {
            if (files_->maybeSave())
                files_->openSession(f);
            return;
        }
        if (!stackOpened) {
            if (!files_->maybeSave())
                return;
            stackOpened = files_->openStack(f);
        } else {
            files_->openMask(f);
        }
    }
    e->acceptProposedAction();
}

}  // namespace mitoseg::ui
