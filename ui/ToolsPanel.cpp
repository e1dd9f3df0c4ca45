#include "ui/ToolsPanel.h"

#include <QAction>
#include <QComboBox>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QIcon>
#include <QPixmap>
#include <QLabel>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

#include "ui/EditTools.h"
#include "ui/StudioDocument.h"

namespace mitoseg::ui {

namespace {
/// Shows the action's shortcut on tool buttons: "Brush  (B)".
void withKeyHint(QAction* a)
{
    if (!a->shortcut().isEmpty())
        a->setIconText(QStringLiteral("%1  (%2)").arg(a->text(), a->shortcut().toString(QKeySequence::NativeText)));
}
}  // namespace

ToolsPanel::ToolsPanel(EditTools* tools, StudioDocument* doc, const QList<QAction*>& predictionActions, QWidget* parent)
    : QWidget(parent)
{
    auto* root = new QVBoxLayout(this);
    root->setContentsMargins(6, 6, 6, 6);
    auto* toolBox = new QGroupBox(tr("Tools"), this);
    auto* grid = new QGridLayout(toolBox);
    int i = 0;
    for (QAction* a : tools->toolActions()) {
        auto* b = new QToolButton(toolBox);
        // The key hint lives in the action's icon text: a button re-reads it whenever the action
        // changes (checked, enabled), so a text set on the button alone would be lost.
        withKeyHint(a);
        b->setDefaultAction(a);
        b->setToolButtonStyle(Qt::ToolButtonTextOnly);
        b->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
        grid->addWidget(b, i / 2, i % 2);
        ++i;
    }
    auto* form = new QFormLayout;
    auto* size = new QSpinBox(toolBox);
    size->setRange(0, 200);
    size->setValue(tools->radius());
    size->setSuffix(tr(" px radius"));
    size->setToolTip(tr("Brush radius ([ smaller, ] larger)"));
    connect(size, &QSpinBox::valueChanged, tools, &EditTools::setRadius);
    connect(tools, &EditTools::radiusChanged, size, [size](int r) {
        QSignalBlocker b(size);
        size->setValue(r);
    });
    form->addRow(tr("Brush"), size);
    auto* cls = new QComboBox(toolBox);
    auto fillClasses = [cls, doc, tools] {
        QSignalBlocker b(cls);
        cls->clear();
        const auto& classes = doc->mask().classes();
        for (std::size_t c = 1; c < classes.size(); ++c) {
            QPixmap swatch(12, 12);
            swatch.fill(QColor(classes[c].r, classes[c].g, classes[c].b));
            cls->addItem(QIcon(swatch), QString::fromStdString(classes[c].name), static_cast<int>(c));
        }
        tools->setClassValue(tools->classValue());   // clamps into the new list
        cls->setCurrentIndex(tools->classValue() - 1);
    };
    fillClasses();
    connect(doc, &StudioDocument::imageChanged, cls, fillClasses);
    connect(doc, &StudioDocument::classesChanged, cls, fillClasses);
    connect(tools, &EditTools::classValueChanged, cls, [cls](int v) {
        QSignalBlocker b(cls);
        cls->setCurrentIndex(v - 1);
    });
    connect(cls, &QComboBox::currentIndexChanged, tools, [cls, tools](int) { tools->setClassValue(cls->currentData().toInt()); });
    form->addRow(tr("Class"), cls);
    grid->addLayout(form, (i + 1) / 2, 0, 1, 2);
    root->addWidget(toolBox);

    auto* pred = new QGroupBox(tr("Prediction"), this);
    auto* pl = new QVBoxLayout(pred);
    for (QAction* a : predictionActions) {
        auto* b = new QToolButton(pred);
        withKeyHint(a);
        b->setDefaultAction(a);
        b->setToolButtonStyle(Qt::ToolButtonTextOnly);
        b->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
        pl->addWidget(b);
    }
    root->addWidget(pred);
    root->addStretch(1);
}

}  // namespace mitoseg::ui
