// Named label classes: the demo's three classes, the class selector, painting each class,
// per-class IoU / Dice, sessions keeping the classes, multi-class label files extending them.
#include <QComboBox>
#include <QTableWidget>

#include <array>
#include <QTemporaryDir>

#include "core/io/TiffWriter.h"
#include "tests/ui/UiTest.h"
#include "ui/EditTools.h"
#include "ui/FileController.h"
#include "ui/ImageSource.h"
#include "ui/IoUPanel.h"
#include "ui/LayerSettings.h"
#include "ui/MainWindow.h"
#include "ui/PredictionProvider.h"
#include "ui/SegmentationController.h"
#include "ui/SliceComposer.h"
#include "ui/StudioDocument.h"
#include "ui/ToolsPanel.h"

namespace mitoseg::ui::test {

namespace {
QStringList names(const StudioDocument& doc)
{
    QStringList out;
    for (const auto& c : doc.classes())
        out << QString::fromStdString(c.name);
    return out;
}

QStringList items(const QComboBox& box)
{
    QStringList out;
    for (int i = 0; i < box.count(); ++i)
        out << box.itemText(i);
    return out;
}
// A 3-class model: labels 1 left of the middle, 2 right of it.
class ThreeClassProvider final : public PredictionProvider {
public:
    QString name() const override { return QStringLiteral("fake 3-class"); }
    std::vector<std::string> classNames() const override { return {"background", "membrane", "mitochondria"}; }
    SlicePrediction predict(const float*, std::int64_t h, std::int64_t w, const CancelToken&) override
    {
        SlicePrediction p;
        p.height = h;
        p.width = w;
        p.classes = 3;
        p.labels.resize(static_cast<std::size_t>(h * w));
        for (std::int64_t i = 0; i < h * w; ++i)
            p.labels[static_cast<std::size_t>(i)] = i % w < w / 2 ? 1 : 2;
        return p;
    }
};
}  // namespace

class ClassesTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void demoOpensWithThreeClassesAndSelectorFollows()
    {
        QTemporaryDir scratch;
        MainWindow w(nullptr, scratch.path());
        w.setInteractive(false);
        auto* doc = w.document();
        QCOMPARE(names(*doc), (QStringList{"background", "mitochondria"}));   // binary default
        auto* box = w.findChild<ToolsPanel*>()->findChild<QComboBox*>();
        QVERIFY(box);
        QCOMPARE(items(*box), QStringList{"mitochondria"});

        QVERIFY(w.files()->openDemo(4, 96, 128));
        QCOMPARE(names(*doc), (QStringList{"background", "membrane", "mitochondrion"}));
        QCOMPARE(items(*box), (QStringList{"membrane", "mitochondrion"}));
        // Distinct colours for the two classes.
        const auto& c = doc->classes();
        QVERIFY(c[1].r != c[2].r || c[1].g != c[2].g || c[1].b != c[2].b);
        // The reference is the full 3-class labelling, not only the mitochondria.
        std::array<std::int64_t, 3> hist{};
        const VolumeU8 refAll = doc->reference()->toVolume();
        for (std::uint8_t v : refAll.values()) {
            QVERIFY(v < 3);
            ++hist[v];
        }
        QVERIFY(hist[1] > 0 && hist[2] > 0);

        // The selector follows classesChanged; a class value past the new list is clamped.
        box->setCurrentIndex(1);
        QCOMPARE(w.tools()->classValue(), 2);
        doc->setClasses(defaultClasses());
        QCOMPARE(items(*box), QStringList{"mitochondria"});
        QCOMPARE(w.tools()->classValue(), 1);
    }

    void multiClassModelSetsTheClasses()
    {
        QTemporaryDir scratch;
        MainWindow w(nullptr, scratch.path());
        w.setInteractive(false);
        auto* doc = w.document();
        doc->setImage(ImageSource::fromVolume(VolumeU8(Shape{2, 6, 8}, 100), QStringLiteral("tiny")));
        w.segmentation()->setProvider(std::make_shared<ThreeClassProvider>());
        QCOMPARE(names(*doc), (QStringList{"background", "membrane", "mitochondria"}));
        const auto& c = doc->classes();
        QCOMPARE(QColor(c[2].r, c[2].g, c[2].b), QColor(255, 196, 0));   // mitochondria amber
        QVERIFY(c[1].b > c[1].r);                                        // membrane blue-ish
        auto* box = w.findChild<ToolsPanel*>()->findChild<QComboBox*>();
        QCOMPARE(items(*box), (QStringList{"membrane", "mitochondria"}));
        // Its predictions keep both classes and can be accepted into the mask.
        QVERIFY(w.segmentation()->segmentSlice(0));
        QTRY_VERIFY(doc->hasPrediction(0));
        QVERIFY(doc->acceptPredictionSlice(0));
        QCOMPARE(int(doc->mask().labels()(0, 3, 1)), 1);
        QCOMPARE(int(doc->mask().labels()(0, 3, 6)), 2);
    }

