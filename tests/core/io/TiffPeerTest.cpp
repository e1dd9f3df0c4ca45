// Cross-checks with tifffile (Debian's python3-tifffile): what we write it reads identically
// (values, shape, dtype, ImageJ slices and spacing), what it writes (tiled, compressed,
// BigTIFF, ImageJ) we read identically, and the real EPFL volume reads the same in both.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>

#include "../base/TestSupport.h"
#include "TiffFixtures.h"
#include "core/io/TiffStack.h"
#include "core/io/TiffWriter.h"

namespace mitoseg::test {
namespace {

/// Runs `script` with /usr/bin/python3 (arguments appended); returns stdout, fails on error.
std::string python(const ScratchDir& dir, const std::string& script, const std::string& args)
{
    const auto file = dir / "peer_check.py";
    std::ofstream(file) << script;
    std::string out;
    const int rc = runCommand("/usr/bin/python3 " + file.string() + " " + args + " 2>&1", &out);
    EXPECT_EQ(rc, 0) << out;
    return out;
}

/// Value of "key": in a flat JSON line, as text ("" when absent).
std::string jsonField(const std::string& json, const std::string& key)
{
    std::smatch m;
    if (std::regex_search(json, m, std::regex("\"" + key + "\": (\"[^\"]*\"|\\[[^\\]]*\\]|[^,}]+)")))
        return m[1].str();
    return "";
}

// For each PATH argument: one JSON line describing it, and its voxels to PATH.raw.
const char* kReadScript = R"PY(
import json, sys, tifffile
for path in sys.argv[1:]:
    with tifffile.TiffFile(path) as t:
        a = t.asarray()
        ij = t.imagej_metadata or {}
        xr = t.pages[0].tags['XResolution'].value
        yr = t.pages[0].tags['YResolution'].value
        print(json.dumps({"shape": list(a.shape), "dtype": str(a.dtype), "pages": len(t.pages),
                          "imagej": bool(t.is_imagej), "slices": ij.get("slices", 1),
                          "spacing": float(ij.get("spacing", 1.0)), "unit": ij.get("unit", ""),
                          "xres": xr[0] / xr[1], "yres": yr[0] / yr[1]}))
        a.astype(a.dtype.newbyteorder("<")).tofile(path + ".raw")
)PY";

template <class T>
Volume<T> patterned(Shape s)
{
    Volume<T> v(s);
    for (std::size_t i = 0; i < v.values().size(); ++i) {
        if constexpr (std::is_same_v<T, float>)
            v.values()[i] = static_cast<float>(i % 977) * 0.125f - 33.0f;
        else
            v.values()[i] = static_cast<T>((i * 2654435761u) >> (std::is_same_v<T, std::uint8_t> ? 24 : 16));
    }
    return v;
}

template <class T>
std::filesystem::path writeOurs(const ScratchDir& dir, TiffCompression c, Volume<T>& v)
{
    v = patterned<T>({4, 37, 50});
    v.spacing = {40.0, 4.0, 5.0, "nm"};
    std::string name = dtypeName(DTypeOf<T>::value);
    name.append("-").append(std::to_string(static_cast<int>(c))).append(".tif");
    const auto path = dir / name;
    writeStack(path, v, {c});
    return path;
}

template <class T>
void expectTifffileSaw(const std::string& line, const std::filesystem::path& path, const Volume<T>& v)
{
    SCOPED_TRACE(path.filename().string());
    EXPECT_EQ(jsonField(line, "shape"), "[4, 37, 50]") << line;
    EXPECT_EQ(jsonField(line, "dtype"), std::string("\"") + dtypeName(DTypeOf<T>::value) + "\"") << line;
    EXPECT_EQ(jsonField(line, "imagej"), "true") << line;
    EXPECT_EQ(jsonField(line, "slices"), "4") << line;
    EXPECT_EQ(jsonField(line, "unit"), "\"nm\"") << line;
    ASSERT_FALSE(jsonField(line, "spacing").empty()) << line;
    EXPECT_NEAR(std::stod(jsonField(line, "spacing")), 40.0, 1e-9) << line;
    EXPECT_NEAR(1.0 / std::stod(jsonField(line, "xres")), 5.0, 1e-5) << line;
    EXPECT_NEAR(1.0 / std::stod(jsonField(line, "yres")), 4.0, 1e-5) << line;
    const auto raw = readBytes(path.string() + ".raw");
    ASSERT_EQ(raw.size(), v.values().size() * sizeof(T));
    EXPECT_EQ(std::memcmp(raw.data(), v.data(), raw.size()), 0);
}

TEST(TiffPeer, TifffileReadsWhatWeWrite)
{
    // tifffile without imagecodecs decodes none, zlib and PackBits (not LZW).
    ScratchDir dir;
    std::vector<std::filesystem::path> paths;
    std::vector<VolumeU8> u8(3);
    std::vector<VolumeU16> u16(3);
    std::vector<VolumeF32> f32(3);
    const TiffCompression codecs[] = {TiffCompression::None, TiffCompression::Deflate, TiffCompression::PackBits};
    std::string args;
    for (int i = 0; i < 3; ++i) {
        for (const auto& p : {writeOurs(dir, codecs[i], u8[i]), writeOurs(dir, codecs[i], u16[i]), writeOurs(dir, codecs[i], f32[i])}) {
            paths.push_back(p);
            args.append(" ").append(p.string());
        }
    }
    const std::string out = python(dir, kReadScript, args);
    std::vector<std::string> lines;
    std::istringstream in(out);
    for (std::string l; std::getline(in, l);)
        lines.push_back(l);
    ASSERT_EQ(lines.size(), 9u) << out;
    for (int i = 0; i < 3; ++i) {
        expectTifffileSaw(lines[3 * i], paths[3 * i], u8[i]);
        expectTifffileSaw(lines[3 * i + 1], paths[3 * i + 1], u16[i]);
        expectTifffileSaw(lines[3 * i + 2], paths[3 * i + 2], f32[i]);
    }
}

const char* kWriteScript = R"PY(
import sys, numpy as np, tifffile
out = sys.argv[1]
rng = np.random.default_rng(5)
cases = {
    "tiled_zlib_pred_u16": dict(data=rng.integers(0, 65535, (3, 70, 90), dtype=np.uint16),
                                kw=dict(tile=(32, 32), compression="zlib", predictor=True)),
    "tiled_none_u8": dict(data=rng.integers(0, 255, (2, 40, 33), dtype=np.uint8), kw=dict(tile=(16, 16))),
    "strips_zlib_f32": dict(data=rng.standard_normal((3, 21, 19)).astype(np.float32),
                            kw=dict(compression="zlib", rowsperstrip=4)),
    "bigtiff_zlib_u8": dict(data=rng.integers(0, 4, (3, 30, 31), dtype=np.uint8),
                                kw=dict(bigtiff=True, compression="zlib")),
    "bigendian_u16": dict(data=rng.integers(0, 65535, (2, 11, 13), dtype=np.uint16), kw=dict(byteorder=">")),
    "imagej_u8": dict(data=rng.integers(0, 255, (5, 16, 24), dtype=np.uint8),
                      kw=dict(imagej=True, resolution=(1 / 0.25, 1 / 0.5),
                              metadata={"spacing": 1.5, "unit": "um", "axes": "ZYX"})),
}
for name, c in cases.items():
    if not c["kw"].get("imagej"):
        c["kw"]["photometric"] = "minisblack"
    tifffile.imwrite(f"{out}/{name}.tif", c["data"], **c["kw"])
    c["data"].astype(c["data"].dtype.newbyteorder("<")).tofile(f"{out}/{name}.raw")
print("ok")
)PY";

