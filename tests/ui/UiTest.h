#pragma once
// A tiny registry so one QTest binary runs several test classes: each test file registers its
// class with MITOSEG_UI_TEST(Class); UiTestMain runs them all and fails when any failed.
#include <QObject>
#include <QTest>

#include <functional>
#include <memory>
#include <vector>

#include "core/base/Volume.h"

namespace mitoseg::ui::test {

using Factory = std::function<std::unique_ptr<QObject>()>;
std::vector<Factory>& registry();

struct Registrar {
    explicit Registrar(Factory f) { registry().push_back(std::move(f)); }
};

/// A small grey volume with dark blobs (value 60) on a bright background (value 180).
VolumeU8 blobVolume(Shape shape);

}  // namespace mitoseg::ui::test

#define MITOSEG_UI_TEST(Class)                                                                                  \
    static const mitoseg::ui::test::Registrar registrar_##Class([] { return std::unique_ptr<QObject>(new Class); });
