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
    table_->setRowCount(4);
    table_->setVerticalHeaderLabels({tr("Slice IoU"), tr("Slice Dice"), tr("Stack IoU"), tr("Stack Dice")});
    table_->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    table_->verticalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->setSelectionMode(QAbstractItemView::NoSelection);
    table_->setFocusPolicy(Qt::NoFocus);
    layout->addWidget(table_);
    connect(doc_, &StudioDocument::maskChanged, this, &IoUPanel::scheduleRefresh);
    connect(doc_, &StudioDocument::referenceChanged, this, &IoUPanel::scheduleRefresh);
    connect(doc_, &StudioDocument::predictionChanged, this, &IoUPanel::scheduleRefresh);
    connect(doc_, &StudioDocument::imageChanged, this, &IoUPanel::scheduleRefresh);
    connect(doc_, &StudioDocument::classesChanged, this, &IoUPanel::scheduleRefresh);
    refresh();
}

int IoUPanel::column(int cls, bool prediction) const
{
    const int n = static_cast<int>(doc_->classes().size()) - 1;
    const int src = prediction ? 1 : 0;
    return n > 1 ? 2 * cls + src : 2 * (cls - 1) + src;
}

QString IoUPanel::text(bool prediction, int cls, Metric metric) const
{
    const int n = static_cast<int>(doc_->classes().size()) - 1;
    if (cls < 0 || cls > n || (cls == 0 && n == 1))
        return QString();
    const QTableWidgetItem* item = table_->item(metric, column(cls, prediction));
    return item ? item->text() : QString();
}

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
    const auto& classes = doc_->mask().classes();
    const int n = static_cast<int>(classes.size()) - 1;
    // Binary: one class (mask, prediction). Multi-class: "any foreground" (slot 0) first, then
    // each class.
    const int first = n > 1 ? 0 : 1;
    table_->setColumnCount(2 * (n + 1 - first));
    const bool ref = doc_->hasImage() && doc_->reference();
    note_->setText(ref ? tr("Against the reference, slice %1").arg(z_ + 1)
                       : tr("Open a reference mask (File ▸ Open reference) to see IoU and Dice."));
    const bool zOk = z_ >= 0 && z_ < doc_->shape().depth;
    for (int c = first; c <= n; ++c) {
        const QString name = c == 0 ? tr("any") : QString::fromStdString(classes[static_cast<std::size_t>(c)].name);
        for (int src = 0; src < 2; ++src) {
            const int col = column(c, src == 1);
            const QString header = src == 0 ? tr("Mask") : tr("Prediction");
            auto* head = new QTableWidgetItem(n == 1 ? header : header + QStringLiteral("\n") + name);
            if (c > 0 && n > 1)
                head->setForeground(QColor(classes[static_cast<std::size_t>(c)].r, classes[static_cast<std::size_t>(c)].g,
                                           classes[static_cast<std::size_t>(c)].b));
            table_->setHorizontalHeaderItem(col, head);
            const labels::ConfusionCounts& cc = src == 0 ? doc_->mask().confusion() : doc_->predictionConfusion();
            const bool sliceOk = ref && zOk && cc.depth() > z_ && cc.counted(z_);
            const labels::Confusion s = sliceOk ? cc.slice(z_, c) : labels::Confusion{};
            const labels::Confusion t = ref && cc.classes() > c ? cc.stack(c) : labels::Confusion{};
            const double nan = std::nan("");
            const QString vals[4] = {fmt(sliceOk ? s.iou() : nan), fmt(sliceOk ? s.dice() : nan),
                                     fmt(ref ? t.iou() : nan), fmt(ref ? t.dice() : nan)};
            for (int row = 0; row < 4; ++row) {
                auto* item = table_->item(row, col);
                if (!item) {
                    item = new QTableWidgetItem;
                    item->setTextAlignment(Qt::AlignCenter);
                    table_->setItem(row, col, item);
                }
                item->setText(vals[row]);
            }
        }
    }
}

}  // namespace mitoseg::ui
