#include "ui/IoUPanel.h"

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
    refresh();
}

QString IoUPanel::text(bool prediction, int cls, Metric metric) const
{
    const QTableWidgetItem* item = table_->item(metric, 2 * (cls - 1) + (prediction ? 1 : 0));
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
    table_->setColumnCount(2 * n);
    const bool ref = doc_->hasImage() && doc_->reference();
    note_->setText(ref ? tr("Against the reference, slice %1").arg(z_ + 1)
                       : tr("Open a reference mask (File ▸ Open reference) to see IoU and Dice."));
    const bool zOk = z_ >= 0 && z_ < doc_->shape().depth;
    for (int c = 1; c <= n; ++c) {
        const QString name = QString::fromStdString(classes[static_cast<std::size_t>(c)].name);
        for (int src = 0; src < 2; ++src) {
            const int column = 2 * (c - 1) + src;
            const QString header = src == 0 ? tr("Mask") : tr("Prediction");
            table_->setHorizontalHeaderItem(column, new QTableWidgetItem(n == 1 ? header : header + QStringLiteral(" · ") + name));
            const labels::ConfusionCounts& cc = src == 0 ? doc_->mask().confusion() : doc_->predictionConfusion();
            const bool sliceOk = ref && zOk && cc.depth() > z_ && cc.counted(z_);
            const labels::Confusion s = sliceOk ? cc.slice(z_, c) : labels::Confusion{};
            const labels::Confusion t = ref && cc.classes() > c ? cc.stack(c) : labels::Confusion{};
            const double nan = std::nan("");
            const QString vals[4] = {fmt(sliceOk ? s.iou() : nan), fmt(sliceOk ? s.dice() : nan),
                                     fmt(ref ? t.iou() : nan), fmt(ref ? t.dice() : nan)};
            for (int row = 0; row < 4; ++row) {
                auto* item = table_->item(row, column);
                if (!item) {
                    item = new QTableWidgetItem;
                    item->setTextAlignment(Qt::AlignCenter);
                    table_->setItem(row, column, item);
                }
                item->setText(vals[row]);
            }
        }
    }
}

}  // namespace mitoseg::ui
