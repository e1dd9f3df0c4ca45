#include "ui/train/TrainingPanel.h"

#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineSeries>
#include <QListWidget>
#include <QSignalBlocker>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableWidget>
#include <QTimer>
#include <QValueAxis>
#include <QVBoxLayout>

#include "core/engine/ComputePrecision.h"
#include "ui/StudioDocument.h"
#include "ui/train/LabelledSlices.h"
#include "ui/train/TrainingController.h"

namespace mitoseg::ui {

namespace {

QString iouText(double v) { return v >= 0 ? QString::number(v, 'f', 4) : QStringLiteral("–"); }

/// 1-based slice numbers with runs folded: "1–40,43".
QString sliceRanges(const std::vector<std::int64_t>& slices)
{
    QStringList parts;
    for (std::size_t i = 0; i < slices.size();) {
        std::size_t j = i;
        while (j + 1 < slices.size() && slices[j + 1] == slices[j] + 1)
            ++j;
        parts << (j > i ? QStringLiteral("%1–%2").arg(slices[i] + 1).arg(slices[j] + 1) : QString::number(slices[i] + 1));
        i = j + 1;
    }
    return parts.join(QLatin1Char(','));
}

QString duration(double s)
{
    const int t = static_cast<int>(s + 0.5);
    return QStringLiteral("%1:%2").arg(t / 60).arg(t % 60, 2, 10, QLatin1Char('0'));
}

QChartView* chartView(QChart* chart, int height)
{
    chart->legend()->setAlignment(Qt::AlignBottom);
    chart->setMargins(QMargins(2, 2, 2, 2));
    auto* view = new QChartView(chart);
    view->setRenderHint(QPainter::Antialiasing);
    view->setMinimumHeight(height);
    return view;
}

}  // namespace

TrainingPanel::TrainingPanel(TrainingController* training, StudioDocument* doc, std::function<std::int64_t()> shownSlice,
                             QWidget* parent)
    : QWidget(parent), training_(training), doc_(doc), shownSlice_(std::move(shownSlice))
{
    setMinimumWidth(400);   // the rounds table shows every column, the buttons their labels
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 4, 6, 4);
    layout->setSpacing(4);
    // One line each, no word wrap: a wrapping label makes the dock's scroll area size the panel
    // by its preferred height (height-for-width), which pushes the rounds out of a 900-pixel view.
    counts_ = new QLabel(this);
    layout->addWidget(counts_);
    slices_ = new QListWidget(this);
    slices_->setToolTip(tr("Labelled slices. Tick a slice to set it aside for validation (never trained on; each "
                           "round is scored on it). Double-click to go to it."));
    slices_->setFlow(QListView::LeftToRight);
    slices_->setWrapping(true);
    slices_->setResizeMode(QListView::Adjust);
    slices_->setUniformItemSizes(true);
    slices_->setGridSize(QSize(fontMetrics().horizontalAdvance(QStringLiteral("0000")) + 30, fontMetrics().height() + 6));
    slices_->setFixedHeight(slices_->gridSize().height() * 2 + 2 * slices_->frameWidth() + 2);
    layout->addWidget(slices_);
    validation_ = new QLabel(this);
    validation_->setToolTip(tr("Validation slices are never trained on; training and every round are scored on them. "
                               "Tick labelled slices in the list (or press V on one) to set them aside and score them "
                               "against your labels; with none set aside and a reference open, the reference on the "
                               "last run of up to 8 slices with no label is used."));
    layout->addWidget(validation_);
    next_ = new QPushButton(tr("Next slice to correct  (N)"), this);
    next_->setToolTip(tr("Jump to the predicted slice the model is least sure of that is not labelled yet (N)"));
    layout->addWidget(next_);