TEST(TiffPeer, WeReadWhatTifffileWrites)
{
    ScratchDir dir;
    ASSERT_NE(python(dir, kWriteScript, dir.path().string()).find("ok"), std::string::npos);
    struct Expect {
        const char* name;
        Shape shape;
        DType dtype;
        bool tiled, bigTiff;
        const char* compression;
    };
    const Expect cases[] = {
        {"tiled_zlib_pred_u16", {3, 70, 90}, DType::U16, true, false, "deflate"},
        {"tiled_none_u8", {2, 40, 33}, DType::U8, true, false, "none"},
        {"strips_zlib_f32", {3, 21, 19}, DType::F32, false, false, "deflate"},
        {"bigtiff_zlib_u8", {3, 30, 31}, DType::U8, false, true, "deflate"},
        {"bigendian_u16", {2, 11, 13}, DType::U16, false, false, "none"},
        {"imagej_u8", {5, 16, 24}, DType::U8, false, false, "none"},
    };
    for (const Expect& e : cases) {
        SCOPED_TRACE(e.name);
        auto stack = TiffStack::open(dir / (std::string(e.name) + ".tif"));
        const StackInfo& in = stack->info();
        EXPECT_EQ(in.shape, e.shape);
        EXPECT_EQ(in.dtype, e.dtype);
        EXPECT_EQ(in.tiled, e.tiled);
        EXPECT_EQ(in.bigTiff, e.bigTiff);
        EXPECT_EQ(in.compression, e.compression);
        std::vector<std::uint8_t> all(static_cast<std::size_t>(in.dataBytes()));
        const std::size_t sliceBytes = static_cast<std::size_t>(in.shape.sliceVoxels()) * dtypeSize(in.dtype);
        for (std::int64_t z = 0; z < in.shape.depth; ++z)
            stack->readSlice(z, all.data() + z * sliceBytes);
        EXPECT_TRUE(all == readBytes(dir / (std::string(e.name) + ".raw")));
    }
    const Spacing sp = TiffStack::open(dir / "imagej_u8.tif")->info().spacing;
    EXPECT_EQ(sp.unit, "um");
    EXPECT_NEAR(sp.x, 0.25, 1e-6);
    EXPECT_NEAR(sp.y, 0.5, 1e-6);
    EXPECT_NEAR(sp.z, 1.5, 1e-12);
}

