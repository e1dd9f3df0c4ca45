#include "app/studio/StudioStyle.h"

#include <QApplication>
#include <QPalette>
#include <QStyleFactory>

namespace mitoseg::studio {

void applyDarkTheme(QApplication& app)
{
    app.setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
    QPalette p;
    const QColor window(37, 38, 43), base(28, 29, 33), text(220, 222, 228), accent(64, 140, 230);
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, window);
    p.setColor(QPalette::ToolTipBase, base);
    p.setColor(QPalette::ToolTipText, text);
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::Button, QColor(48, 50, 56));
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::Highlight, accent);
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::Link, accent);
    p.setColor(QPalette::Disabled, QPalette::Text, QColor(120, 120, 125));
    p.setColor(QPalette::Disabled, QPalette::ButtonText, QColor(120, 120, 125));
    p.setColor(QPalette::Disabled, QPalette::WindowText, QColor(120, 120, 125));
    app.setPalette(p);
    app.setStyleSheet(QStringLiteral(
        "QDockWidget::title { background: #2d2f35; padding: 4px 6px; }"
        "QGroupBox { border: 1px solid #44464d; border-radius: 4px; margin-top: 10px; padding-top: 4px; }"
        "QGroupBox::title { subcontrol-origin: margin; left: 8px; padding: 0 3px; color: #9fb6d6; }"
        "QToolButton:checked { background: #3a5f8f; border: 1px solid #5b8fd0; border-radius: 3px; }"
        "QToolButton { padding: 4px 8px; }"
        "QHeaderView::section { background: #2d2f35; color: #ccd; border: none; padding: 3px; }"));
}

}  // namespace mitoseg::studio