    void brushAndFillPaintTheSelectedClass()
    {
        QTemporaryDir scratch;
        MainWindow w(nullptr, scratch.path());
        w.setInteractive(false);
        QVERIFY(w.files()->openDemo(3, 64, 80));
        auto* doc = w.document();
        doc->setMask(VolumeU8(doc->shape(), 0), QString());
        auto* box = w.findChild<ToolsPanel*>()->findChild<QComboBox*>();
        EditTools* tools = w.tools();
        tools->setRadius(2);

        box->setCurrentIndex(0);   // membrane
        tools->press(0, 10, 10);
        tools->release(0, 10, 10);
        box->setCurrentIndex(1);   // mitochondrion
        tools->press(0, 40, 30);
        tools->move(0, 44, 30);
        tools->release(0, 44, 30);
        VolumeU8 m = doc->mask().labels().toVolume();
        QCOMPARE(int(m(0, 10, 10)), 1);
        QCOMPARE(int(m(0, 30, 42)), 2);
        QCOMPARE(int(m(0, 30, 10)), 0);

        tools->setTool(EditTools::Tool::Fill);
        tools->setConfirmLargeFill([](std::int64_t, double) { return true; });   // the whole slice
        tools->press(1, 5, 5);
        tools->release(1, 5, 5);
        m = doc->mask().labels().toVolume();
        for (std::int64_t y = 0; y < 64; ++y)
            for (std::int64_t x = 0; x < 80; ++x)
                QCOMPARE(int(m(1, y, x)), 2);
        QCOMPARE(int(m(0, 10, 10)), 1);   // the other slice is untouched
    }

    void iouPanelShowsPerClassRows()
    {
        QTemporaryDir scratch;
        MainWindow w(nullptr, scratch.path());
        w.setInteractive(false);
        auto* doc = w.document();
        doc->setImage(ImageSource::fromVolume(VolumeU8(Shape{1, 2, 10}, 100), QStringLiteral("tiny")));
        doc->setClasses(classesFromNames({"background", "membrane", "mito"}));
        // x:          0 1 2 3 4 5 6 7 8 9
        // reference:  1 1 1 1 2 2 2 2 0 0
        // mask:       1 1 1 2 2 2 0 0 0 1
        const int ref[10] = {1, 1, 1, 1, 2, 2, 2, 2, 0, 0}, msk[10] = {1, 1, 1, 2, 2, 2, 0, 0, 0, 1};
        auto r = std::make_shared<VolumeU8>(Shape{1, 2, 10});
        VolumeU8 m(Shape{1, 2, 10});
        for (int x = 0; x < 10; ++x) {
            (*r)(0, 0, x) = static_cast<std::uint8_t>(ref[x]);
            m(0, 0, x) = static_cast<std::uint8_t>(msk[x]);
        }
        doc->setReference(r, QStringLiteral("ref"));
        doc->setMask(m, QString());
        IoUPanel* panel = w.iouPanel();
        panel->setSlice(0);
        panel->refresh();
        QCOMPARE(panel->table()->rowCount(), 6);   // (mask, prediction) x (any, membrane, mito)
        // membrane: TP 3 (x0..2), FP 1 (x9), FN 1 (x3) -> IoU 3/5, Dice 6/8.
        QCOMPARE(panel->text(false, 1, IoUPanel::SliceIoU), QStringLiteral("0.6000"));
        QCOMPARE(panel->text(false, 1, IoUPanel::SliceDice), QStringLiteral("0.7500"));
        // mito: TP 2 (x4, x5), FP 1 (x3), FN 2 (x6, x7) -> IoU 2/5, Dice 4/7.
        QCOMPARE(panel->text(false, 2, IoUPanel::SliceIoU), QStringLiteral("0.4000"));
        QCOMPARE(panel->text(false, 2, IoUPanel::StackDice), QStringLiteral("0.5714"));
        // any foreground: TP 6 (x0..5), FP 1 (x9), FN 2 (x6, x7) -> IoU 6/9, Dice 12/15.
        QCOMPARE(panel->text(false, 0, IoUPanel::SliceIoU), QStringLiteral("0.6667"));
        QCOMPARE(panel->text(false, 0, IoUPanel::SliceDice), QStringLiteral("0.8000"));

        // Erasing x9 removes membrane's false positive, live.
        doc->mask().stamp(0, 9, 0, 0, 0);
        QTRY_COMPARE(panel->text(false, 1, IoUPanel::SliceIoU), QStringLiteral("0.7500"));
        QCOMPARE(panel->text(false, 2, IoUPanel::SliceIoU), QStringLiteral("0.4000"));

        // Back to binary: one class, no "any" column.
        doc->setClasses(defaultClasses());
        panel->refresh();
        QCOMPARE(panel->table()->rowCount(), 2);
        QCOMPARE(panel->text(false, 0, IoUPanel::SliceIoU), QString());
    }