    auto* form = new QFormLayout;
    startFrom_ = new QComboBox(this);
    startFrom_->addItem(tr("Current model (fine-tune)"));
    startFrom_->addItem(tr("From scratch (fast U-Net)"));
    form->addRow(tr("Start from"), startFrom_);
    seconds_ = new QSpinBox(this);
    seconds_->setRange(1, 24 * 3600);
    seconds_->setValue(60);
    seconds_->setSuffix(tr(" s"));
    seconds_->setToolTip(tr("Wall-time budget of a training run or a retraining round"));
    form->addRow(tr("Duration"), seconds_);
    QString precision = QString::fromStdString(describeDefaultPrecision());
    if (!defaultBf16() && defaultInt8())
        precision += tr("; segments in int8");
    auto* compute = new QLabel(precision, this);
    compute->setObjectName(QStringLiteral("computePrecision"));
    compute->setToolTip(tr("Number format of training and prediction: bfloat16 where the CPU has AVX512-BF16 or AMX "
                           "(2-4x faster), else float32 training and 8-bit prediction (about 2x faster than float32, "
                           "ranges measured on three slices of the stack). MITOSEG_PRECISION=bf16|fp32|int8 overrides it."));
    if (const std::string why = int8Unavailable(); !why.empty())
        compute->setToolTip(compute->toolTip() + QStringLiteral("\n") + tr("On this CPU %1.").arg(QString::fromStdString(why)));
    form->addRow(tr("Compute"), compute);
    layout->addLayout(form);

    auto* buttons = new QHBoxLayout;
    train_ = new QPushButton(tr("Train"), this);
    train_->setToolTip(tr("Train on the labelled slices for the chosen duration"));
    retrain_ = new QPushButton(tr("Retrain"), this);
    retrain_->setToolTip(tr("One round: fine-tune the current model on the slices corrected since the last round "
                            "(earlier ones replayed), then swap it in and re-predict"));
    stop_ = new QPushButton(tr("Stop"), this);
    stop_->setEnabled(false);
    buttons->addWidget(train_);
    buttons->addWidget(retrain_);
    buttons->addWidget(stop_);
    layout->addLayout(buttons);
    progress_ = new QProgressBar(this);
    progress_->setRange(0, 1);
    progress_->setValue(0);
    progress_->setFormat(tr("idle"));
    layout->addWidget(progress_);

    // Live chart: loss (left axis) and validation IoU (right axis, 0..1) against the step.
    auto* chart = new QChart;
    loss_ = new QLineSeries(chart);
    loss_->setName(tr("loss"));
    iou_ = new QLineSeries(chart);
    iou_->setName(tr("validation IoU"));
    iou_->setPointsVisible(true);
    chart->addSeries(loss_);
    chart->addSeries(iou_);
    stepAxis_ = new QValueAxis(chart);
    stepAxis_->setLabelFormat(QStringLiteral("%d"));
    stepAxis_->setTitleText(tr("step"));
    lossAxis_ = new QValueAxis(chart);
    lossAxis_->setRange(0, 1);
    auto* iouAxis = new QValueAxis(chart);
    iouAxis->setRange(0, 1);
    chart->addAxis(stepAxis_, Qt::AlignBottom);
    chart->addAxis(lossAxis_, Qt::AlignLeft);
    chart->addAxis(iouAxis, Qt::AlignRight);
    loss_->attachAxis(stepAxis_);
    loss_->attachAxis(lossAxis_);
    iou_->attachAxis(stepAxis_);
    iou_->attachAxis(iouAxis);
    // The live chart, the rounds table and the IoU per round share the lower half as tabs: the
    // dock then fits a 900-pixel screen under the Tools dock. A run shows its chart; a finished
    // round shows the rounds.
    tabs_ = new QTabWidget(this);
    tabs_->addTab(chartView(chart, 120), tr("Training"));
    auto* roundsPage = new QWidget(tabs_);
    auto* roundsLayout = new QVBoxLayout(roundsPage);
    roundsLayout->setContentsMargins(0, 2, 0, 0);
    roundsLayout->setSpacing(2);
    tabs_->addTab(roundsPage, tr("Rounds"));
    layout->addWidget(tabs_, 1);

