#include "ui/LayersPanel.h"

#include <QCheckBox>
#include <QColorDialog>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPixmap>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSlider>
#include <QSpinBox>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <memory>

#include "ui/LayerSettings.h"
#include "ui/SliceComposer.h"

namespace mitoseg::ui {

namespace {
void paintSwatch(QPushButton* b, const QColor& c)
{
    b->setStyleSheet(QStringLiteral("background:%1; border:1px solid #888; border-radius:3px;").arg(c.name()));
}
}  // namespace

LayersPanel::LayersPanel(LayerSettings* settings, std::function<void()> autoLevels, std::function<void(double)> threshold,
                         double initialThreshold, QWidget* parent)
    : QWidget(parent), threshold_(std::move(threshold)), initialThreshold_(initialThreshold), settings_(settings)
{
    auto* root = new QVBoxLayout(this);
    root->setContentsMargins(6, 6, 6, 6);

    auto* image = new QGroupBox(tr("Image"), this);
    auto* form = new QFormLayout(image);
    imageVisible_ = new QCheckBox(tr("Visible"), image);
    imageVisible_->setChecked(settings_->imageVisible());
    connect(imageVisible_, &QCheckBox::toggled, settings_, &LayerSettings::setImageVisible);
    form->addRow(imageVisible_);
    low_ = new QDoubleSpinBox(image);
    high_ = new QDoubleSpinBox(image);
    for (auto* s : {low_, high_}) {
        s->setRange(-1e9, 1e9);
        s->setDecimals(1);
    }
    auto* levels = new QHBoxLayout;
    levels->addWidget(low_);
    levels->addWidget(new QLabel(QStringLiteral("–"), image));
    levels->addWidget(high_);
    form->addRow(tr("Window"), levels);
    brightness_ = new QSlider(Qt::Horizontal, image);
    brightness_->setRange(-100, 100);
    contrast_ = new QSlider(Qt::Horizontal, image);
    contrast_->setRange(-100, 100);
    form->addRow(tr("Brightness"), brightness_);
    form->addRow(tr("Contrast"), contrast_);
    auto* autoButton = new QPushButton(tr("Auto levels"), image);
    autoButton->setToolTip(tr("Window from the 0.5 and 99.5 percentiles of the shown slice"));
    connect(autoButton, &QPushButton::clicked, this, [autoLevels] {
        if (autoLevels)
            autoLevels();
    });
    form->addRow(autoButton);
    root->addWidget(image);

    auto applyWindow = [this] { settings_->setLevels(static_cast<float>(low_->value()), static_cast<float>(high_->value())); };
    connect(low_, &QDoubleSpinBox::editingFinished, this, applyWindow);
    connect(high_, &QDoubleSpinBox::editingFinished, this, applyWindow);
    // Brightness shifts the window centre, contrast scales its width (both relative to the
    // window at the moment the slider was grabbed).
    auto* anchor = new QObject(this);
    auto centre = std::make_shared<double>(0), width = std::make_shared<double>(1);
    auto grab = [this, centre, width] {
        *centre = (settings_->levelLow() + settings_->levelHigh()) / 2.0;
        *width = settings_->levelHigh() - settings_->levelLow();
        QSignalBlocker b1(brightness_), b2(contrast_);
        brightness_->setValue(0);
        contrast_->setValue(0);
    };
    connect(brightness_, &QSlider::sliderPressed, anchor, grab);
    connect(contrast_, &QSlider::sliderPressed, anchor, grab);
    auto slide = [this, centre, width] {
        const double c = *centre - brightness_->value() / 100.0 * *width;
        const double w = *width * std::pow(4.0, -contrast_->value() / 100.0);
        settings_->setLevels(static_cast<float>(c - w / 2), static_cast<float>(c + w / 2));
    };
    connect(brightness_, &QSlider::sliderMoved, anchor, slide);
    connect(contrast_, &QSlider::sliderMoved, anchor, slide);
    connect(settings_, &LayerSettings::levelsChanged, this, &LayersPanel::syncLevels);
    syncLevels();

    root->addWidget(overlayRow(Layer::Prediction, tr("Prediction")));
    root->addWidget(overlayRow(Layer::Mask, tr("Mask (editable)")));
    root->addWidget(overlayRow(Layer::Reference, tr("Reference")));
    root->addStretch(1);
}

void LayersPanel::setThreshold(double t)
{
    if (!thresholdSpin_)
        return;
    QSignalBlocker block(thresholdSpin_);
    thresholdSpin_->setValue(t);
}

void LayersPanel::showPostProcessing(int zSmooth, qint64 minObjectVoxels, const QString& note)
{
    if (!zSmoothSpin_)
        return;
    QSignalBlocker b1(zSmoothSpin_), b2(minObjectSpin_);
    zSmoothSpin_->setValue(zSmooth);
    minObjectSpin_->setValue(static_cast<int>(std::min<qint64>(minObjectVoxels, minObjectSpin_->maximum())));
    postNote_->setText(note);
    postNote_->setVisible(!note.isEmpty());
}

void LayersPanel::syncLevels()
{
    QSignalBlocker b1(low_), b2(high_);
    low_->setValue(settings_->levelLow());
    high_->setValue(settings_->levelHigh());
    // Brightness and contrast are relative to the window: a window set elsewhere (Auto levels,
    // the spin boxes, a session) is their new centre.
    if (!brightness_->isSliderDown() && !contrast_->isSliderDown()) {
        QSignalBlocker b3(brightness_), b4(contrast_);
        brightness_->setValue(0);
        contrast_->setValue(0);
    }
}

QWidget* LayersPanel::overlayRow(Layer layer, const QString& name)
{
    auto* box = new QGroupBox(name, this);
    auto* grid = new QFormLayout(box);
    const OverlayStyle s = settings_->style(layer);
    auto* visible = new QCheckBox(tr("Visible"), box);
    visible->setChecked(s.visible);
    auto* colour = new QPushButton(box);
    colour->setFixedSize(28, 18);
    paintSwatch(colour, s.color);
    auto* top = new QHBoxLayout;
    top->addWidget(visible);
    top->addStretch(1);
    top->addWidget(colour);
    grid->addRow(top);
    auto* opacity = new QSlider(Qt::Horizontal, box);
    opacity->setRange(0, 100);
    opacity->setValue(s.opacity);
    grid->addRow(tr("Opacity"), opacity);
    auto* mode = new QComboBox(box);
    mode->addItems({tr("Filled"), tr("Outline")});
    if (layer == Layer::Prediction)
        mode->addItem(tr("Probability heat map"));
    mode->setCurrentIndex(s.outline ? 1 : 0);
    grid->addRow(tr("Draw"), mode);
    if (layer == Layer::Prediction) {
        // Legend of the heat map: P(foreground) from 0 to 1.
        QImage bar(160, 10, QImage::Format_RGB32);
        for (int x = 0; x < bar.width(); ++x)
            for (int y = 0; y < bar.height(); ++y)
                bar.setPixelColor(x, y, SliceComposer::heatColour(x / double(bar.width() - 1)));
        auto* legend = new QWidget(box);
        legend->setObjectName(QStringLiteral("heatLegend"));
        auto* row = new QHBoxLayout(legend);
        row->setContentsMargins(0, 0, 0, 0);
        row->addWidget(new QLabel(QStringLiteral("p 0"), legend));
        auto* barLabel = new QLabel(legend);
        barLabel->setPixmap(QPixmap::fromImage(bar));
        barLabel->setToolTip(tr("Probability of foreground (transparent below about 0.1)"));
        row->addWidget(barLabel);
        row->addWidget(new QLabel(QStringLiteral("1"), legend));
        row->addStretch(1);
        legend->setVisible(settings_->predictionHeatmap());
        grid->addRow(legend);
        connect(settings_, &LayerSettings::changed, legend, [this, legend] { legend->setVisible(settings_->predictionHeatmap()); });
    }
    if (layer == Layer::Prediction) {
        auto* thr = new QDoubleSpinBox(box);
        thr->setRange(0.05, 0.95);
        thr->setSingleStep(0.05);
        thr->setDecimals(2);
        thr->setValue(initialThreshold_);
        thr->setToolTip(tr("Foreground probability at which a voxel counts as predicted (binary models)"));
        connect(thr, &QDoubleSpinBox::valueChanged, this, [this](double t) {
            if (threshold_)
                threshold_(t);
        });
        grid->addRow(tr("Threshold"), thr);
        thresholdSpin_ = thr;

        // The stack clean-up of binary predictions (the model's recommendation by default).
        zSmoothSpin_ = new QSpinBox(box);
        zSmoothSpin_->setRange(0, 20);
        zSmoothSpin_->setPrefix(QStringLiteral("± "));
        zSmoothSpin_->setSuffix(tr(" slices"));
        zSmoothSpin_->setToolTip(tr("Average the probability over this many slices on each side before the threshold "
                                    "(0: off). Applied when every slice is segmented."));
        minObjectSpin_ = new QSpinBox(box);
        minObjectSpin_->setRange(0, 100000000);
        minObjectSpin_->setSingleStep(500);
        minObjectSpin_->setSuffix(tr(" voxels"));
        minObjectSpin_->setToolTip(tr("Drop 3D objects smaller than this (0: keep all). On a single image or a thin "
                                      "stack it is cut to the stack's depth. Applied when every slice is segmented."));
        grid->addRow(tr("Z-smoothing"), zSmoothSpin_);
        grid->addRow(tr("Smallest object"), minObjectSpin_);
        postNote_ = new QLabel(box);
        postNote_->setWordWrap(true);
        postNote_->setVisible(false);
        grid->addRow(postNote_);
        auto edited = [this] {
            if (postEdit_)
                postEdit_(zSmoothSpin_->value(), minObjectSpin_->value());
        };
        connect(zSmoothSpin_, &QSpinBox::valueChanged, this, edited);
        connect(minObjectSpin_, &QSpinBox::editingFinished, this, edited);
    }

    auto push = [this, layer, visible, opacity, mode, colour] {
        OverlayStyle st = settings_->style(layer);
        st.visible = visible->isChecked();
        st.opacity = opacity->value();
        st.outline = mode->currentIndex() == 1;
        settings_->setStyle(layer, st);
        if (layer == Layer::Prediction)
            settings_->setPredictionHeatmap(mode->currentIndex() == 2);
        paintSwatch(colour, st.color);
    };
    // Settings changed elsewhere (a session): show them without reporting back.
    connect(settings_, &LayerSettings::changed, box, [this, layer, visible, opacity, mode, colour] {
        const OverlayStyle& st = settings_->style(layer);
        QSignalBlocker b1(visible), b2(opacity), b3(mode);
        visible->setChecked(st.visible);
        opacity->setValue(st.opacity);
        mode->setCurrentIndex(layer == Layer::Prediction && settings_->predictionHeatmap() ? 2 : st.outline ? 1 : 0);
        paintSwatch(colour, st.color);
    });
    connect(visible, &QCheckBox::toggled, this, push);
    connect(opacity, &QSlider::valueChanged, this, push);
    connect(mode, &QComboBox::currentIndexChanged, this, push);
    connect(colour, &QPushButton::clicked, this, [this, layer, colour] {
        OverlayStyle st = settings_->style(layer);
        const QColor c = QColorDialog::getColor(st.color, this, tr("Layer colour"));
        if (!c.isValid())
            return;
        st.color = c;
        settings_->setStyle(layer, st);
        paintSwatch(colour, c);
    });
    return box;
}

}  // namespace mitoseg::ui
