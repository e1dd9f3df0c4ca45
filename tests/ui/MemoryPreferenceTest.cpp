// The memory budget preference: saved, applied at the next start unless the command line or the
// environment set a budget, checked before it is kept, and reachable from the Edit menu.
#include <QAction>
#include <QMenuBar>
#include <QSettings>
#include <QTemporaryDir>

#include <cstdlib>

#include "core/base/Memory.h"
#include "tests/ui/UiTest.h"
#include "ui/MainWindow.h"
#include "ui/MemoryPreference.h"

namespace mitoseg::ui::test {

class MemoryPreferenceTest : public QObject {
    Q_OBJECT

    void reset()
    {
        QSettings().remove(QStringLiteral("memory/budget"));
        ::unsetenv("MITOSEG_MEMORY_BUDGET");
        setMemoryBudget(0);
        MemoryPreference::applyAtStartup(false);
    }

private Q_SLOTS:
    void init() { reset(); }
    void cleanup() { reset(); }

    void isSavedCheckedAndAppliedAtTheNextStart()
    {
        QCOMPARE(memoryBudget(), kDefaultMemoryBudget);
        QVERIFY(MemoryPreference::describe().contains(QStringLiteral("the default")));
        QString error, note;
        QVERIFY(MemoryPreference::setFromText(QStringLiteral(" 2G "), &error, &note));
        QCOMPARE(MemoryPreference::saved(), std::uint64_t{2} << 30);
        QCOMPARE(memoryBudget(), std::uint64_t{2} << 30);   // in force at once
        QVERIFY(note.contains(QStringLiteral("2.0 GiB (this preference)")));
        // Nonsense and too little are refused with the reason; the saved value stays.
        QVERIFY(!MemoryPreference::setFromText(QStringLiteral("12 apples"), &error));
        QVERIFY(error.contains(QStringLiteral("not a size")));
        QVERIFY(!MemoryPreference::setFromText(QStringLiteral("64M"), &error));
        QVERIFY(error.contains(QStringLiteral("too small")));
        QCOMPARE(MemoryPreference::saved(), std::uint64_t{2} << 30);
        // The next start: the preference applies ...
        setMemoryBudget(0);
        QCOMPARE(MemoryPreference::applyAtStartup(false), MemoryPreference::Source::Preference);
        QCOMPARE(memoryBudget(), std::uint64_t{2} << 30);
        // ... unless the environment sets one for this run ...
        setMemoryBudget(0);
        ::setenv("MITOSEG_MEMORY_BUDGET", "512M", 1);
        QCOMPARE(MemoryPreference::applyAtStartup(false), MemoryPreference::Source::Environment);
        QCOMPARE(memoryBudget(), std::uint64_t{512} << 20);
        QVERIFY(MemoryPreference::describe().contains(QStringLiteral("MITOSEG_MEMORY_BUDGET")));
        ::unsetenv("MITOSEG_MEMORY_BUDGET");
        // ... or the command line does, which stays in force when the preference is edited.
        setMemoryBudget(std::uint64_t{3} << 30);
        QCOMPARE(MemoryPreference::applyAtStartup(true), MemoryPreference::Source::CommandLine);
        QVERIFY(MemoryPreference::setFromText(QStringLiteral("768M"), &error, &note));
        QCOMPARE(MemoryPreference::saved(), std::uint64_t{768} << 20);
        QCOMPARE(memoryBudget(), std::uint64_t{3} << 30);
        // "default" forgets it.
        setMemoryBudget(0);
        MemoryPreference::applyAtStartup(false);
        QVERIFY(MemoryPreference::setFromText(QStringLiteral("default"), &error));
        QCOMPARE(MemoryPreference::saved(), std::uint64_t{0});
        QCOMPARE(memoryBudget(), kDefaultMemoryBudget);
    }

    void theEditMenuHasIt()
    {
        QTemporaryDir scratch;
        MainWindow window(nullptr, scratch.filePath(QStringLiteral("autosave")));
        bool found = false;
        for (QAction* menu : window.menuBar()->actions())
            if (menu->menu() && menu->text() == QStringLiteral("&Edit"))
                for (QAction* a : menu->menu()->actions())
                    found = found || a->text() == QStringLiteral("Memory budget…");
        QVERIFY(found);
    }
};

MITOSEG_UI_TEST(MemoryPreferenceTest)

}  // namespace mitoseg::ui::test

#include "MemoryPreferenceTest.moc"
