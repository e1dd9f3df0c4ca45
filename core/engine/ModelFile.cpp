#include "core/engine/ModelFile.h"

#include <cstdio>
#include <cstring>

#include "core/base/AtomicFile.h"
#include "core/base/Error.h"
#include "core/base/InputFile.h"

namespace mitoseg {

namespace {

constexpr char kMagic[8] = {'M', 'I', 'T', 'O', 'S', 'E', 'G', 'M'};
constexpr std::uint32_t kMaxHeader = 1u << 20;
constexpr std::uint32_t kMaxBlobs = 8;
constexpr std::uint64_t kMaxFile = std::uint64_t{1} << 30;

std::uint64_t fnv1a(std::uint64_t h, const char* p, std::size_t n)
{
    for (std::size_t i = 0; i < n; ++i) {
        h ^= static_cast<unsigned char>(p[i]);
        h *= 1099511628211ull;
    }
    return h;
}
constexpr std::uint64_t kFnvSeed = 1469598103934665603ull;

template <class T>
void put(std::string& out, T v)
{
    for (std::size_t i = 0; i < sizeof(T); ++i)
        out += static_cast<char>((static_cast<std::uint64_t>(v) >> (8 * i)) & 0xFF);
}

/// Bounded little-endian reader over the file contents.
class Reader {
public:
    Reader(const std::string& data, const std::filesystem::path& path) : d_(data), path_(path) {}
    template <class T>
    T get(const char* what)
    {
        need(sizeof(T), what);
        std::uint64_t v = 0;
        for (std::size_t i = 0; i < sizeof(T); ++i)
            v |= static_cast<std::uint64_t>(static_cast<unsigned char>(d_[pos_ + i])) << (8 * i);
        pos_ += sizeof(T);
        return static_cast<T>(v);
    }
    std::string bytes(std::uint64_t n, const char* what)
    {
        need(n, what);
        std::string s = d_.substr(pos_, static_cast<std::size_t>(n));
        pos_ += static_cast<std::size_t>(n);
        return s;
    }
    void need(std::uint64_t n, const char* what) const
    {
        if (n > d_.size() - pos_)
            throw IoError(IoError::Kind::BadModel, path_, -1,
                          std::string("truncated or corrupt model file (") + what + " needs " + std::to_string(n) +
                              " bytes, " + std::to_string(d_.size() - pos_) + " left)");
    }
    std::size_t pos() const { return pos_; }

private:
    const std::string& d_;
    const std::filesystem::path& path_;
    std::size_t pos_ = 0;
};

}  // namespace

void writeModelContainer(const std::filesystem::path& path, const ModelContainer& c)
{
    std::string out(kMagic, sizeof kMagic);
    put<std::uint32_t>(out, kModelFormatVersion);
    std::string header = c.header.dump(1);
    if (header.size() > kMaxHeader)
        throw IoError(IoError::Kind::WriteFailed, path, -1, "model header too large");
    put<std::uint32_t>(out, static_cast<std::uint32_t>(header.size()));
    out += header;
    if (c.blobs.size() > kMaxBlobs)
        throw IoError(IoError::Kind::WriteFailed, path, -1, "too many blobs");
    put<std::uint32_t>(out, static_cast<std::uint32_t>(c.blobs.size()));
    for (const auto& b : c.blobs) {
        put<std::uint64_t>(out, b.size());
        out += b;
    }
    put<std::uint64_t>(out, fnv1a(kFnvSeed, out.data() + sizeof kMagic, out.size() - sizeof kMagic));

    writeFileAtomically(path, [&out](std::ostream& f) { f.write(out.data(), static_cast<std::streamsize>(out.size())); });
}

ModelContainer readModelContainer(const std::filesystem::path& path)
{
    // Refuses FIFOs, devices and directories before reading a byte (a FIFO must not hang us).
    InputFile file = InputFile::open(path, "model file");
    if (file.size() > kMaxFile)
        throw IoError(IoError::Kind::BadModel, path, -1, "file too large to be a model (" + std::to_string(file.size()) + " bytes)");
    const std::string data = file.readAll(path, kMaxFile);

    Reader r(data, path);
    std::string magic = r.bytes(sizeof kMagic, "magic");
    if (std::memcmp(magic.data(), kMagic, sizeof kMagic) != 0)
        throw IoError(IoError::Kind::BadModel, path, -1, "not a mitoseg model file (bad magic)");
    auto version = r.get<std::uint32_t>("version");
    if (version != kModelFormatVersion)
        throw IoError(IoError::Kind::BadModel, path, -1,
                      "unsupported model file version " + std::to_string(version) + " (this build reads " +
                          std::to_string(kModelFormatVersion) + ")");
    auto headerLen = r.get<std::uint32_t>("header length");
    if (headerLen > kMaxHeader)
        throw IoError(IoError::Kind::BadModel, path, -1, "header length " + std::to_string(headerLen) + " exceeds 1 MiB");
    std::string headerText = r.bytes(headerLen, "header");
    auto count = r.get<std::uint32_t>("blob count");
    if (count > kMaxBlobs)
        throw IoError(IoError::Kind::BadModel, path, -1, "blob count " + std::to_string(count) + " exceeds " + std::to_string(kMaxBlobs));
    ModelContainer c;
    for (std::uint32_t i = 0; i < count; ++i) {
        auto len = r.get<std::uint64_t>("blob length");
        c.blobs.push_back(r.bytes(len, "blob"));
    }
    std::size_t end = r.pos();
    auto sum = r.get<std::uint64_t>("checksum");
    if (r.pos() != data.size())
        throw IoError(IoError::Kind::BadModel, path, -1, "trailing bytes after checksum");
    if (sum != fnv1a(kFnvSeed, data.data() + sizeof kMagic, end - sizeof kMagic))
        throw IoError(IoError::Kind::BadModel, path, -1, "checksum mismatch (file corrupted)");
    try {
        c.header = Json::parse(headerText);
    } catch (const Error& e) {
        throw IoError(IoError::Kind::BadModel, path, -1, std::string("bad header: ") + e.what());
    }
    if (!c.header.isObject())
        throw IoError(IoError::Kind::BadModel, path, -1, "header is not a JSON object");
    return c;
}

}  // namespace mitoseg
