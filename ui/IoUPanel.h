#pragma once
// Dock panel with foreground IoU and Dice per class, for the shown slice and the whole stack,
// of the mask and of the prediction against the reference. Refreshes live while painting
// (coalesced: at most once per event-loop turn). GUI thread only; does not own the document.
#include <QWidget>

#include <cstdint>

class QLabel;
class QTableWidget;

namespace mitoseg::ui {

class StudioDocument;

class IoUPanel : public QWidget {
    Q_OBJECT
public:
    explicit IoUPanel(StudioDocument* doc, QWidget* parent = nullptr);

    enum Metric { SliceIoU = 0, SliceDice = 1, StackIoU = 2, StackDice = 3 };
    /// Columns: the four metrics. Rows: the mask's classes, then the prediction's; with more
    /// than one foreground class, "any foreground" (class 0) comes first in each.
    /// Cells hold "—" when undefined, else the value with 4 decimals.
    QTableWidget* table() const { return table_; }
    /// Text shown for `metric` of class `cls` (>= 1; 0 = any foreground, multi-class only) of
    /// the mask or the prediction; empty for a class not shown.
    QString text(bool prediction, int cls, Metric metric) const;
    /// The line above the table: which slice, and what the stack figures cover.
    QString note() const;

public Q_SLOTS:
    void setSlice(qint64 z);
    /// Recomputes the table now.
    void refresh();
    /// Schedules refresh() for the next event-loop turn.
    void scheduleRefresh();

private:
    int row(int cls, bool prediction) const;

    StudioDocument* doc_;
    QTableWidget* table_;
    QLabel* note_;
    std::int64_t z_ = 0;
    bool pending_ = false;
};

}  // namespace mitoseg::ui
