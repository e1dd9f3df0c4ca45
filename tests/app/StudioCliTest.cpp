// mitoseg-studio's command line, run as a process: --help and --version without a display,
// and every option in its documented forms (--print-options shows what they resolved to).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "TestSupport.h"
#include "tests/ui/CorruptTiff.h"

#include <tiffio.h>
#include <vector>

using mitoseg::test::runCommand;
using mitoseg::test::ScratchDir;

namespace {

std::string studio() { return MITOSEG_STUDIO_EXE; }

/// Runs the studio offscreen with `args` and --print-options; returns its output (stdout+stderr).
std::string resolved(const std::string& args, int* rc = nullptr)
{
    std::string out;
    const int code = runCommand("QT_QPA_PLATFORM=offscreen '" + studio() + "' " + args + " --print-options 2>&1", &out);
    if (rc)
        *rc = code;
    else
        EXPECT_EQ(code, 0) << args << "\n" << out;
    return out;
}

bool has(const std::string& text, const std::string& line) { return text.find(line + "\n") != std::string::npos; }

/// `path` in single quotes, for a shell command line.
std::string shellQuoted(const std::filesystem::path& path)
{
    std::string q = "'";
    q += path.string();
    q += '\'';
    return q;
}

/// Runs the studio offscreen with `args` (settings and autosave kept in `dir`); returns its exit
/// code and fills `out` with stdout and stderr.
int runStudio(const ScratchDir& dir, const std::string& args, std::string* out)
{
    const std::string env = "QT_QPA_PLATFORM=offscreen XDG_CONFIG_HOME='" + (dir / "config").string() + "' XDG_DATA_HOME='"
                            + (dir / "data").string() + "' ";
    return runCommand(env + "'" + studio() + "' " + args + " 2>&1", out);
}

/// A plain uint8 stack (grey 90 with a bright 40 x 30 box on every page), written with libtiff.
void writePlainStack(const std::filesystem::path& path, int depth, int height, int width)
{
    TIFF* tif = TIFFOpen(path.c_str(), "w");
    ASSERT_NE(tif, nullptr);
    std::vector<std::uint8_t> page(static_cast<std::size_t>(height * width), 90);
    for (int y = 30; y < 60; ++y)
        for (int x = 40; x < 80; ++x)
            page[static_cast<std::size_t>(y * width + x)] = 200;
    for (int z = 0; z < depth; ++z) {
        TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, width);
        TIFFSetField(tif, TIFFTAG_IMAGELENGTH, height);
        TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 8);
        TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, 1);
        TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
        TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
        TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, height);
        ASSERT_GE(TIFFWriteEncodedStrip(tif, 0, page.data(), static_cast<tmsize_t>(page.size())), 0);
        ASSERT_TRUE(TIFFWriteDirectory(tif));
    }
    TIFFClose(tif);
}

}  // namespace

TEST(StudioCli, HelpAndVersionPrintWithoutADisplay)
{
    // No X server and the xcb platform: a QApplication would abort here.
    const std::string noDisplay = "env -u DISPLAY -u WAYLAND_DISPLAY QT_QPA_PLATFORM=xcb '" + studio() + "' ";
    std::string out;
    ASSERT_EQ(runCommand(noDisplay + "--help 2>&1", &out), 0) << out;
    for (const char* word : {"--open-session", "--mask", "--truth", "--model", "--slice", "--screenshot", "--3d",
                             "--segment-stack", "--bench"})
        EXPECT_NE(out.find(word), std::string::npos) << word << " missing from:\n" << out;
    ASSERT_EQ(runCommand(noDisplay + "-h 2>&1", &out), 0) << out;
    EXPECT_NE(out.find("--open-session"), std::string::npos);
    ASSERT_EQ(runCommand(noDisplay + "--version 2>&1", &out), 0) << out;
    EXPECT_NE(out.find("mitoseg-studio 0.1.0"), std::string::npos) << out;
    EXPECT_NE(runCommand(noDisplay + "--help --no-such-option 2>&1", &out), 0) << out;
}

TEST(StudioCli, EveryOptionInItsDocumentedForms)
{
    ScratchDir dir;
    int rc0 = 0;
    const std::string session = (dir / "my.json").string();
    std::ofstream(session) << "{}";

    std::string out = resolved("stack.tif --mask m.tif --truth t.tif --model f.msm --slice 7 --screenshot p.png "
                               "--ortho --3d --segment-stack");
    for (const char* line : {"stack=stack.tif", "mask=m.tif", "truth=t.tif", "model=f.msm", "slice=7", "screenshot=p.png",
                             "ortho=yes", "3d=yes", "segment-stack=yes", "segment-slice=no", "session="})
        EXPECT_TRUE(has(out, line)) << line << " missing from:\n" << out;
    out = resolved("--mask=m.tif --truth=t.tif --model=f.msm --slice=3 --screenshot=p.png --segment-slice");
    for (const char* line : {"stack=", "mask=m.tif", "truth=t.tif", "model=f.msm", "slice=3", "screenshot=p.png",
                             "segment-slice=yes", "ortho=no"})
        EXPECT_TRUE(has(out, line)) << line << " missing from:\n" << out;
    out = resolved("--bench --stack big.tif");
    EXPECT_TRUE(has(out, "bench=yes") && has(out, "bench-stack=big.tif")) << out;

    // Sessions: the option Qt does not claim, the = form, and `--session FILE`, which Qt's
    // session management takes (the studio recovers it when it names a file).
    for (const std::string& form : {"--open-session '" + session + "'", "--open-session='" + session + "'",
                                    "--session='" + session + "'", "--session '" + session + "'"}) {
        out = resolved(form);
        EXPECT_TRUE(has(out, "session=" + session)) << form << ":\n" << out;
        EXPECT_TRUE(has(out, "stack=")) << form << ":\n" << out;
    }

    out = resolved("--bench-bigdata big.tif --json --memory-budget 2G");
    EXPECT_TRUE(has(out, "bench-bigdata=big.tif") && has(out, "json=yes") && has(out, "memory-budget=2147483648")) << out;
    out = resolved("--memory-budget lots", &rc0);
    EXPECT_NE(rc0, 0) << out;
    EXPECT_NE(out.find("--memory-budget"), std::string::npos) << out;

    out = resolved("--first-run 60 --screenshot f.png");
    EXPECT_TRUE(has(out, "first-run=60") && has(out, "screenshot=f.png")) << out;
    EXPECT_TRUE(has(resolved(""), "first-run=0"));

    int rc = 0;
    out = resolved("--first-run 0", &rc);
    EXPECT_NE(rc, 0) << out;
    out = resolved("--slice 0", &rc);
    EXPECT_NE(rc, 0) << out;
    EXPECT_NE(out.find("--slice"), std::string::npos) << out;
    resolved("--no-such-option", &rc);
    EXPECT_NE(rc, 0);
}

