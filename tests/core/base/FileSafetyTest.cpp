// Issue #13 items 5 and 9: inputs are refused unless they are regular files (without blocking on
// a FIFO); outputs never replace special files, write through symbolic links, and several
// outputs of one job are replaced together or not at all.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>

#include "TestSupport.h"
#include "core/base/AtomicFile.h"
#include "core/base/Error.h"
#include "core/base/InputFile.h"

using namespace mitoseg;
using mitoseg::test::ScratchDir;

namespace {

std::string slurp(const std::filesystem::path& p)
{
    std::ifstream f(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
}

void writeText(TempFile& t, const std::string& text)
{
    ASSERT_EQ(::write(t.fd(), text.data(), text.size()), static_cast<ssize_t>(text.size()));
}

int entries(const std::filesystem::path& dir)
{
    int n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir))
        ++n;
    return n;
}

std::string errorOf(const std::function<void()>& f)
{
    try {
        f();
    } catch (const IoError& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace

TEST(InputFile, SpecialFilesAreRefusedWithoutBlocking)
{
    ScratchDir dir;
    ASSERT_EQ(::mkfifo((dir / "pipe").c_str(), 0600), 0);
    std::filesystem::create_directory(dir / "folder");
    std::filesystem::create_symlink("/dev/zero", dir / "zero");
    for (const char* name : {"pipe", "folder", "zero"}) {
        const std::string what = errorOf([&] { InputFile::open(dir / name, "model file"); });
        EXPECT_NE(what.find((dir / name).string()), std::string::npos) << what;
        EXPECT_NE(what.find("not a regular file"), std::string::npos) << what;
        EXPECT_FALSE(startsWith(dir / name, "MITOSEGM"));
    }
    EXPECT_NE(errorOf([&] { InputFile::open(dir / "pipe", "model file"); }).find("FIFO"), std::string::npos);
    EXPECT_NE(errorOf([&] { InputFile::open(dir / "missing", "model file"); }).find("No such file"), std::string::npos);
    std::ofstream(dir / "m") << "MITOSEGM rest";
    EXPECT_TRUE(startsWith(dir / "m", "MITOSEGM"));
    InputFile f = InputFile::open(dir / "m", "model file");
    EXPECT_EQ(f.size(), 13u);
    EXPECT_EQ(f.readAll(dir / "m", 100), "MITOSEGM rest");
    EXPECT_NE(errorOf([&] { f.readAll(dir / "m", 5); }).find("too large"), std::string::npos);
}

TEST(AtomicFile, SpecialTargetsAreRefusedAndLinksWrittenThrough)
{
    ScratchDir dir;
    ASSERT_EQ(::mkfifo((dir / "pipe").c_str(), 0600), 0);
    std::filesystem::create_directory(dir / "folder");
    std::filesystem::create_symlink("/dev/null", dir / "null");
    std::filesystem::create_symlink(dir / "nowhere", dir / "dangling");
    for (const char* name : {"pipe", "folder", "null", "dangling"}) {
        const std::string what = errorOf([&] { writeFileAtomically(dir / name, [](std::ostream& o) { o << "x"; }); });
        EXPECT_NE(what.find((dir / name).string()), std::string::npos) << what;
        EXPECT_NE(errorOf([&] { checkWritableOutput(dir / name); }), "(no error)") << name;
    }
    EXPECT_TRUE(std::filesystem::is_fifo(dir / "pipe"));
    EXPECT_TRUE(std::filesystem::is_symlink(dir / "null"));
    EXPECT_TRUE(std::filesystem::is_character_file("/dev/null"));

    std::filesystem::create_directory(dir / "real");
    std::ofstream(dir / "real" / "data.txt") << "old";
    std::filesystem::create_symlink(dir / "real" / "data.txt", dir / "link.txt");
    writeFileAtomically(dir / "link.txt", [](std::ostream& o) { o << "new"; });
    EXPECT_TRUE(std::filesystem::is_symlink(dir / "link.txt"));
    EXPECT_EQ(slurp(dir / "real" / "data.txt"), "new");
    EXPECT_EQ(entries(dir / "real"), 1);

    const std::string missing = errorOf([&] { checkWritableOutput(dir / "no" / "out.tif"); });
    EXPECT_NE(missing.find("out.tif"), std::string::npos) << missing;
    EXPECT_NE(missing.find("does not exist"), std::string::npos) << missing;
    checkWritableOutput(dir / "fresh.tif");
    EXPECT_FALSE(std::filesystem::exists(dir / "fresh.tif"));
}

TEST(AtomicFile, CommitTogetherReplacesAllOrNothing)
{
    ScratchDir dir;
    std::ofstream(dir / "a") << "old a";
    std::ofstream(dir / "b") << "old b";
    {
        TempFile a(dir / "a"), b(dir / "b");
        writeText(a, "new a");
        writeText(b, "new b");
        TempFile::commitTogether({&a, &b});
    }
    EXPECT_EQ(slurp(dir / "a"), "new a");
    EXPECT_EQ(slurp(dir / "b"), "new b");
    EXPECT_EQ(entries(dir.path()), 2);

    // The second rename fails (its target became a directory meanwhile): the first target keeps
    // its previous contents, a target that did not exist is not left behind, no temp remains.
    for (bool firstExists : {true, false}) {
        if (!firstExists)
            std::filesystem::remove(dir / "a");
        {
            TempFile a(dir / "a"), c(dir / "c");
            writeText(a, "newer a");
            writeText(c, "new c");
            std::filesystem::create_directory(dir / "c");
            std::ofstream(dir / "c" / "keep") << "x";
            const std::string what = errorOf([&] { TempFile::commitTogether({&a, &c}); });
            EXPECT_NE(what.find((dir / "c").string()), std::string::npos) << what;
        }
        if (firstExists)
            EXPECT_EQ(slurp(dir / "a"), "new a");
        else
            EXPECT_FALSE(std::filesystem::exists(dir / "a"));
        EXPECT_TRUE(std::filesystem::is_directory(dir / "c"));
        EXPECT_EQ(entries(dir.path()), firstExists ? 3 : 2) << "a, b, c only";
        std::filesystem::remove_all(dir / "c");
    }

    // An injected full disk fails the commit before anything is renamed.
    std::ofstream(dir / "a") << "old a";
    setCommitFailureForTesting([](const std::filesystem::path& t) { return t.filename() == "b"; });
    {
        TempFile a(dir / "a"), b(dir / "b");
        writeText(a, "x");
        writeText(b, "y");
        const std::string what = errorOf([&] { TempFile::commitTogether({&a, &b}); });
        EXPECT_NE(what.find("No space left"), std::string::npos) << what;
    }
    setCommitFailureForTesting(nullptr);
    EXPECT_EQ(slurp(dir / "a"), "old a");
    EXPECT_EQ(slurp(dir / "b"), "new b");
    EXPECT_EQ(entries(dir.path()), 2);
}

TEST(FileSafety, ScratchFilesGoToTmpdirAndVanish)
{
    ScratchDir dir;
    const char* old = std::getenv("TMPDIR");
    const std::string saved = old ? old : "";
    ::setenv("TMPDIR", dir.path().c_str(), 1);
    EXPECT_EQ(scratchDirectory(), dir.path());
    std::FILE* f = openScratchFile();
    ASSERT_NE(f, nullptr) << std::strerror(errno);
    // Made in $TMPDIR (where a cluster's node-local scratch is), already unlinked: the folder
    // stays empty and the file is gone when closed, whatever ends the process.
    char link[PATH_MAX] = {};
    const std::string fdPath = "/proc/self/fd/" + std::to_string(::fileno(f));
    ASSERT_GT(::readlink(fdPath.c_str(), link, sizeof link - 1), 0);
    const std::string target = link;
    EXPECT_EQ(target.rfind(dir.path().string() + "/mitoseg-scratch-", 0), 0u) << target;
    EXPECT_NE(target.find("(deleted)"), std::string::npos) << target;
    EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
    const char text[] = "runs";
    ASSERT_EQ(std::fwrite(text, 1, sizeof text, f), sizeof text);
    std::rewind(f);
    char back[sizeof text] = {};
    ASSERT_EQ(std::fread(back, 1, sizeof back, f), sizeof back);
    EXPECT_STREQ(back, text);
    std::fclose(f);
    // A TMPDIR that is not a folder falls back to the system's temporary folder.
    ::setenv("TMPDIR", (dir.path() / "missing").c_str(), 1);
    EXPECT_NE(scratchDirectory(), dir.path() / "missing");
    if (old)
        ::setenv("TMPDIR", saved.c_str(), 1);
    else
        ::unsetenv("TMPDIR");
}
