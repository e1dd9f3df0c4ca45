// Slice composition: levels, filled and outlined overlays, the prediction heat map, layer
// visibility; and the tool shortcuts.
#include <QAction>
#include <QTemporaryDir>

#include "tests/ui/UiTest.h"
#include "ui/EditTools.h"
#include "ui/ImageSource.h"
#include "ui/LayerSettings.h"
#include "ui/MainWindow.h"
#include "ui/OrthoView.h"
#include "ui/SliceComposer.h"
#include "ui/StudioDocument.h"

namespace mitoseg::ui::test {

namespace {
bool isGrey(QRgb c) { return qRed(c) == qGreen(c) && qGreen(c) == qBlue(c); }
}  // namespace

class ComposerTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void overlaysFilledOutlinedAndHidden()
    {
        StudioDocument doc;
        LayerSettings layers;
        VolumeU8 img(Shape{1, 20, 20}, 100);
        img(0, 0, 0) = 0;
        img(0, 0, 1) = 200;
        doc.setImage(ImageSource::fromVolume(img, QStringLiteral("t")));
        layers.setLevels(0.f, 200.f);
        QImage out;
        SliceComposer::compose(doc, layers, 0, out);
        QCOMPARE(out.size(), QSize(20, 20));
        QCOMPARE(qGray(out.pixel(0, 0)), 0);
        QCOMPARE(qGray(out.pixel(1, 0)), 255);
        QVERIFY(std::abs(qGray(out.pixel(5, 5)) - 127) <= 1);

        // A 6x6 block of mask, filled: tinted towards the mask colour (orange: red > blue).
        for (int y = 5; y < 11; ++y)
            for (int x = 5; x < 11; ++x)
                doc.mask().stamp(0, x, y, 0, 1);
        SliceComposer::compose(doc, layers, 0, out);
        QVERIFY(qRed(out.pixel(8, 8)) > qBlue(out.pixel(8, 8)) + 40);
        QVERIFY(isGrey(out.pixel(15, 15)));
        // Outline: the block's interior stays grey, its edge (both sides) is tinted.
        OverlayStyle st = layers.style(Layer::Mask);
        st.outline = true;
        layers.setStyle(Layer::Mask, st);
        SliceComposer::compose(doc, layers, 0, out);
        QVERIFY(isGrey(out.pixel(8, 8)));
        QVERIFY(!isGrey(out.pixel(5, 8)));
        QVERIFY(!isGrey(out.pixel(4, 8)));
        QVERIFY(isGrey(out.pixel(3, 8)));
        // Hidden: nothing tinted.
        st.visible = false;
        layers.setStyle(Layer::Mask, st);
        SliceComposer::compose(doc, layers, 0, out);
        QVERIFY(isGrey(out.pixel(5, 8)));

        // Prediction heat map: stronger colour where the probability is higher.
        SlicePrediction p;
        p.height = 20;
        p.width = 20;
        p.classes = 2;
        p.labels.assign(400, 0);
        p.probabilities.assign(800, 0.f);
        for (int i = 0; i < 400; ++i) {
            const float fg = (i % 20) / 19.f;
            p.probabilities[static_cast<std::size_t>(i)] = 1.f - fg;
            p.probabilities[static_cast<std::size_t>(400 + i)] = fg;
        }
        doc.setPrediction(0, p);
        layers.setPredictionHeatmap(true);
        SliceComposer::compose(doc, layers, 0, out);
        QVERIFY(isGrey(out.pixel(0, 10)));   // p = 0: transparent
        const QRgb lo = out.pixel(6, 12), hi = out.pixel(18, 12);
        QVERIFY(!isGrey(lo) && !isGrey(hi));
        QVERIFY(std::abs(qRed(hi) - 127) + std::abs(qBlue(hi) - 127) > std::abs(qRed(lo) - 127) + std::abs(qBlue(lo) - 127));
    }

    void aMultiClassPredictionShowsEachClassInItsColour()
    {
        StudioDocument doc;
        LayerSettings layers;
        doc.setImage(ImageSource::fromVolume(VolumeU8(Shape{1, 10, 20}, 128), QStringLiteral("t")));
        layers.setLevels(0.f, 255.f);
        doc.setClasses({{"background", 0, 0, 0}, {"membrane", 40, 90, 255}, {"mitochondrion", 255, 170, 0}});
        SlicePrediction p;
        p.height = 10;
        p.width = 20;
        p.classes = 3;
        p.labels.assign(200, 0);
        p.probabilities.assign(600, 0.f);
        for (int y = 0; y < 10; ++y)
            for (int x = 0; x < 20; ++x) {
                const int v = x < 8 ? 1 : x < 16 ? 2 : 0;
                p.labels[static_cast<std::size_t>(y * 20 + x)] = static_cast<std::uint8_t>(v);
                p.probabilities[static_cast<std::size_t>(v * 200 + y * 20 + x)] = 1.f;
            }
        doc.setPrediction(0, p);
        QImage out;
        SliceComposer::compose(doc, layers, 0, out);
        const QRgb membrane = out.pixel(3, 5), mito = out.pixel(12, 5);
        QVERIFY(qBlue(membrane) > qRed(membrane) + 40);   // towards the membrane's blue
        QVERIFY(qRed(mito) > qBlue(mito) + 40);           // towards the mitochondrion's amber
        QVERIFY(isGrey(out.pixel(18, 5)));                // background: untouched
    }

