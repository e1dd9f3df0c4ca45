#pragma once
// The studio's look: Fusion style with a dark palette. Call once after QApplication exists.
class QApplication;

namespace mitoseg::studio {

void applyDarkTheme(QApplication& app);

}  // namespace mitoseg::studio
