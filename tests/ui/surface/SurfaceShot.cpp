// mitoseg-surface-shot: renders the surfaces of a mask with the studio's SurfaceView (or the whole
// SurfacePanel) and saves a PNG. A developer tool for screenshots and visual checks; it needs an
// X server, e.g.  xvfb-run -a -s "-screen 0 1280x1024x24" mitoseg-surface-shot MASK out.png
#include <QApplication>
#include <QImage>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTest>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "core/io/TiffStack.h"
#include "core/mesh/SurfaceExtractor.h"
#include "ui/surface/SurfacePanel.h"
#include "ui/surface/SurfaceView.h"

namespace {

const char* kUsage =
    "usage: mitoseg-surface-shot MASK OUT.png [--spacing Z,Y,X] [--unit U] [--size WxH] [--smooth N]\n"
    "                            [--passband P] [--decimate F] [--min-voxels N] [--slice Z] [--select ID] [--panel]\n"
    "Renders the objects of MASK (non-zero voxels) in 3D and saves a PNG of the view (or, with\n"
    "--panel, of the whole surface panel with its measurement table).\n";

bool parsePair(const std::string& s, char sep, int& a, int& b)
{
    return std::sscanf(s.c_str(), sep == 'x' ? "%dx%d" : "%d,%d", &a, &b) == 2 && a > 0 && b > 0;
}

}  // namespace

int main(int argc, char** argv)
{
    mitoseg::ui::setDefaultSurfaceFormat();  // before QApplication
    QApplication app(argc, argv);
    std::vector<std::string> pos;
    mitoseg::MeshOptions options;
    std::string spacingText, unit;
    int width = 1280, height = 800, slice = -1;
    unsigned select = 0;
    bool panelShot = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "%s needs a value\n%s", a.c_str(), kUsage);
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--help" || a == "-h") {
            std::printf("%s", kUsage);
            return 0;
        } else if (a == "--spacing") {
            spacingText = next();
        } else if (a == "--unit") {
            unit = next();
        } else if (a == "--size") {
            if (!parsePair(next(), 'x', width, height)) {
                std::fprintf(stderr, "--size needs WxH\n");
                return 2;
            }
        } else if (a == "--smooth") {
            options.smoothIterations = std::atoi(next().c_str());
        } else if (a == "--passband") {
            options.passBand = std::atof(next().c_str());
        } else if (a == "--decimate") {
            options.decimate = std::atof(next().c_str());
        } else if (a == "--min-voxels") {
            options.minVoxels = std::atoll(next().c_str());
        } else if (a == "--slice") {
            slice = std::atoi(next().c_str());
        } else if (a == "--select") {
            select = static_cast<unsigned>(std::atoi(next().c_str()));
        } else if (a == "--panel") {
            panelShot = true;
        } else if (a.rfind("--", 0) == 0) {
            std::fprintf(stderr, "unknown option %s\n%s", a.c_str(), kUsage);
            return 2;
        } else {
            pos.push_back(a);
        }
    }
    if (pos.size() != 2) {
        std::fprintf(stderr, "%s", kUsage);
        return 2;
    }
    try {
        mitoseg::VolumeU8 mask = mitoseg::readLabels(pos[0], true);
        mitoseg::Spacing spacing = mask.spacing;
        if (!spacingText.empty() &&
            std::sscanf(spacingText.c_str(), "%lf,%lf,%lf", &spacing.z, &spacing.y, &spacing.x) != 3) {
            std::fprintf(stderr, "--spacing needs Z,Y,X\n");
            return 2;
        }
        if (!unit.empty())
            spacing.unit = unit;

        mitoseg::ui::SurfacePanel panel;
        panel.setOptions(options);
        if (!panelShot)
            panel.table()->hide();  // the view alone fills the panel (status row aside)
        panel.resize(width, panelShot ? height + 260 : height + 40);
        panel.show();
        if (!QTest::qWaitForWindowExposed(&panel)) {
            std::fprintf(stderr, "the window was never shown (no X server? use xvfb-run)\n");
            return 1;
        }
        QSignalSpy ready(&panel, &mitoseg::ui::SurfacePanel::meshesReady);
        QSignalSpy failed(&panel, &mitoseg::ui::SurfacePanel::meshingFailed);
        panel.setMask(mask, spacing);
        while (ready.isEmpty() && failed.isEmpty())
            ready.wait(1000);
        if (!failed.isEmpty()) {
            std::fprintf(stderr, "meshing failed: %s\n", failed.at(0).at(0).toString().toStdString().c_str());
            return 1;
        }
        if (slice >= 0)
            panel.setSlice(slice);
        if (select > 0)
            panel.selectObject(select);
        QTest::qWait(100);
        QImage image = panelShot ? panel.grab().toImage() : panel.view()->grabFramebuffer();
        if (!image.save(QString::fromStdString(pos[1]))) {
            std::fprintf(stderr, "cannot write %s\n", pos[1].c_str());
            return 1;
        }
        std::printf("%s: %d objects, %lld triangles, %dx%d image\n", pos[1].c_str(), ready.at(0).at(0).toInt(),
                    static_cast<long long>(ready.at(0).at(1).toLongLong()), image.width(), image.height());
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mitoseg-surface-shot: %s\n", e.what());
        return 1;
    }
}