TEST(StudioCli, AFileThatCannotBeOpenedFailsTheRunWithTheFileNamed)
{
    ScratchDir dir;
    const std::string png = (dir / "shot.png").string();
    std::ofstream(dir / "bad.json") << "{ this is not a session";
    std::ofstream(dir / "bad.msm") << "not a model";
    std::ofstream(dir / "bad.tif") << "not a TIFF";
    struct Case {
        std::string args, named;
    };
    const Case cases[] = {
        {shellQuoted(dir / "missing.tif"), "missing.tif"},
        {shellQuoted(dir / "bad.tif"), "bad.tif"},
        {"--open-session " + shellQuoted(dir / "bad.json"), "bad.json"},
        {"--open-session " + shellQuoted(dir / "nosuch.json"), "nosuch.json"},
        {"--model " + shellQuoted(dir / "missing.msm"), "missing.msm"},
        {"--model " + shellQuoted(dir / "bad.msm"), "bad.msm"},
        {"--mask " + shellQuoted(dir / "nomask.tif"), "nomask.tif"},
        {"--truth " + shellQuoted(dir / "notruth.tif"), "notruth.tif"},
    };
    for (const Case& c : cases) {
        std::filesystem::remove(png);
        std::string out;
        const int rc = runStudio(dir, c.args + " --screenshot " + shellQuoted(png), &out);
        EXPECT_NE(rc, 0) << c.args << "\n" << out;
        EXPECT_NE(out.find(c.named), std::string::npos) << c.args << ": the error does not name the file:\n" << out;
        EXPECT_NE(out.find("mitoseg-studio: "), std::string::npos) << c.args << "\n" << out;
        EXPECT_FALSE(std::filesystem::exists(png)) << c.args;
    }
}

TEST(StudioCli, ADamagedSliceDoesNotStopTheStudio)
{
    // One page of this Deflate stack does not decode; the slice view shows it, the ortho
    // views read every slice at start-up.
    ScratchDir dir;
    const auto stack = dir / "damaged.tif";
    mitoseg::test::writeStackWithCorruptPage(stack, mitoseg::Shape{5, 30, 40}, 2);
    const std::string png = (dir / "shot.png").string();
    std::string out;
    const int rc = runStudio(dir, shellQuoted(stack) + " --ortho --slice 3 --screenshot " + shellQuoted(png), &out);
    EXPECT_EQ(rc, 0) << out;
    EXPECT_TRUE(std::filesystem::exists(png)) << out;
}

TEST(StudioCli, BenchBigDataEndsWithOneJsonLineOfItsFigures)
{
    // The interface `mitoseg bench bigdata` calls: the last stdout line is one JSON object.
    ScratchDir dir;
    const auto stack = dir / "stack.tif";
    writePlainStack(stack, 40, 96, 128);
    std::string out;
    // Without a display and without QT_QPA_PLATFORM: it goes offscreen by itself.
    const int rc = runCommand("env -u DISPLAY -u WAYLAND_DISPLAY -u QT_QPA_PLATFORM '" + studio() + "' --bench-bigdata "
                                  + shellQuoted(stack) + " --json --memory-budget 64M 2>&1",
                              &out);
    ASSERT_EQ(rc, 0) << out;
    const auto end = out.find_last_not_of('\n');
    const auto start = out.rfind('\n', end);
    const std::string last = out.substr(start == std::string::npos ? 0 : start + 1, end - (start == std::string::npos ? 0 : start + 1) + 1);
    ASSERT_EQ(last.front(), '{') << out;
    ASSERT_EQ(last.back(), '}') << out;
    for (const char* key : {"\"peak_rss_mb\":", "\"open_s\":", "\"slice_change_ms_median\":", "\"slice_change_ms_p99\":",
                            "\"save_s\":", "\"saved_ok\":true", "\"memory_budget_mb\":64", "\"depth\":40",
                            "\"slice_change_cold\":true", "\"slice_change_warm_ms_p99\":"})
        EXPECT_NE(last.find(key), std::string::npos) << key << " missing from " << last;
}
