#pragma once
// The model manager (File ▸ Model…): which model is in use (the shipped one by default), what
// its file says about itself (architecture, classes, what it was trained on, steps,
// validation IoU; core's describeModelFile, the same text as `mitoseg info`), the rounds of
// this session that made it, and Open / Use the shipped model / Save a copy as. Thin: every
// action is one call into FileController. GUI thread only; does not own what it is given.
#include <QDialog>

class QFormLayout;
class QLabel;
class QPushButton;

namespace mitoseg::ui {

class FileController;
class SegmentationController;
class StudioDocument;
class TrainingController;

class ModelManager : public QDialog {
    Q_OBJECT
public:
    ModelManager(StudioDocument* doc, SegmentationController* seg, TrainingController* training, FileController* files,
                 QWidget* parent = nullptr);

    /// The value shown for `label` ("architecture", "trained on", "rounds", ...); empty when absent.
    QString field(const QString& label) const;
    QPushButton* openButton() const { return open_; }
    QPushButton* shippedButton() const { return shipped_; }
    QPushButton* saveAsButton() const { return saveAs_; }

public Q_SLOTS:
    /// Re-reads the model in use (called when it changes; while hidden it only notes that the
    /// view is stale, as reading a model file takes a moment on the GUI thread).
    void refresh();

protected:
    void showEvent(QShowEvent* e) override;

private:
    void rebuild();
    bool stale_ = false;
    StudioDocument* doc_;
    TrainingController* training_;
    QLabel* title_;
    QFormLayout* form_;
    QPushButton *open_, *shipped_, *saveAs_;
};

}  // namespace mitoseg::ui
