#include "ui/train/ModelManager.h"

#include <QDialogButtonBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

#include "core/engine/ModelSummary.h"
#include "core/engine/Segmenter.h"
#include "ui/FileController.h"
#include "ui/SegmentationController.h"
#include "ui/StudioDocument.h"
#include "ui/train/TrainingController.h"

namespace mitoseg::ui {

namespace {

QString iou(double v) { return v >= 0 ? QString::number(v, 'f', 4) : QStringLiteral("–"); }

bool sameFile(const QString& a, const QString& b)
{
    return !a.isEmpty() && !b.isEmpty() && QFileInfo(a).absoluteFilePath() == QFileInfo(b).absoluteFilePath();
}

}  // namespace

ModelManager::ModelManager(StudioDocument* doc, SegmentationController* seg, TrainingController* training, FileController* files,
                           QWidget* parent)
    : QDialog(parent), doc_(doc), training_(training)
{
    setWindowTitle(tr("Model"));
    setMinimumWidth(560);
    auto* layout = new QVBoxLayout(this);
    title_ = new QLabel(this);
    title_->setWordWrap(true);
    title_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(title_);
    form_ = new QFormLayout;
    form_->setRowWrapPolicy(QFormLayout::WrapLongRows);
    layout->addLayout(form_);
    auto* buttons = new QHBoxLayout;
    open_ = new QPushButton(tr("Open model…"), this);
    shipped_ = new QPushButton(tr("Use the shipped model"), this);
    saveAs_ = new QPushButton(tr("Save a copy as…"), this);
    saveAs_->setToolTip(tr("Write the model in use to a file of your choice (e.g. to use with `mitoseg predict`)"));
    buttons->addWidget(open_);
    buttons->addWidget(shipped_);
    buttons->addStretch(1);
    buttons->addWidget(saveAs_);
    layout->addLayout(buttons);
    auto* close = new QDialogButtonBox(QDialogButtonBox::Close, this);
    layout->addWidget(close);
    connect(close, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(open_, &QPushButton::clicked, files, &FileController::openModelDialog);
    connect(shipped_, &QPushButton::clicked, files, &FileController::openShippedModel);
    connect(saveAs_, &QPushButton::clicked, files, &FileController::saveModelAsDialog);
    connect(seg, &SegmentationController::providerChanged, this, &ModelManager::refresh);
    connect(training, &TrainingController::roundsChanged, this, &ModelManager::refresh);
    rebuild();
}

void ModelManager::refresh()
{
    if (!isVisible()) {
        stale_ = true;
        return;
    }
    rebuild();
}

void ModelManager::showEvent(QShowEvent* e)
{
    if (stale_)
        rebuild();
    QDialog::showEvent(e);
}

void ModelManager::rebuild()
{
    stale_ = false;
    while (form_->rowCount() > 0)
        form_->removeRow(0);
    const QString path = doc_->modelPath();
    const auto shipped = Segmenter::defaultModelPath();
    const bool isShipped = sameFile(path, QString::fromStdString(shipped.string()));
    shipped_->setEnabled(!shipped.empty() && !isShipped);
    saveAs_->setEnabled(!path.isEmpty());
    if (path.isEmpty()) {
        title_->setText(tr("<b>No model loaded.</b> Open one, use the shipped model, or train one in the Training dock."));
        return;
    }
    title_->setText(isShipped ? tr("<b>The shipped model</b> (the default)") : tr("<b>%1</b>").arg(QFileInfo(path).fileName()));
    auto addRow = [this](const QString& label, const QString& value) {
        auto* v = new QLabel(value, this);
        v->setWordWrap(true);
        v->setTextInteractionFlags(Qt::TextSelectableByMouse);
        v->setObjectName(label);
        form_->addRow(label, v);
    };
    try {
        for (const ModelField& f : describeModelFile(path.toStdString()))
            addRow(QString::fromStdString(f.label), QString::fromStdString(f.value));
    } catch (const std::exception& e) {
        addRow(tr("error"), QString::fromStdString(e.what()));
    }
    // The rounds of this session: which one made this model, and the trend up to it.
    QStringList lines;
    for (const TrainingRound& r : training_->rounds()) {
        const bool mine = sameFile(r.model, path);
        const QString kind = r.kind == TrainingRound::Kind::Start ? tr("start") : r.kind == TrainingRound::Kind::Train ? tr("train") : tr("retrain");
        lines << tr("%1round %2 (%3): %4 slice(s), %5 steps in %6 s, validation IoU %7 → %8%9")
                     .arg(mine ? QStringLiteral("▶ ") : QString())
                     .arg(r.number)
                     .arg(kind)
                     .arg(r.slices.size())
                     .arg(r.steps)
                     .arg(r.seconds, 0, 'f', 1)
                     .arg(iou(r.iouBefore), iou(r.iouAfter), mine ? tr(" (this model)") : QString());
    }
    addRow(tr("rounds"), lines.isEmpty() ? tr("none in this session") : lines.join(QLatin1Char('\n')));
}

QString ModelManager::field(const QString& label) const
{
    for (int i = 0; i < form_->rowCount(); ++i) {
        auto* l = qobject_cast<QLabel*>(form_->itemAt(i, QFormLayout::FieldRole) ? form_->itemAt(i, QFormLayout::FieldRole)->widget() : nullptr);
        if (l && l->objectName() == label)
            return l->text();
    }
    return {};
}

}  // namespace mitoseg::ui
