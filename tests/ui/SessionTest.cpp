// Session files (JSON) round trip, and crash recovery from the autosave.
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QTemporaryDir>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <future>

#include "tests/ui/UiTest.h"
#include "ui/Autosaver.h"
#include "ui/FileController.h"
#include "ui/LayerSettings.h"
#include "ui/MainWindow.h"
#include "ui/SliceView.h"
#include "ui/StudioDocument.h"
#include "ui/files/PredictionStore.h"

namespace mitoseg::ui::test {

namespace {
/// Runs `read` (which returns its error message) on a thread. When it has not returned after
/// 10 s it is stuck on the FIFO `fifo`: a writer is opened and closed to let it go (so the test
/// fails instead of hanging), and `*hung` is set.
QString readWithin10s(const QString& fifo, const std::function<QString()>& read, bool* hung)
{
    auto result = std::async(std::launch::async, read);
    *hung = result.wait_for(std::chrono::seconds(10)) != std::future_status::ready;
    if (*hung) {
        const int fd = ::open(QFile::encodeName(fifo).constData(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0)
            ::close(fd);
    }
    return result.get();
}
}  // namespace

class SessionTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void sessionJsonRoundTrip()
    {
        QTemporaryDir dir;
        Session s;
        s.stack = QStringLiteral("/data/stack.tif");
        s.mask = QStringLiteral("/data/mask.tif");
        s.reference = QStringLiteral("/data/truth.tif");
        s.model = QStringLiteral("/models/mito-fast.msm");
        s.z = 17;
        s.zoom = 2.5;
        s.pan = QPointF(-120.5, 33.25);
        s.hasLevels = true;
        s.levelLow = 12.5;
        s.levelHigh = 230;
        s.editedSlices = {3, 17, 40};
        const QString path = dir.filePath(QStringLiteral("s.json"));
        QVERIFY(s.save(path));
        auto back = Session::load(path);
        QVERIFY(back.has_value());
        QVERIFY(*back == s);
        QFile junk(dir.filePath(QStringLiteral("junk.json")));
        QVERIFY(junk.open(QIODevice::WriteOnly));
        junk.write("{\"format\": \"something else\"}");
        junk.close();
        QString error;
        QVERIFY(!Session::load(junk.fileName(), &error));
        QVERIFY(error.contains(QStringLiteral("junk.json")));
    }

