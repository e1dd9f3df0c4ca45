#pragma once
// The Training dock: labelled-slice and validation counts, start from the current model or from
// scratch, the time budget, Train / Retrain / Stop, a live chart of training loss and validation
// IoU, a progress bar with ETA, the rounds table with a small IoU-per-round chart, going back to
// a round's model, and "Next slice to correct". Thin: every action is one call into
// TrainingController. GUI thread only.
#include <QWidget>

#include <functional>
#include <vector>

#include "ui/train/TrainingWorker.h"

class QComboBox;
class QLabel;
class QLineSeries;
class QListWidget;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableWidget;
class QTabWidget;
class QTimer;
class QValueAxis;

namespace mitoseg::ui {

class StudioDocument;
class TrainingController;

class TrainingPanel : public QWidget {
    Q_OBJECT
public:
    /// `shownSlice` tells which slice is on screen (re-prediction starts there).
    TrainingPanel(TrainingController* training, StudioDocument* doc, std::function<std::int64_t()> shownSlice,
                  QWidget* parent = nullptr);

    /// For tests and the benchmark: the live chart's series and the controls.
    QLineSeries* lossSeries() const { return loss_; }
    QLineSeries* iouSeries() const { return iou_; }
    QLineSeries* roundSeries() const { return roundIoU_; }
    QProgressBar* progressBar() const { return progress_; }
    QTableWidget* roundsTable() const { return table_; }
    /// The lower half: tab 0 the live chart, tab 1 the rounds (table, "use this round"), tab 2
    /// the IoU per round.
    QTabWidget* tabs() const { return tabs_; }
    QPushButton* trainButton() const { return train_; }
    QPushButton* retrainButton() const { return retrain_; }
    QPushButton* stopButton() const { return stop_; }
    QSpinBox* secondsBox() const { return seconds_; }
    QComboBox* startFromBox() const { return startFrom_; }
    /// The labelled slices, one item each (user data: the 0-based slice); checked = set aside
    /// for validation. Activating an item jumps to its slice.
    QListWidget* slicesList() const { return slices_; }
    /// The counts line ("labelled N · training T · validation V").
    QLabel* countsLabel() const { return counts_; }

public Q_SLOTS:
    /// Jumps to the most uncertain unlabelled slice (or says there is none).
    void nextSliceToCorrect();

Q_SIGNALS:
    void jumpToSlice(qint64 z);
    /// A one-line status for the status bar.
    void message(const QString& text);

private:
    void start(bool round);
    void onStarted(bool round);
    void onProgress(const TrainingPoint& p);
    void flushChart();
    void onFinished(bool ok, const QString& message);
    void refreshCounts();
    void refreshSlices();
    void refreshRounds();

    TrainingController* training_;
    StudioDocument* doc_;
    std::function<std::int64_t()> shownSlice_;
    QLabel* counts_;
    QLabel* validation_;
    QListWidget* slices_;
    QComboBox* startFrom_;
    QSpinBox* seconds_;
    QPushButton *train_, *retrain_, *stop_, *useRound_, *next_;
    QProgressBar* progress_;
    QLineSeries *loss_, *iou_, *roundIoU_;
    QValueAxis *lossAxis_, *stepAxis_, *roundAxis_, *roundIoUAxis_;
    QTableWidget* table_;
    QTabWidget* tabs_;
    QTimer* chartTimer_;
    std::vector<TrainingPoint> pending_;   ///< points waiting for the next chart refresh
    double maxLoss_ = 0;
};

}  // namespace mitoseg::ui
