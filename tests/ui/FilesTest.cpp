// Opening TIFF stacks, masks and references through the studio; saving the mask as TIFF.
#include <QApplication>
#include <QDragEnterEvent>
#include <QFile>
#include <QMimeData>
#include <QUrl>
#include <QFileInfo>
#include <QTemporaryDir>

#include "core/io/TiffStack.h"
#include "core/io/TiffWriter.h"
#include "tests/ui/UiTest.h"
#include "ui/FileController.h"
#include "ui/IoUPanel.h"
#include "ui/MainWindow.h"
#include "ui/SliceView.h"
#include "ui/StudioDocument.h"

namespace mitoseg::ui::test {

class FilesTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void openStackMaskReferenceAndSaveMask()
    {
        QTemporaryDir dir;
        const Shape shape{6, 30, 40};
        const VolumeU8 image = blobVolume(shape);
        VolumeU8 truth(shape, 0);
        for (std::size_t i = 0; i < truth.values().size(); ++i)
            truth.values()[i] = image.values()[i] < 100 ? 255 : 0;   // Fiji-style 0/255
        const QString stackPath = dir.filePath(QStringLiteral("stack.tif"));
        const QString truthPath = dir.filePath(QStringLiteral("truth.tif"));
        writeStack(stackPath.toStdString(), image);
        writeStack(truthPath.toStdString(), truth);

        MainWindow w(nullptr, dir.filePath(QStringLiteral("auto")));
        w.setInteractive(false);
        auto* files = w.files();
        QVERIFY2(files->openStack(stackPath), qPrintable(files->lastError()));
        auto* doc = w.document();
        QCOMPARE(doc->shape(), shape);
        QCOMPARE(doc->image()->cachedSlice(2)[static_cast<std::size_t>(15 * 40 + 39)], 180.f);
        QVERIFY(files->openReference(truthPath));
        QCOMPARE(int((*doc->reference())(2, 15, 15)), 1);   // binarised
        QVERIFY(files->recentFiles().contains(QFileInfo(stackPath).absoluteFilePath()));

        // The truth opened as the mask: IoU 1 everywhere.
        QVERIFY(files->openMask(truthPath));
        w.iouPanel()->refresh();
        QCOMPARE(w.iouPanel()->text(false, 1, IoUPanel::StackIoU), QStringLiteral("1.0000"));

        // Edit, save, reopen: the file holds the edit (0/255) and the document is clean again.
        doc->mask().stamp(0, 5, 5, 2, 1);
        QVERIFY(doc->isDirty());
        const QString out = dir.filePath(QStringLiteral("edited.tif"));
        QVERIFY(files->saveMask(out));
        QVERIFY(!doc->isDirty());
        const VolumeU8 saved = readLabels(out.toStdString(), true);
        QVERIFY(saved.values() == doc->mask().labels().toVolume().values());

        // A mask of another size is refused with a message naming the file.
        const QString small = dir.filePath(QStringLiteral("small.tif"));
        writeStack(small.toStdString(), VolumeU8(Shape{2, 3, 4}, 0));
        QVERIFY(!files->openMask(small));
        QVERIFY(files->lastError().contains(QStringLiteral("small.tif")));
        // Not a TIFF: a typed error, no crash.
        QFile junk(dir.filePath(QStringLiteral("junk.tif")));
        QVERIFY(junk.open(QIODevice::WriteOnly));
        junk.write("definitely not a tiff");
        junk.close();
        QVERIFY(!files->openStack(junk.fileName()));
        QVERIFY(files->lastError().contains(QStringLiteral("junk.tif")));
        QCOMPARE(doc->shape(), shape);
    }

    void droppingFilesOpensStackThenMask()
    {
        QTemporaryDir dir;
        const Shape shape{3, 16, 24};
        const QString stackPath = dir.filePath(QStringLiteral("drop.tif"));
        const QString maskPath = dir.filePath(QStringLiteral("drop-mask.tif"));
        writeStack(stackPath.toStdString(), blobVolume(shape));
        VolumeU8 mask(shape, 0);
        mask(1, 8, 8) = 255;
        writeStack(maskPath.toStdString(), mask);
        MainWindow w(nullptr, dir.filePath(QStringLiteral("auto")));
        w.setInteractive(false);
        QMimeData data;
        data.setUrls({QUrl::fromLocalFile(stackPath), QUrl::fromLocalFile(maskPath)});
        QDragEnterEvent enter(QPoint(10, 10), Qt::CopyAction, &data, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&w, &enter);
        QVERIFY(enter.isAccepted());
        QDropEvent drop(QPointF(10, 10), Qt::CopyAction, &data, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&w, &drop);
        QCOMPARE(w.document()->shape(), shape);
        QCOMPARE(int(w.document()->mask().labels()(1, 8, 8)), 1);
        QCOMPARE(w.document()->maskPath(), maskPath);
    }

    void closeWithUnsavedEditsAsks()
    {
        QTemporaryDir dir;
        MainWindow w(nullptr, dir.filePath(QStringLiteral("auto")));
        w.setInteractive(false);
        const QString stackPath = dir.filePath(QStringLiteral("s.tif"));
        writeStack(stackPath.toStdString(), blobVolume(Shape{2, 20, 20}));
        QVERIFY(w.files()->openStack(stackPath));
        w.show();
        w.document()->mask().stamp(0, 5, 5, 1, 1);
        w.files()->setNonInteractiveAnswer(FileController::Answer::Cancel);
        QVERIFY(!w.close());
        QVERIFY(w.isVisible());
        // "Save" with a known mask path writes it and closes.
        w.document()->setMaskPath(dir.filePath(QStringLiteral("m.tif")));
        w.files()->setNonInteractiveAnswer(FileController::Answer::Save);
        QVERIFY(w.close());
        QVERIFY(QFile::exists(dir.filePath(QStringLiteral("m.tif"))));
    }
};

}  // namespace mitoseg::ui::test

using mitoseg::ui::test::FilesTest;
MITOSEG_UI_TEST(FilesTest)
#include "FilesTest.moc"
