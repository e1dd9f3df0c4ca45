#include "ui/IoUPanel.h"

#include <QColor>
#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QTimer>
#include <QVBoxLayout>

#include <cmath>

#include "ui/StudioDocument.h"

namespace mitoseg::ui {

namespace {
QString fmt(double v) { return std::isnan(v) ? QStringLiteral("—") : QString::number(v, 'f', 4); }
}  // namespace

IoUPanel::IoUPanel(StudioDocument* doc, QWidget* parent) : QWidget(parent), doc_(doc)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    note_ = new QLabel(this);
    note_->setWordWrap(true);
    layout->addWidget(note_);
    table_ = new QTableWidget(this);
    table_->setColumnCount(4);
    table_->setHorizontalHeaderLabels({tr("Slice\nIoU"), tr("Slice\nDice"), tr("Stack\nIoU"), tr("Stack\nDice")});
    for (int c : {2, 3})
        table_->horizontalHeaderItem(c)->setToolTip(
            tr("Over the whole stack: every slice for the mask, the predicted slices for the prediction"));
    table_->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    table_->verticalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->setSelectionMode(QAbstractItemView::NoSelection);
    table_->setFocusPolicy(Qt::NoFocus);
    table_->setWordWrap(false);
    layout->addWidget(table_);
    connect(doc_, &StudioDocument::maskChanged, this, &IoUPanel::scheduleRefresh);
    connect(doc_, &StudioDocument::referenceChanged, this, &IoUPanel::scheduleRefresh);
    connect(doc_, &StudioDocument::predictionChanged, this, &IoUPanel::scheduleRefresh);
    connect(doc_, &StudioDocument::imageChanged, this, &IoUPanel::scheduleRefresh);
    connect(doc_, &StudioDocument::classesChanged, this, &IoUPanel::scheduleRefresh);
    refresh();
}

int IoUPanel::row(int cls, bool prediction) const
{
    const int n = static_cast<int>(doc_->classes().size()) - 1;
    const int perSource = n > 1 ? n + 1 : 1;
    return (prediction ? perSource : 0) + (n > 1 ? cls : cls - 1);
}

QString IoUPanel::text(bool prediction, int cls, Metric metric) const
{
    const int n = static_cast<int>(doc_->classes().size()) - 1;
    if (cls < 0 || cls > n || (cls == 0 && n == 1))
        return QString();
    const QTableWidgetItem* item = table_->item(row(cls, prediction), metric);
    return item ? item->text() : QString();
}

QString IoUPanel::note() const { return note_->text(); }

void IoUPanel::setSlice(qint64 z)
{
    z_ = z;
    scheduleRefresh();
}

void IoUPanel::scheduleRefresh()
{
    if (pending_)
        return;
    pending_ = true;
    QTimer::singleShot(0, this, &IoUPanel::refresh);
}

void IoUPanel::refresh()
{
    pending_ = false;
    const auto& classes = doc_->classes();
    const int n = static_cast<int>(classes.size()) - 1;
    // Binary: one row per source. Multi-class: "any foreground" (slot 0) first, then each class.
    const int first = n > 1 ? 0 : 1;
    table_->setRowCount(2 * (n + 1 - first));
    const bool ref = doc_->hasImage() && doc_->reference();
    QString note = ref ? tr("Against the reference, slice %1.").arg(z_ + 1)
                       : tr("Open a reference mask (File ▸ Open reference) to see IoU and Dice.");
    const int predicted = doc_->predictedSlices();
    if (ref && predicted > 0 && predicted < doc_->shape().depth)
        note += QLatin1Char(' ') + tr("Stack figures of the prediction cover its %n predicted slice(s) only; the "
                                      "mask's cover every slice.", nullptr, predicted);
    note_->setText(note);
    const bool zOk = z_ >= 0 && z_ < doc_->shape().depth;
    for (int src = 0; src < 2; ++src) {
        for (int c = first; c <= n; ++c) {
            const int r = row(c, src == 1);
            QString header = src == 0 ? tr("Mask") : tr("Prediction");
            if (n > 1)
                header = (src == 0 ? QStringLiteral("%1") : tr("pred. %1"))
                             .arg(c == 0 ? tr("any") : QString::fromStdString(classes[static_cast<std::size_t>(c)].name));
            auto* head = new QTableWidgetItem(header);
            head->setToolTip(src == 0 ? tr("The mask against the reference") : tr("The prediction against the reference"));
            if (c > 0 && n > 1)
                head->setForeground(QColor(classes[static_cast<std::size_t>(c)].r, classes[static_cast<std::size_t>(c)].g,
                                           classes[static_cast<std::size_t>(c)].b));
            table_->setVerticalHeaderItem(r, head);
            const labels::ConfusionCounts& cc = src == 0 ? doc_->mask().confusion() : doc_->predictionConfusion();
            const bool sliceOk = ref && zOk && cc.depth() > z_ && cc.counted(z_) && cc.classes() > c;
            const labels::Confusion sc = sliceOk ? cc.slice(z_, c) : labels::Confusion{};
            const labels::Confusion t = ref && cc.classes() > c ? cc.stack(c) : labels::Confusion{};
            const double nan = std::nan("");
            const QString vals[4] = {fmt(sliceOk ? sc.iou() : nan), fmt(sliceOk ? sc.dice() : nan),
                                     fmt(ref ? t.iou() : nan), fmt(ref ? t.dice() : nan)};
            for (int m = 0; m < 4; ++m) {
                auto* item = table_->item(r, m);
                if (!item) {
                    item = new QTableWidgetItem;
                    item->setTextAlignment(Qt::AlignCenter);
                    table_->setItem(r, m, item);
                }
                item->setText(vals[m]);
            }
        }
    }
}

}  // namespace mitoseg::ui
