// Runs every registered QTest class (see UiTest.h). Run with QT_QPA_PLATFORM=offscreen.
#include <QApplication>
#include <QStandardPaths>

#include <cstdio>

#include "tests/ui/UiTest.h"

namespace mitoseg::ui::test {

std::vector<Factory>& registry()
{
    static std::vector<Factory> r;
    return r;
}

VolumeU8 blobVolume(Shape shape)
{
    VolumeU8 v(shape, 180);
    for (std::int64_t z = 0; z < shape.depth; ++z)
        for (std::int64_t y = 0; y < shape.height; ++y)
            for (std::int64_t x = 0; x < shape.width; ++x) {
                const std::int64_t dx = x - shape.width / 3 - z, dy = y - shape.height / 2;
                if (dx * dx + dy * dy < (shape.height / 4) * (shape.height / 4))
                    v(z, y, x) = 60;
            }
    return v;
}

}  // namespace mitoseg::ui::test

int main(int argc, char** argv)
{
    QStandardPaths::setTestModeEnabled(true);
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("MitosegTest"));
    QApplication::setApplicationName(QStringLiteral("ui_tests"));
    // MITOSEG_UI_TEST_CLASS=Name runs only that test class (for quick local runs).
    const QByteArray only = qgetenv("MITOSEG_UI_TEST_CLASS");
    int failed = 0;
    for (const auto& make : mitoseg::ui::test::registry()) {
        auto object = make();
        if (!only.isEmpty() && only != object->metaObject()->className() &&
            !QByteArray(object->metaObject()->className()).endsWith("::" + only))
            continue;
        failed += QTest::qExec(object.get(), argc, argv) != 0 ? 1 : 0;
    }
    std::printf("ui_tests: %zu test classes, %d failed\n", mitoseg::ui::test::registry().size(), failed);
    return failed == 0 ? 0 : 1;
}