    void maskOverlayDrawsEachClassInItsColour()
    {
        StudioDocument doc;
        doc.setImage(ImageSource::fromVolume(VolumeU8(Shape{1, 8, 8}, 0), QStringLiteral("black")));
        doc.setClasses(classesFromNames({"background", "membrane", "mitochondrion"}));
        doc.mask().stamp(0, 1, 1, 0, 1);
        doc.mask().stamp(0, 6, 6, 0, 2);
        LayerSettings layers;
        layers.setLevels(0.f, 255.f);
        OverlayStyle st = layers.style(Layer::Mask);
        st.visible = true;
        st.outline = false;
        st.opacity = 100;
        layers.setStyle(Layer::Mask, st);
        QImage out;
        SliceComposer::compose(doc, layers, 0, out);
        const auto& c = doc.classes();
        QCOMPARE(QColor(out.pixel(1, 1)), QColor(c[1].r, c[1].g, c[1].b));
        QCOMPARE(QColor(out.pixel(6, 6)), QColor(c[2].r, c[2].g, c[2].b));
        QCOMPARE(QColor(out.pixel(4, 4)), QColor(0, 0, 0));
    }

    void sessionKeepsClasses()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("classes.json"));
        auto classes = classesFromNames({"background", "membrane", "mitochondrion", "vesicle"});
        classes[3].r = 12, classes[3].g = 34, classes[3].b = 56;
        {
            MainWindow w(nullptr, dir.filePath(QStringLiteral("auto1")));
            w.setInteractive(false);
            QVERIFY(w.files()->openDemo());
            w.document()->setClasses(classes);
            QVERIFY(w.files()->saveSession(path));
        }
        MainWindow w(nullptr, dir.filePath(QStringLiteral("auto2")));
        w.setInteractive(false);
        QVERIFY(w.files()->openSession(path));
        const auto& got = w.document()->classes();
        QCOMPARE(got.size(), classes.size());
        for (std::size_t i = 0; i < got.size(); ++i) {
            QCOMPARE(got[i].name, classes[i].name);
            QCOMPARE(QColor(got[i].r, got[i].g, got[i].b), QColor(classes[i].r, classes[i].g, classes[i].b));
        }
        auto* box = w.findChild<ToolsPanel*>()->findChild<QComboBox*>();
        QCOMPARE(items(*box), (QStringList{"membrane", "mitochondrion", "vesicle"}));
    }

    void multiClassMaskFileExtendsClasses()
    {
        QTemporaryDir dir;
        const Shape shape{3, 20, 30};
        const QString stackPath = dir.filePath(QStringLiteral("stack.tif"));
        const QString maskPath = dir.filePath(QStringLiteral("labels.tif"));
        writeStack(stackPath.toStdString(), blobVolume(shape));
        VolumeU8 labels(shape, 0);
        labels(0, 1, 1) = 1;
        labels(1, 5, 7) = 2;
        labels(2, 9, 9) = 3;
        writeStack(maskPath.toStdString(), labels);

        MainWindow w(nullptr, dir.filePath(QStringLiteral("auto")));
        w.setInteractive(false);
        QVERIFY2(w.files()->openStack(stackPath), qPrintable(w.files()->lastError()));
        QCOMPARE(w.document()->classes().size(), std::size_t(2));
        QVERIFY2(w.files()->openMask(maskPath), qPrintable(w.files()->lastError()));
        QCOMPARE(names(*w.document()), (QStringList{"background", "mitochondria", "class 2", "class 3"}));
        const VolumeU8 m = w.document()->mask().labels().toVolume();
        QCOMPARE(int(m(1, 5, 7)), 2);
        QCOMPARE(int(m(2, 9, 9)), 3);
        auto* box = w.findChild<ToolsPanel*>()->findChild<QComboBox*>();
        QCOMPARE(box->count(), 3);
    }
};

}  // namespace mitoseg::ui::test

using mitoseg::ui::test::ClassesTest;
MITOSEG_UI_TEST(ClassesTest)
#include "ClassesTest.moc"