    void sessionRestoresViewAndEditedSlices()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("view.json"));
        {
            MainWindow w(nullptr, dir.filePath(QStringLiteral("auto1")));
            w.setInteractive(false);
            w.resize(900, 700);
            w.show();
            QVERIFY(w.files()->openDemo());
            w.sliceView()->setSlice(5);
            w.sliceView()->setZoom(3.0, QPointF(100, 100));
            w.layers()->setLevels(40.f, 200.f);
            w.document()->mask().stamp(5, 100, 100, 4, 1);
            QVERIFY(w.files()->saveSession(path));
        }
        MainWindow w(nullptr, dir.filePath(QStringLiteral("auto2")));
        w.setInteractive(false);
        w.resize(900, 700);
        w.show();
        QVERIFY(w.files()->openSession(path));
        QCOMPARE(w.sliceView()->slice(), 5);
        QCOMPARE(w.sliceView()->zoom(), 3.0);
        QCOMPARE(w.layers()->levelLow(), 40.f);
        QCOMPARE(w.layers()->levelHigh(), 200.f);
        QCOMPARE(w.document()->mask().editedSlices(), (std::vector<std::int64_t>{5}));
    }

    void autosaveOffersRecoveryAfterACrash()
    {
        QTemporaryDir dir;
        const QString folder = dir.filePath(QStringLiteral("autosave"));
        VolumeU8 painted;
        {
            MainWindow w(nullptr, folder);
            w.setInteractive(false);
            QVERIFY(!w.startAutosave(3600));
            QVERIFY(w.files()->openDemo());
            QVERIFY(!w.autosaver()->saveNow());   // nothing changed yet
            w.document()->mask().stamp(3, 50, 60, 6, 1);
            QVERIFY(w.autosaver()->saveNow());
            // The timer's path writes on a background thread from a copy.
            w.document()->mask().stamp(3, 80, 60, 6, 1);
            painted = w.document()->mask().labels().toVolume();
            QVERIFY(w.autosaver()->saveInBackground());
            QTRY_VERIFY(readMaskRle(w.autosaver()->maskPath()).value_or(VolumeU8()).values() == painted.values());
            // "Crash": the window goes away without a clean finish, the lock stays.
        }
        QVERIFY(QFile::exists(folder + QStringLiteral("/studio.lock")));
        {
            MainWindow w(nullptr, folder);
            w.setInteractive(false);
            QVERIFY(w.autosaver()->hasRecovery());
            QVERIFY(w.startAutosave(3600, true));
            QVERIFY(w.document()->mask().labels().toVolume().values() == painted.values());
            QVERIFY(w.document()->isDirty());
            QCOMPARE(w.document()->mask().editedSlices(), (std::vector<std::int64_t>{3}));
            w.autosaver()->finish();   // clean exit
        }
        MainWindow w(nullptr, folder);
        QVERIFY(!w.autosaver()->hasRecovery());
    }

    void anotherRunningStudioIsNotACrash()
    {
        QTemporaryDir dir;
        const QString folder = dir.filePath(QStringLiteral("autosave"));
        QVERIFY(QDir().mkpath(folder));
        for (const char* name : {"/session.json", "/mask.msgmask"}) {
            QFile f(folder + QString::fromLatin1(name));
            QVERIFY(f.open(QIODevice::WriteOnly));
        }
        // The other studio holds the lock (as a running process does: an open, locked file).
        const QString lockPath = folder + QStringLiteral("/studio.lock");
        const int held = ::open(QFile::encodeName(lockPath).constData(), O_RDWR | O_CREAT, 0644);
        QVERIFY(held >= 0);
        QVERIFY(::flock(held, LOCK_EX | LOCK_NB) == 0);
        QVERIFY(::write(held, "1\n", 2) == 2);
        {
            MainWindow w(nullptr, folder);
            w.setInteractive(false);
            QVERIFY(w.autosaver()->lockedByOther());
            QVERIFY(!w.autosaver()->hasRecovery());
            QVERIFY(!w.startAutosave(3600, true));
            // The window says so, and why.
            auto* status = w.findChild<QLabel*>(QStringLiteral("autosaveStatus"));
            QVERIFY(status);
            QVERIFY(!status->isHidden());
            QVERIFY2(status->text().contains(QStringLiteral("Autosave off")), qPrintable(status->text()));
            QVERIFY2(status->toolTip().contains(QStringLiteral("another Mitoseg Studio")), qPrintable(status->toolTip()));
            QVERIFY2(status->toolTip().contains(folder), qPrintable(status->toolTip()));
            w.autosaver()->finish();
            QVERIFY(QFile::exists(lockPath));   // the other studio's lock stays
            QVERIFY(QFile::exists(folder + QStringLiteral("/mask.msgmask")));
        }
        // Once the other studio is gone (its lock released), autosave works here.
        ::close(held);
        MainWindow w(nullptr, folder);
        w.setInteractive(false);
        QVERIFY(!w.autosaver()->lockedByOther());
        w.startAutosave(3600, false);
        auto* status = w.findChild<QLabel*>(QStringLiteral("autosaveStatus"));
        QVERIFY(status && status->isHidden());
        w.autosaver()->finish();
    }

    void aStaleLockWithTheIdOfAnUnrelatedLiveProcessIsACrash()
    {
        // The crashed studio's process id now belongs to another live process (here pid 1):
        // the lock is stale all the same, and the autosave is offered and taken.
        QTemporaryDir dir;
        const QString folder = dir.filePath(QStringLiteral("autosave"));
        VolumeU8 painted;
        {
            MainWindow w(nullptr, folder);
            w.setInteractive(false);
            QVERIFY(!w.startAutosave(3600));
            QVERIFY(w.files()->openDemo());
            w.document()->mask().stamp(4, 40, 50, 5, 1);
            painted = w.document()->mask().labels().toVolume();
            QVERIFY(w.autosaver()->saveNow());
        }
        QFile lock(folder + QStringLiteral("/studio.lock"));
        QVERIFY(lock.open(QIODevice::WriteOnly | QIODevice::Truncate));
        lock.write("1\n");
        lock.close();
        MainWindow w(nullptr, folder);
        w.setInteractive(false);
        QVERIFY(!w.autosaver()->lockedByOther());
        QVERIFY(w.autosaver()->hasRecovery());
        QVERIFY(w.startAutosave(3600, true));
        QVERIFY(w.document()->mask().labels().toVolume().values() == painted.values());
        // And this window autosaves.
        auto* status = w.findChild<QLabel*>(QStringLiteral("autosaveStatus"));
        QVERIFY(status && status->isHidden());
        w.document()->mask().stamp(5, 40, 50, 5, 1);
        QVERIFY(w.autosaver()->saveNow());
        w.autosaver()->finish();
    }

    void aFailingAutosaveIsShownUntilItWorksAgain()
    {
        QTemporaryDir dir;
        const QString folder = dir.filePath(QStringLiteral("autosave"));
        MainWindow w(nullptr, folder);
        w.setInteractive(false);
        QVERIFY(!w.startAutosave(3600));
        QVERIFY(w.files()->openDemo());
        auto* status = w.findChild<QLabel*>(QStringLiteral("autosaveStatus"));
        QVERIFY(status && status->isHidden());
        // Something in the way of the mask file (a folder of that name): the write fails.
        QVERIFY(QDir().mkpath(w.autosaver()->maskPath()));
        w.document()->mask().stamp(2, 40, 50, 5, 1);
        QVERIFY(!w.autosaver()->saveNow());
        QVERIFY(!status->isHidden());
        QVERIFY2(status->text().contains(QStringLiteral("Autosave failing")), qPrintable(status->text()));
        QVERIFY2(status->toolTip().contains(QStringLiteral("mask.msgmask")), qPrintable(status->toolTip()));
        QVERIFY(QDir(w.autosaver()->maskPath()).removeRecursively());
        QVERIFY(w.autosaver()->saveNow());
        QVERIFY(status->isHidden());
        w.autosaver()->finish();
    }

    void aFifoDirectoryOrDeviceAsASessionIsRefusedWithoutHanging()
    {
        // Session files, the predictions beside them and the autosaved mask go through core's
        // InputFile checks: a named pipe with no writer must not block the GUI thread.
        QTemporaryDir dir;
        const QString fifo = dir.filePath(QStringLiteral("pipe-session.json"));
        QCOMPARE(::mkfifo(QFile::encodeName(fifo).constData(), 0600), 0);
        bool hung = false;
        QString error = readWithin10s(fifo, [&] {
            QString e;
            return Session::load(fifo, &e) ? QStringLiteral("loaded") : e;
        }, &hung);
        QVERIFY2(!hung, "Session::load blocked on a FIFO");
        QVERIFY2(error.contains(QStringLiteral("pipe-session.json")) && error.contains(QStringLiteral("FIFO")), qPrintable(error));

        error = readWithin10s(fifo, [&] {
            QString e;
            return readMaskRle(fifo, &e) ? QStringLiteral("loaded") : e;
        }, &hung);
        QVERIFY2(!hung, "readMaskRle blocked on a FIFO");
        QVERIFY2(error.contains(QStringLiteral("pipe-session.json")) && error.contains(QStringLiteral("FIFO")), qPrintable(error));

        MainWindow w(nullptr, dir.filePath(QStringLiteral("auto")));
        w.setInteractive(false);
        QVERIFY(w.files()->openDemo());
        error = readWithin10s(fifo, [&] {
            QString e;
            return PredictionStore::load(*w.document(), fifo, &e) >= 0 ? QStringLiteral("loaded") : e;
        }, &hung);
        QVERIFY2(!hung, "PredictionStore::load blocked on a FIFO");
        QVERIFY2(error.contains(QStringLiteral("pipe-session.json")) && error.contains(QStringLiteral("FIFO")), qPrintable(error));

        // File > Open session (the GUI thread's path) ends with the error, the demo stays open.
        QVERIFY(!w.files()->openSession(fifo));
        QVERIFY2(w.files()->lastError().contains(QStringLiteral("FIFO")), qPrintable(w.files()->lastError()));
        QVERIFY(w.document()->hasImage());

        QVERIFY(QDir(dir.path()).mkdir(QStringLiteral("folder.json")));
        QVERIFY(!Session::load(dir.filePath(QStringLiteral("folder.json")), &error));
        QVERIFY2(error.contains(QStringLiteral("folder.json")) && error.contains(QStringLiteral("directory")), qPrintable(error));
        const QString zero = dir.filePath(QStringLiteral("zero.json"));
        QVERIFY(QFile::link(QStringLiteral("/dev/zero"), zero));
        QVERIFY(!Session::load(zero, &error));
        QVERIFY2(error.contains(QStringLiteral("zero.json")) && error.contains(QStringLiteral("device")), qPrintable(error));
    }

    void corruptAutosaveIsRejected()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("m.msgmask"));
        VolumeU8 v(Shape{2, 3, 4}, 0);
        v(1, 2, 3) = 1;
        QVERIFY(writeMaskRle(path, v));
        auto back = readMaskRle(path);
        QVERIFY(back && back->values() == v.values());
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadWrite));
        f.resize(f.size() - 3);   // truncated
        f.close();
        QString error;
        QVERIFY(!readMaskRle(path, &error));
        QVERIFY(error.contains(QStringLiteral("m.msgmask")));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("MSGMASK1");
        const qint64 huge[3] = {1 << 20, 1 << 20, 1 << 20};   // a lying header must not allocate
        f.write(reinterpret_cast<const char*>(huge), sizeof(huge));
        f.close();
        QVERIFY(!readMaskRle(path, &error));
    }
};

}  // namespace mitoseg::ui::test

using mitoseg::ui::test::SessionTest;
MITOSEG_UI_TEST(SessionTest)
#include "SessionTest.moc"
