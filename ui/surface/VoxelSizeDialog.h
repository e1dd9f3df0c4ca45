#pragma once
// A small dialog to see and set the voxel size (z, y, x and unit) used by the 3D measurements,
// e.g. when a stack has no calibration and its units would be pixels. GUI thread only.
//
//   VoxelSizeDialog dialog(doc->spacing(), this);
//   if (dialog.exec() == QDialog::Accepted)
//       doc->setVoxelSize(dialog.spacing());
#include <QDialog>

#include "core/base/Volume.h"

class QComboBox;
class QDoubleSpinBox;

namespace mitoseg::ui {

class VoxelSizeDialog : public QDialog {
    Q_OBJECT
public:
    /// Shows `spacing` for editing.
    explicit VoxelSizeDialog(const Spacing& spacing, QWidget* parent = nullptr);

    /// The voxel size as edited (sizes > 0; the unit as typed, "px" when empty).
    Spacing spacing() const;
    void setSpacing(const Spacing& spacing);

    QDoubleSpinBox* zBox() const { return z_; }
    QDoubleSpinBox* yBox() const { return y_; }
    QDoubleSpinBox* xBox() const { return x_; }
    QComboBox* unitBox() const { return unit_; }

private:
    QDoubleSpinBox* z_;
    QDoubleSpinBox* y_;
    QDoubleSpinBox* x_;
    QComboBox* unit_;
};

}  // namespace mitoseg::ui