    void orthogonalPlanesShowTheStackSideways()
    {
        StudioDocument doc;
        LayerSettings layers;
        VolumeU8 img(Shape{4, 6, 8}, 0);
        for (std::int64_t z = 0; z < 4; ++z)
            for (std::int64_t y = 0; y < 6; ++y)
                for (std::int64_t x = 0; x < 8; ++x)
                    img(z, y, x) = static_cast<std::uint8_t>(10 * z + x + 100 * (y == 2));
        doc.setImage(ImageSource::fromVolume(img, QStringLiteral("t")));
        layers.setLevels(0.f, 255.f);
        OrthoView xz(&doc, &layers, OrthoView::Plane::XZ);
        xz.setCursor(5, 2, 0, true);
        const QImage& a = xz.planeImage();
        QCOMPARE(a.size(), QSize(8, 4));
        QCOMPARE(qGray(a.pixel(5, 3)), 10 * 3 + 5 + 100);   // (x 5, z 3) at y 2
        OrthoView yz(&doc, &layers, OrthoView::Plane::YZ);
        yz.setCursor(5, 2, 0, true);
        const QImage& b = yz.planeImage();
        QCOMPARE(b.size(), QSize(6, 4));
        QCOMPARE(qGray(b.pixel(4, 1)), 10 * 1 + 5);          // (y 4, z 1) at x 5
        doc.mask().stamp(1, 5, 4, 0, 1);
        QVERIFY(!isGrey(yz.planeImage().pixel(4, 1)));        // the mask shows through
    }

    void orthogonalPlanesOfADeepStackShowCoarseFirstThenRefine()
    {
        StudioDocument doc;
        LayerSettings layers;
        const std::int64_t depth = 1000;
        VolumeU8 img(Shape{depth, 6, 8}, 0);
        for (std::int64_t z = 0; z < depth; ++z)
            for (std::int64_t y = 0; y < 6; ++y)
                for (std::int64_t x = 0; x < 8; ++x)
                    img(z, y, x) = static_cast<std::uint8_t>(z % 250);
        doc.setImage(ImageSource::fromVolume(img, QStringLiteral("deep")));
        doc.mask().stamp(501, 3, 2, 0, 1);
        layers.setLevels(0.f, 255.f);
        OrthoView xz(&doc, &layers, OrthoView::Plane::XZ);
        xz.setCursor(3, 2, 0, true);
        QVERIFY(!xz.grab().isNull());   // paints: the coarse pass only
        QVERIFY(!xz.refined());
        const QImage& coarse = xz.shownImage();
        QCOMPARE(coarse.size(), QSize(8, int(depth)));
        QCOMPARE(qGray(coarse.pixel(0, 1)), qGray(coarse.pixel(0, 0)));   // row 1 repeats row 0 for now
        QCOMPARE(qGray(coarse.pixel(0, 4)), 4);                           // an exact coarse row
        QTRY_VERIFY(xz.refined());   // refined on the event loop, in short slices
        const QImage& fine = xz.shownImage();
        for (int z = 0; z < depth; ++z)
            if (z != 501)
                QCOMPARE(qGray(fine.pixel(0, z)), z % 250);
        QVERIFY(!isGrey(fine.pixel(3, 501)));   // the mask, read from its store
        QVERIFY(isGrey(fine.pixel(3, 500)));

        // Deeper than kMaxRows: sampled evenly, so the image stays bounded.
        VolumeU8 deeper(Shape{3 * OrthoView::kMaxRows, 2, 3}, 0);
        for (std::int64_t z = 0; z < deeper.shape().depth; ++z)
            deeper(z, 1, 1) = static_cast<std::uint8_t>(z / OrthoView::kMaxRows * 100);
        doc.setImage(ImageSource::fromVolume(deeper, QStringLiteral("deeper")));
        OrthoView yz(&doc, &layers, OrthoView::Plane::YZ);
        yz.setCursor(1, 1, 0, true);
        const QImage& sampled = yz.planeImage();
        QCOMPARE(sampled.height(), int(OrthoView::kMaxRows));
        QCOMPARE(qGray(sampled.pixel(1, 0)), 0);
        QCOMPARE(qGray(sampled.pixel(1, int(OrthoView::kMaxRows) / 2)), 100);   // slice 1.5 * kMaxRows
        QCOMPARE(qGray(sampled.pixel(1, int(OrthoView::kMaxRows) - 1)), 200);
    }

    void toolShortcutsAndBrushSize()
    {
        QTemporaryDir dir;
        MainWindow w(nullptr, dir.path());
        w.setInteractive(false);
        auto* tools = w.tools();
        auto trigger = [&](const QString& key) {
            for (QAction* a : w.findChildren<QAction*>())
                if (a->shortcut() == QKeySequence(key)) {
                    a->trigger();
                    return true;
                }
            return false;
        };
        QVERIFY(trigger(QStringLiteral("E")));
        QCOMPARE(tools->tool(), EditTools::Tool::Eraser);
        QVERIFY(trigger(QStringLiteral("F")));
        QCOMPARE(tools->tool(), EditTools::Tool::Fill);
        QVERIFY(trigger(QStringLiteral("P")));
        QVERIFY(tools->pans());
        QVERIFY(trigger(QStringLiteral("B")));
        QCOMPARE(tools->tool(), EditTools::Tool::Brush);
        const int r = tools->radius();
        QVERIFY(trigger(QStringLiteral("]")));
        QVERIFY(tools->radius() > r);
        QVERIFY(trigger(QStringLiteral("[")));
        QVERIFY(trigger(QStringLiteral("[")));
        QVERIFY(tools->radius() < r);
    }
};

}  // namespace mitoseg::ui::test

using mitoseg::ui::test::ComposerTest;
MITOSEG_UI_TEST(ComposerTest)
#include "ComposerTest.moc"
