#include "ui/surface/VoxelSizeDialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>

namespace mitoseg::ui {

namespace {
QDoubleSpinBox* sizeBox(QWidget* parent)
{
    auto* box = new QDoubleSpinBox(parent);
    box->setDecimals(4);
    box->setRange(0.0001, 1e6);
    box->setSingleStep(1.0);
    return box;
}
}  // namespace

VoxelSizeDialog::VoxelSizeDialog(const Spacing& spacing, QWidget* parent) : QDialog(parent)
{
    setWindowTitle(tr("Voxel size"));
    z_ = sizeBox(this);
    y_ = sizeBox(this);
    x_ = sizeBox(this);
    unit_ = new QComboBox(this);
    unit_->setEditable(true);
    unit_->addItems({QStringLiteral("nm"), QStringLiteral("um"), QStringLiteral("px")});
    unit_->setToolTip(tr("nm or um (micrometres); px when the size is unknown"));

    auto* note = new QLabel(tr("Used by the 3D measurements (volume, area, centroids). The stack's own "
                               "calibration is the default."),
                            this);
    note->setWordWrap(true);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto* form = new QFormLayout(this);
    form->addRow(note);
    form->addRow(tr("Slice spacing (z):"), z_);
    form->addRow(tr("Pixel height (y):"), y_);
    form->addRow(tr("Pixel width (x):"), x_);
    form->addRow(tr("Unit:"), unit_);
    form->addRow(buttons);
    setSpacing(spacing);
}

Spacing VoxelSizeDialog::spacing() const
{
    const QString unit = unit_->currentText().trimmed();
    return Spacing{z_->value(), y_->value(), x_->value(), unit.isEmpty() ? std::string("px") : unit.toStdString()};
}

void VoxelSizeDialog::setSpacing(const Spacing& spacing)
{
    z_->setValue(spacing.z);
    y_->setValue(spacing.y);
    x_->setValue(spacing.x);
    unit_->setCurrentText(QString::fromStdString(spacing.unit.empty() ? std::string("px") : spacing.unit));
}

}  // namespace mitoseg::ui
