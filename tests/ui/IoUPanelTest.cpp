// The IoU / Dice panel against hand-computed cases, live while painting.
#include <QTemporaryDir>

#include "tests/ui/UiTest.h"
#include "ui/EditTools.h"
#include "ui/ImageSource.h"
#include "ui/IoUPanel.h"
#include "ui/MainWindow.h"
#include "ui/SliceView.h"
#include "ui/StudioDocument.h"

namespace mitoseg::ui::test {

class IoUPanelTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void handComputedMaskAndPrediction()
    {
        QTemporaryDir scratch;
        MainWindow w(nullptr, scratch.path());
        w.setInteractive(false);
        auto* doc = w.document();
        doc->setImage(ImageSource::fromVolume(VolumeU8(Shape{2, 4, 10}, 100), QStringLiteral("tiny")));
        IoUPanel* panel = w.iouPanel();
        panel->refresh();
        QCOMPARE(panel->text(false, 1, IoUPanel::SliceIoU), QStringLiteral("—"));   // no reference yet

        // Reference: row 1, x 0..5 on slice 0 (6 voxels); nothing on slice 1.
        auto ref = std::make_shared<VolumeU8>(Shape{2, 4, 10});
        for (int x = 0; x < 6; ++x)
            (*ref)(0, 1, x) = 1;
        doc->setReference(ref, QStringLiteral("ref"));
        // Mask: row 1, x 1..7 (7 voxels) -> TP 5, FP 2, FN 1.
        VolumeU8 mask(Shape{2, 4, 10});
        for (int x = 1; x < 8; ++x)
            mask(0, 1, x) = 1;
        doc->setMask(mask, QString());
        panel->setSlice(0);
        panel->refresh();
        QCOMPARE(panel->text(false, 1, IoUPanel::SliceIoU), QStringLiteral("0.6250"));    // 5 / 8
        QCOMPARE(panel->text(false, 1, IoUPanel::SliceDice), QStringLiteral("0.7692"));   // 10 / 13
        QCOMPARE(panel->text(false, 1, IoUPanel::StackIoU), QStringLiteral("0.6250"));
        QCOMPARE(panel->text(true, 1, IoUPanel::SliceIoU), QStringLiteral("—"));         // no prediction

        // Prediction on slice 0: x 0..2 of row 1 -> TP 3, FP 0, FN 3: IoU 0.5, Dice 2/3.
        SlicePrediction p;
        p.height = 4;
        p.width = 10;
        p.labels.assign(40, 0);
        for (int x = 0; x < 3; ++x)
            p.labels[static_cast<std::size_t>(10 + x)] = 1;
        doc->setPrediction(0, p);
        panel->refresh();
        QCOMPARE(panel->text(true, 1, IoUPanel::SliceIoU), QStringLiteral("0.5000"));
        QCOMPARE(panel->text(true, 1, IoUPanel::SliceDice), QStringLiteral("0.6667"));

        // Painting updates the panel on the next event-loop turn: erase x 6..7 -> TP 5, FP 0, FN 1.
        doc->mask().stamp(0, 6, 1, 0, 0);
        doc->mask().stamp(0, 7, 1, 0, 0);
        QTRY_COMPARE(panel->text(false, 1, IoUPanel::SliceIoU), QStringLiteral("0.8333"));   // 5 / 6
        // Slice 1: both empty -> undefined; the stack keeps slice 0's counts.
        panel->setSlice(1);
        panel->refresh();
        QCOMPARE(panel->text(false, 1, IoUPanel::SliceIoU), QStringLiteral("—"));
        QCOMPARE(panel->text(false, 1, IoUPanel::StackIoU), QStringLiteral("0.8333"));
    }

    void predictionThresholdChangesLabelsAndIoU()
    {
        QTemporaryDir scratch;
        MainWindow w(nullptr, scratch.path());
        w.setInteractive(false);
        auto* doc = w.document();
        doc->setImage(ImageSource::fromVolume(VolumeU8(Shape{1, 1, 10}, 100), QStringLiteral("row")));
        auto ref = std::make_shared<VolumeU8>(Shape{1, 1, 10});
        for (int x = 0; x < 4; ++x)
            (*ref)(0, 0, x) = 1;   // reference: x 0..3
        doc->setReference(ref, QStringLiteral("ref"));
        // P(foreground) falls from 0.95 at x 0 by 0.1 per voxel.
        SlicePrediction p;
        p.height = 1;
        p.width = 10;
        p.classes = 2;
        p.labels.assign(10, 0);
        p.probabilities.assign(20, 0.f);
        for (int x = 0; x < 10; ++x) {
            const float fg = 0.95f - 0.1f * x;
            p.probabilities[static_cast<std::size_t>(x)] = 1.f - fg;
            p.probabilities[static_cast<std::size_t>(10 + x)] = fg;
        }
        doc->setPrediction(0, p);
        // At 0.5: x 0..4 predicted (0.95 .. 0.55): TP 4, FP 1 -> IoU 0.8.
        QCOMPARE(int(doc->predictionLabels(0)[4]), 1);
        QCOMPARE(int(doc->predictionLabels(0)[5]), 0);
        w.iouPanel()->refresh();
        QCOMPARE(w.iouPanel()->text(true, 1, IoUPanel::SliceIoU), QStringLiteral("0.8000"));
        // At 0.6: x 0..3 -> exact match.
        doc->setPredictionThreshold(0.6);
        QCOMPARE(int(doc->predictionLabels(0)[4]), 0);
        w.iouPanel()->refresh();
        QCOMPARE(w.iouPanel()->text(true, 1, IoUPanel::SliceIoU), QStringLiteral("1.0000"));
        // Accepting takes the thresholded labels.
        QVERIFY(doc->acceptPredictionSlice(0));
        QCOMPARE(int(doc->mask().labels()(0, 0, 3)), 1);
        QCOMPARE(int(doc->mask().labels()(0, 0, 4)), 0);
    }
};

}  // namespace mitoseg::ui::test

using mitoseg::ui::test::IoUPanelTest;
MITOSEG_UI_TEST(IoUPanelTest)
#include "IoUPanelTest.moc"