    table_ = new QTableWidget(0, 7, this);
    table_->setHorizontalHeaderLabels({tr("#"), tr("Kind"), tr("Slices"), tr("Steps"), tr("s"), tr("IoU before"), tr("IoU after")});
    table_->horizontalHeaderItem(0)->setToolTip(tr("Round (▶ the model in use)"));
    table_->horizontalHeaderItem(4)->setToolTip(tr("Seconds of training"));
    table_->horizontalHeaderItem(5)->setToolTip(tr("IoU on the validation slices before the round"));
    table_->horizontalHeaderItem(6)->setToolTip(tr("IoU on the validation slices after the round (re-predicted)"));
    table_->verticalHeader()->setVisible(false);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::SingleSelection);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    // Every column but the slices fits its contents; the slices column takes what is left and
    // elides, so the IoU columns at the right are never cut off.
    table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    table_->horizontalHeader()->setSectionResizeMode(2, QHeaderView::Stretch);
    table_->horizontalHeader()->setStretchLastSection(false);
    table_->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    table_->setTextElideMode(Qt::ElideRight);
    table_->setWordWrap(false);
    table_->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 6);
    table_->setMinimumHeight(84);
    roundsLayout->addWidget(table_, 1);

    auto* roundChart = new QChart;
    roundChart->setTitle(tr("IoU per round"));
    roundIoU_ = new QLineSeries(roundChart);
    roundIoU_->setName(tr("validation IoU after the round"));
    roundIoU_->setPointsVisible(true);
    roundChart->addSeries(roundIoU_);
    roundAxis_ = new QValueAxis(roundChart);
    roundAxis_->setLabelFormat(QStringLiteral("%d"));
    roundAxis_->setRange(0, 1);
    roundIoUAxis_ = new QValueAxis(roundChart);
    roundIoUAxis_->setLabelFormat(QStringLiteral("%.2f"));
    roundIoUAxis_->setRange(0, 1);
    auto* roundIoUAxis = roundIoUAxis_;
    roundChart->addAxis(roundAxis_, Qt::AlignBottom);
    roundChart->addAxis(roundIoUAxis, Qt::AlignLeft);
    roundIoU_->attachAxis(roundAxis_);
    roundIoU_->attachAxis(roundIoUAxis);
    roundChart->legend()->hide();
    tabs_->addTab(chartView(roundChart, 120), tr("IoU per round"));

    auto* roundButtons = new QHBoxLayout;
    useRound_ = new QPushButton(tr("Use this round's model"), this);
    useRound_->setMinimumWidth(useRound_->sizeHint().width());
    useRound_->setToolTip(tr("Go back (or forward) to the selected round's model and re-predict; your corrections stay"));
    roundButtons->addWidget(useRound_);
    roundButtons->addStretch(1);
    roundsLayout->addLayout(roundButtons);

    chartTimer_ = new QTimer(this);
    chartTimer_->setInterval(250);   // the chart redraws a few times a second, not per step
    connect(chartTimer_, &QTimer::timeout, this, &TrainingPanel::flushChart);

    connect(train_, &QPushButton::clicked, this, [this] { start(false); });
    connect(retrain_, &QPushButton::clicked, this, [this] { start(true); });
    connect(stop_, &QPushButton::clicked, training_, &TrainingController::stop);
    connect(next_, &QPushButton::clicked, this, &TrainingPanel::nextSliceToCorrect);
    connect(useRound_, &QPushButton::clicked, this, [this] {
        const int row = table_->currentRow();
        QString why;
        if (row < 0)
            Q_EMIT message(tr("Select a round in the table first"));
        else if (!training_->useRound(row, shownSlice_(), &why))
            Q_EMIT message(why);
    });
    connect(training_, &TrainingController::started, this, &TrainingPanel::onStarted);
    connect(training_, &TrainingController::progress, this, &TrainingPanel::onProgress);
    connect(training_, &TrainingController::finished, this, &TrainingPanel::onFinished);
    connect(training_, &TrainingController::roundsChanged, this, &TrainingPanel::refreshRounds);
    connect(slices_, &QListWidget::itemChanged, this, [this](QListWidgetItem* item) {
        training_->setValidationSlice(item->data(Qt::UserRole).toLongLong(), item->checkState() == Qt::Checked);
    });
    connect(slices_, &QListWidget::itemActivated, this,
            [this](QListWidgetItem* item) { Q_EMIT jumpToSlice(item->data(Qt::UserRole).toLongLong()); });
    connect(doc_, kLabelledSlicesChanged, this, &TrainingPanel::refreshCounts);
    connect(doc_, &StudioDocument::imageChanged, this, &TrainingPanel::refreshCounts);
    connect(doc_, &StudioDocument::referenceChanged, this, &TrainingPanel::refreshCounts);
    connect(training_, &TrainingController::validationChanged, this, &TrainingPanel::refreshCounts);
    refreshCounts();
    refreshRounds();
}