const char* kLucchiScript = R"PY(
import json, sys, numpy as np, tifffile
path, raw = sys.argv[1], sys.argv[2]
with tifffile.TiffFile(path) as t:
    a = t.asarray()
    print(json.dumps({"shape": list(a.shape), "dtype": str(a.dtype),
                      "sums": [int(s) for s in a.reshape(a.shape[0], -1).sum(axis=1, dtype=np.int64)],
                      "nonzero": int(np.count_nonzero(a))}))
    a[[0, 82, 164]].tofile(raw)
)PY";

TEST(TiffPeer, LucchiTrainingVolumeMatchesTifffile)
{
    const auto path = lucchiFile("training.tif");
    ASSERT_FALSE(path.empty());
    ScratchDir dir;
    const std::string out = python(dir, kLucchiScript, path.string() + " " + (dir / "slices.raw").string());

    // Open + first slice, the viewer's latency: median of 5 well under 50 ms.
    std::vector<double> ms;
    std::vector<std::uint8_t> first(768 * 1024);
    for (int i = 0; i < 5; ++i) {
        const auto t = std::chrono::steady_clock::now();
        TiffStack::open(path)->readSlice(0, first.data());
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count());
    }
    std::sort(ms.begin(), ms.end());
    EXPECT_LT(ms[2], 50.0);

    VolumeU8 v = readStackU8(path);
    ASSERT_EQ(v.shape(), (Shape{165, 768, 1024}));
    EXPECT_EQ(jsonField(out, "shape"), "[165, 768, 1024]");
    EXPECT_EQ(jsonField(out, "dtype"), "\"uint8\"");
    std::string sums = "[";
    for (std::int64_t z = 0; z < v.depth(); ++z) {
        std::int64_t s = 0;
        for (std::int64_t i = 0; i < v.shape().sliceVoxels(); ++i)
            s += v.slice(z)[i];
        sums += (z ? ", " : "") + std::to_string(s);
    }
    EXPECT_EQ(jsonField(out, "sums"), sums + "]");
    const auto raw = readBytes(dir / "slices.raw");
    ASSERT_EQ(raw.size(), 3u * 768 * 1024);
    int k = 0;
    for (int z : {0, 82, 164})
        EXPECT_EQ(std::memcmp(raw.data() + (k++) * 768 * 1024, v.slice(z), 768 * 1024), 0) << "slice " << z;
    EXPECT_EQ(std::memcmp(first.data(), v.slice(0), first.size()), 0);
}

TEST(TiffPeer, LucchiMaskBinarizesLikeTifffileSlow)
{
    const auto path = lucchiFile("training_groundtruth.tif");
    ASSERT_FALSE(path.empty());
    ScratchDir dir;
    const std::string out = python(dir, kLucchiScript, path.string() + " " + (dir / "slices.raw").string());
    VolumeU8 labels = readLabels(path, true);
    ASSERT_EQ(labels.shape(), (Shape{165, 768, 1024}));
    std::int64_t ones = 0;
    for (auto v : labels.values()) {
        ASSERT_LE(v, 1);
        ones += v;
    }
    EXPECT_EQ(std::to_string(ones), jsonField(out, "nonzero"));
    EXPECT_GT(ones, 0);
}

}  // namespace
}  // namespace mitoseg::test