void TrainingPanel::start(bool round)
{
    training_->options().seconds = seconds_->value();
    training_->options().fromScratch = startFrom_->currentIndex() == 1;
    QString why;
    const bool ok = round ? training_->retrain(shownSlice_(), &why) : training_->startTraining(shownSlice_(), &why);
    if (!ok)
        Q_EMIT message(why);
}

void TrainingPanel::onStarted(bool round)
{
    loss_->clear();
    iou_->clear();
    pending_.clear();
    maxLoss_ = 0;
    stepAxis_->setRange(0, 1);
    train_->setEnabled(false);
    retrain_->setEnabled(false);
    useRound_->setEnabled(false);
    stop_->setEnabled(true);
    progress_->setRange(0, 0);
    progress_->setFormat(round ? tr("retraining: preparing…") : tr("training: preparing…"));
    tabs_->setCurrentIndex(0);
    chartTimer_->start();
}

void TrainingPanel::onProgress(const TrainingPoint& p)
{
    pending_.push_back(p);
}

void TrainingPanel::flushChart()
{
    if (pending_.empty())
        return;
    QList<QPointF> losses, ious;
    for (const TrainingPoint& p : pending_) {
        if (p.phase != QStringLiteral("training"))
            continue;
        losses.append(QPointF(static_cast<double>(p.step), p.averageLoss));
        maxLoss_ = std::max(maxLoss_, p.averageLoss);
        if (p.validated)
            ious.append(QPointF(static_cast<double>(p.step), p.valIoU));
    }
    const TrainingPoint last = pending_.back();
    pending_.clear();
    loss_->append(losses);
    iou_->append(ious);
    if (last.phase == QStringLiteral("training")) {
        stepAxis_->setRange(0, static_cast<double>(std::max<std::int64_t>(1, last.totalSteps)));
        lossAxis_->setRange(0, std::max(0.1, maxLoss_ * 1.05));
        progress_->setRange(0, static_cast<int>(std::max<std::int64_t>(1, last.totalSteps)));
        progress_->setValue(static_cast<int>(last.step));
        progress_->setFormat(tr("step %1 / ~%2 · ETA %3").arg(last.step).arg(last.totalSteps).arg(duration(last.etaSeconds)));
    } else {
        progress_->setRange(0, 0);
        progress_->setFormat(tr("scoring the new model…"));
    }
}

void TrainingPanel::onFinished(bool ok, const QString& text)
{
    flushChart();
    chartTimer_->stop();
    train_->setEnabled(true);
    retrain_->setEnabled(true);
    useRound_->setEnabled(true);
    stop_->setEnabled(false);
    progress_->setRange(0, 1);
    progress_->setValue(ok ? 1 : 0);
    progress_->setFormat(ok ? tr("done") : tr("stopped"));
    if (ok)
        tabs_->setCurrentIndex(1);
    Q_EMIT message(text);
}

void TrainingPanel::refreshCounts()
{
    const auto lab = labelledSlices(*doc_);
    const auto train = training_->trainingSlices();
    const auto val = training_->validationSlices();
    counts_->setText(tr("<b>Labelled %1</b> · training %2 · validation %3").arg(lab.size()).arg(train.size()).arg(val.size()));
    QString where;
    if (!training_->validationFromReference()) {
        QStringList list;
        for (std::size_t i = 0; i < val.size() && i < 6; ++i)
            list << QString::number(val[i] + 1);
        if (val.size() > 6)
            list << QStringLiteral("…");
        where = tr("Validation: slice(s) %1 (your labels)").arg(list.join(QStringLiteral(", ")));
    } else if (!val.empty()) {
        where = tr("Validation: the reference on slices %1–%2").arg(val.front() + 1).arg(val.back() + 1);
    } else {
        where = tr("Validation: none (tick slices above, or open a reference)");
    }
    validation_->setText(where);
    refreshSlices();
}

void TrainingPanel::refreshSlices()
{
    const QSignalBlocker block(slices_);   // rebuilding must not echo back as validation changes
    const auto lab = labelledSlices(*doc_);
    const int keep = slices_->currentRow();
    slices_->clear();
    for (const std::int64_t z : lab) {
        const LabelSource src = doc_->sliceLabelSource(z);
        const QString why = src == LabelSource::Edited ? tr("edited") : src == LabelSource::Accepted ? tr("accepted") : tr("marked");
        auto* item = new QListWidgetItem(QString::number(z + 1), slices_);
        item->setData(Qt::UserRole, static_cast<qlonglong>(z));
        item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsUserCheckable);
        const bool val = training_->isUserValidation(z);
        item->setCheckState(val ? Qt::Checked : Qt::Unchecked);
        item->setToolTip(tr("Slice %1 (%2): %3").arg(z + 1).arg(why, val ? tr("validation") : tr("training")));
    }
    if (keep >= 0 && keep < slices_->count())
        slices_->setCurrentRow(keep);
}

void TrainingPanel::refreshRounds()
{
    const auto& rounds = training_->rounds();
    table_->setRowCount(static_cast<int>(rounds.size()));
    QList<QPointF> points;
    for (int i = 0; i < static_cast<int>(rounds.size()); ++i) {
        const TrainingRound& r = rounds[static_cast<std::size_t>(i)];
        QStringList all;
        for (auto z : r.slices)
            all << QString::number(z + 1);
        const QString kind = r.kind == TrainingRound::Kind::Start ? tr("start") : r.kind == TrainingRound::Kind::Train ? tr("train") : tr("retrain");
        const QStringList cells = {(i == training_->currentRound() ? QStringLiteral("▶ ") : QString()) + QString::number(r.number), kind,
                                   sliceRanges(r.slices), QString::number(r.steps), QString::number(r.seconds, 'f', 1),
                                   iouText(r.iouBefore), iouText(r.iouAfter)};
        for (int c = 0; c < cells.size(); ++c) {
            auto* item = new QTableWidgetItem(cells[c]);
            item->setToolTip(tr("Slices %1\n%2").arg(all.join(QStringLiteral(", ")), r.model));
            table_->setItem(i, c, item);
        }
        if (r.iouAfter >= 0)
            points.append(QPointF(r.number, r.iouAfter));
    }
    roundIoU_->replace(points);
    const int last = std::max(1, static_cast<int>(rounds.size()) - 1);
    roundAxis_->setRange(0, last);
    roundAxis_->setTickCount(std::min(last, 10) + 1);
    // The IoU axis hugs the values, so a trend of a few hundredths shows.
    double lo = 1, hi = 0;
    for (const QPointF& p : points) {
        lo = std::min(lo, p.y());
        hi = std::max(hi, p.y());
    }
    if (points.isEmpty())
        roundIoUAxis_->setRange(0, 1);
    else
        roundIoUAxis_->setRange(std::max(0.0, lo - 0.02), std::min(1.0, hi + 0.02));
    refreshCounts();
}

void TrainingPanel::nextSliceToCorrect()
{
    const std::int64_t z = training_->nextSliceToCorrect();
    if (z < 0) {
        Q_EMIT message(tr("No predicted slice left to correct: segment the stack first"));
        return;
    }
    Q_EMIT jumpToSlice(z);
    Q_EMIT message(tr("Slice %1: the model is least sure here").arg(z + 1));
}

}  // namespace mitoseg::ui
