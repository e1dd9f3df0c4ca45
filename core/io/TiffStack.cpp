#include "core/io/TiffStack.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <atomic>
#include <exception>
#include <mutex>
#include <new>
#include <optional>
#include <thread>

#include "core/base/InputFile.h"
#include "core/io/MappedFile.h"
#include "core/io/TiffIndex.h"
#include "core/io/TiffSupport.h"

namespace mitoseg {

namespace {

using Kind = IoError::Kind;

/// Closes a file descriptor on scope exit.
struct FdGuard {
    int fd = -1;
    ~FdGuard()
    {
        if (fd >= 0)
            ::close(fd);
    }
};

void swapInPlace(void* data, std::size_t count, std::size_t elemSize)
{
    auto* b = static_cast<std::uint8_t*>(data);
    if (elemSize == 2)
        for (std::size_t i = 0; i < count; ++i)
            std::swap(b[2 * i], b[2 * i + 1]);
    else if (elemSize == 4)
        for (std::size_t i = 0; i < count; ++i) {
            std::swap(b[4 * i], b[4 * i + 3]);
            std::swap(b[4 * i + 1], b[4 * i + 2]);
        }
}

/// A libtiff handle on the stack's file and the page it is positioned on. Used by one thread
/// at a time (leased from the stack's pool).
struct Decoder {
    std::unique_ptr<tiff::Handle> handle;
    std::int64_t current = -1;  ///< IFD number the handle is on, -1 unknown
};

/// The TiffStack implementation: a read-only memory map for uncompressed strips (lock-free),
/// libtiff for compressed/tiled pages through a pool of handles, one per concurrent reader
/// (so slices decode in parallel; the pool's list is guarded by a mutex).
class LibTiffStack final : public TiffStack {
public:
    LibTiffStack(tiff::Index index, std::unique_ptr<tiff::Handle> handle, int fd)
        : index_(std::move(index)), fd_(fd), map_(fd, index_.info.fileBytes)
    {
        auto first = std::make_unique<Decoder>();
        first->handle = std::move(handle);
        idle_.push_back(std::move(first));
    }
    ~LibTiffStack() override { ::close(fd_); }

    const StackInfo& info() const override { return index_.info; }

    void readSlice(std::int64_t z, void* dst) const override
    {
        const tiff::Page& page = pageAt(z);
        if (!page.rawRuns.empty())
            readRaw(page, dst);
        else
            decode(page, static_cast<std::uint8_t*>(dst));
    }

    void readSliceF32(std::int64_t z, float* dst) const override
    {
        const std::size_t n = static_cast<std::size_t>(index_.info.shape.sliceVoxels());
        switch (index_.info.dtype) {
        case DType::F32: readSlice(z, dst); return;
        case DType::U8: {
            std::vector<std::uint8_t> tmp(n);
            readSlice(z, tmp.data());
            std::copy(tmp.begin(), tmp.end(), dst);
            return;
        }
        case DType::U16: {
            std::vector<std::uint16_t> tmp(n);
            readSlice(z, tmp.data());
            std::copy(tmp.begin(), tmp.end(), dst);
            return;
        }
        }
    }

    const void* mappedSlice(std::int64_t z) const override
    {
        const tiff::Page& page = pageAt(z);
        if (!map_.data() || index_.swapBytes || page.rawRuns.size() != 1)
            return nullptr;
        return map_.data() + page.rawRuns.front().first;
    }

    void releaseMappedSlice(std::int64_t z) const override
    {
        if (!map_.data())
            return;
        for (const auto& [offset, length] : pageAt(z).rawRuns)
            map_.release(offset, length);
    }

private:
    const tiff::Page& pageAt(std::int64_t z) const
    {
        if (z < 0 || z >= static_cast<std::int64_t>(index_.pages.size()))
            throw IoError(Kind::Unsupported, index_.info.path, z,
                          "slice index out of range (stack has " + std::to_string(index_.pages.size()) + " slices)");
        return index_.pages[static_cast<std::size_t>(z)];
    }

    void readRaw(const tiff::Page& page, void* dst) const
    {
        auto* out = static_cast<std::uint8_t*>(dst);
        // pread, not the memory map: a copy out of the page cache either way, but faults on the
        // map bring in their neighbours too (the kernel's fault-around maps up to 64 KiB), and
        // pages of a slice already released came back with the next slice's first fault and
        // stayed: `mitoseg evaluate` grew by about 27 KiB per slice and file read that way. A
        // file cut short under us also gives an error here, not SIGBUS.
        for (const auto& [offset, length] : page.rawRuns) {
            std::uint64_t done = 0;
            while (done < length) {
                const ssize_t got =
                    ::pread(fd_, out + done, static_cast<std::size_t>(length - done), static_cast<off_t>(offset + done));
                if (got < 0 && errno == EINTR)
                    continue;
                if (got <= 0)
                    throw IoError(got == 0 ? Kind::Truncated : Kind::Unreadable, index_.info.path, page.ifdNumber,
                                  got == 0 ? "unexpected end of file" : std::string("read failed: ") + std::strerror(errno));
                done += static_cast<std::uint64_t>(got);
            }
            out += length;
        }
        if (index_.swapBytes && dtypeSize(index_.info.dtype) > 1)
            swapInPlace(dst, static_cast<std::size_t>(index_.info.shape.sliceVoxels()), dtypeSize(index_.info.dtype));
    }

    [[noreturn]] void fail(const tiff::Page& page, const Decoder& d, const std::string& what) const
    {
        throw IoError(Kind::Corrupt, index_.info.path, page.ifdNumber, what + d.handle->log().suffix());
    }

    /// A decoder from the pool, or a new handle on the same open file when every pooled one
    /// is in use by another thread.
    std::unique_ptr<Decoder> acquire(const tiff::Page& page) const
    {
        {
            std::lock_guard<std::mutex> lock(poolMutex_);
            if (!idle_.empty()) {
                auto d = std::move(idle_.back());
                idle_.pop_back();
                return d;
            }
        }
        auto d = std::make_unique<Decoder>();
        d->handle = std::make_unique<tiff::Handle>();
        if (!d->handle->openRead(fd_, index_.info.path))
            throw IoError(Kind::Unreadable, index_.info.path, page.ifdNumber,
                          "cannot open a second reader on the file" + d->handle->log().suffix());
        return d;
    }

    void release(std::unique_ptr<Decoder> d) const
    {
        std::lock_guard<std::mutex> lock(poolMutex_);
        if (idle_.size() < 8)
            idle_.push_back(std::move(d));
    }

    /// Returns its decoder to the pool when it goes out of scope.
    struct Lease {
        const LibTiffStack& stack;
        std::unique_ptr<Decoder> decoder;
        ~Lease() { stack.release(std::move(decoder)); }
    };

    void decode(const tiff::Page& page, std::uint8_t* dst) const
    {
        Lease l{*this, acquire(page)};
        Decoder& d = *l.decoder;
        TIFF* tif = d.handle->get();
        d.handle->log().clear();
        if (d.current != page.ifdNumber) {
            d.current = -1;
            if (!TIFFSetSubDirectory(tif, page.ifdOffset))
                fail(page, d, "cannot read the page directory");
            d.current = page.ifdNumber;
        }
        const std::uint64_t bpp = dtypeSize(index_.info.dtype);
        const std::uint64_t width = static_cast<std::uint64_t>(index_.info.shape.width);
        const std::uint64_t height = static_cast<std::uint64_t>(index_.info.shape.height);
        const std::uint64_t rowBytes = width * bpp;
        if (!page.tiled) {
            const std::uint64_t strips = (height + page.rowsPerStrip - 1) / page.rowsPerStrip;
            for (std::uint64_t s = 0; s < strips; ++s) {
                const std::uint64_t rows = std::min<std::uint64_t>(page.rowsPerStrip, height - s * page.rowsPerStrip);
                const tmsize_t want = static_cast<tmsize_t>(rows * rowBytes);
                const tmsize_t got = TIFFReadEncodedStrip(tif, static_cast<std::uint32_t>(s),
                                                          dst + s * page.rowsPerStrip * rowBytes, want);
                if (got != want)
                    fail(page, d, "cannot decode strip " + std::to_string(s));
            }
            return;
        }
        const std::uint64_t tw = page.tileWidth, th = page.tileHeight;
        const tmsize_t tileBytes = static_cast<tmsize_t>(tw * th * bpp);
        std::vector<std::uint8_t> tile(static_cast<std::size_t>(tileBytes));
        for (std::uint64_t ty = 0; ty < height; ty += th) {
            for (std::uint64_t tx = 0; tx < width; tx += tw) {
                const std::uint32_t t = TIFFComputeTile(tif, static_cast<std::uint32_t>(tx), static_cast<std::uint32_t>(ty), 0, 0);
                if (TIFFReadEncodedTile(tif, t, tile.data(), tileBytes) != tileBytes)
                    fail(page, d, "cannot decode tile " + std::to_string(t));
                const std::uint64_t rows = std::min(th, height - ty);
                const std::uint64_t cols = std::min(tw, width - tx);
                for (std::uint64_t r = 0; r < rows; ++r)
                    std::memcpy(dst + (ty + r) * rowBytes + tx * bpp, tile.data() + r * tw * bpp,
                                static_cast<std::size_t>(cols * bpp));
            }
        }
    }

    tiff::Index index_;
    int fd_;
    MappedFile map_;
    mutable std::mutex poolMutex_;
    mutable std::vector<std::unique_ptr<Decoder>> idle_;  ///< guarded by poolMutex_
};

/// Fast path of readAll when every slice lies in the memory map in native order and aligned:
/// one copy straight into fresh (huge-page) storage, never zero-filled first.
template <class T>
std::optional<Volume<T>> readAllMapped(const TiffStack& stack, ProgressSink* progress, const CancelToken* cancel)
{
    const StackInfo& in = stack.info();
    const std::int64_t depth = in.shape.depth;
    const auto sliceVoxels = static_cast<std::size_t>(in.shape.sliceVoxels());
    std::vector<const T*> slices(static_cast<std::size_t>(depth));
    for (std::int64_t z = 0; z < depth; ++z) {
        const void* p = stack.mappedSlice(z);
        if (!p || reinterpret_cast<std::uintptr_t>(p) % alignof(T) != 0)
            return std::nullopt;
        slices[static_cast<std::size_t>(z)] = static_cast<const T*>(p);
    }
    std::vector<T> data;
    try {
        data.reserve(sliceVoxels * static_cast<std::size_t>(depth));
    } catch (const std::bad_alloc&) {
        throw IoError(Kind::Unsupported, in.path, -1,
                      "the stack needs " + std::to_string(in.dataBytes() >> 20) + " MiB, more memory than is available");
    }
    detail::adviseHugePages(data.data(), in.dataBytes());
    for (std::int64_t z = 0; z < depth; ++z) {
        if (cancel)
            cancel->check();
        const T* p = slices[static_cast<std::size_t>(z)];
        data.insert(data.end(), p, p + sliceVoxels);
        if (progress)
            progress->progress(static_cast<double>(z + 1), static_cast<double>(depth), "reading slices");
    }
    Volume<T> volume(in.shape, std::move(data));
    volume.spacing = in.spacing;
    return volume;
}

}  // namespace

std::unique_ptr<TiffStack> TiffStack::open(const std::filesystem::path& path)
{
    // Refuses directories, FIFOs, devices and sockets before reading a byte (never blocks).
    InputFile file = InputFile::open(path, "TIFF stack");
    FdGuard fd{file.release()};
    const std::uint64_t fileSize = file.size();
    tiff::checkHeader(fd.fd, fileSize, path);

    // libtiff reads the descriptor that was checked; the path is not looked up a second time.
    auto handle = std::make_unique<tiff::Handle>();
    if (!handle->openRead(fd.fd, path))
        throw IoError(Kind::Corrupt, path, 0, "libtiff cannot read the file" + handle->log().suffix());
    tiff::Index index = tiff::buildIndex(*handle, fd.fd, path, fileSize);
    // The handle was walked to the last page; the lazy decoder repositions it on demand.
    auto stack = std::make_unique<LibTiffStack>(std::move(index), std::move(handle), fd.fd);
    fd.fd = -1;
    return stack;
}

template <class T>
Volume<T> TiffStack::readAll(ProgressSink* progress, const CancelToken* cancel) const
{
    const StackInfo& in = info();
    if (in.dtype != DTypeOf<T>::value)
        throw IoError(Kind::Unsupported, in.path, -1,
                      std::string("stack holds ") + dtypeName(in.dtype) + " voxels, but " +
                          dtypeName(DTypeOf<T>::value) + " were requested");
    const long pages = ::sysconf(_SC_PHYS_PAGES), pageSize = ::sysconf(_SC_PAGESIZE);
    const std::uint64_t ram = pages > 0 && pageSize > 0 ? static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(pageSize) : 0;
    if (ram && in.dataBytes() > ram)
        throw IoError(Kind::Unsupported, in.path, -1,
                      "the stack needs " + std::to_string(in.dataBytes() >> 20) + " MiB but this machine has " +
                          std::to_string(ram >> 20) + " MiB of memory: read it slice by slice instead");
    if (auto fast = readAllMapped<T>(*this, progress, cancel))
        return std::move(*fast);
    Volume<T> volume;
    try {
        volume = Volume<T>(in.shape);
    } catch (const std::bad_alloc&) {
        throw IoError(Kind::Unsupported, in.path, -1,
                      "the stack needs " + std::to_string(in.dataBytes() >> 20) + " MiB, more memory than is available");
    }
    volume.spacing = in.spacing;

    // Slices are handed out one at a time to a few threads (readSlice is thread-safe; raw
    // slices copy in parallel). The calling thread works too and alone reports progress.
    const std::int64_t depth = in.shape.depth;
    const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
    const std::int64_t threads = in.dataBytes() < (std::uint64_t{16} << 20) ? 1 : std::min<std::int64_t>({hw, 4, depth});
    std::atomic<std::int64_t> next{0}, finished{0};
    std::int64_t reported = 0;  // caller thread only
    std::atomic<bool> stop{false};
    std::mutex errorMutex;
    std::exception_ptr error;
    auto work = [&](bool caller) {
        try {
            for (std::int64_t z = next++; z < depth && !stop; z = next++) {
                if (caller && cancel && cancel->cancelled())
                    throw Cancelled();
                readSlice(z, volume.slice(z));
                const std::int64_t done = ++finished;
                if (caller && progress) {
                    reported = done;
                    progress->progress(static_cast<double>(done), static_cast<double>(depth), "reading slices");
                }
            }
        } catch (...) {
            std::lock_guard<std::mutex> lock(errorMutex);
            if (!error)
                error = std::current_exception();
            stop = true;
        }
    };
    std::vector<std::thread> pool;
    for (std::int64_t t = 1; t < threads; ++t)
        pool.emplace_back(work, false);
    work(true);
    for (auto& t : pool)
        t.join();
    if (error)
        std::rethrow_exception(error);
    if (progress && reported < depth)
        progress->progress(static_cast<double>(depth), static_cast<double>(depth), "reading slices");
    return volume;
}

template VolumeU8 TiffStack::readAll<std::uint8_t>(ProgressSink*, const CancelToken*) const;
template VolumeU16 TiffStack::readAll<std::uint16_t>(ProgressSink*, const CancelToken*) const;
template VolumeF32 TiffStack::readAll<float>(ProgressSink*, const CancelToken*) const;

VolumeU8 readStackU8(const std::filesystem::path& path) { return TiffStack::open(path)->readAll<std::uint8_t>(); }
VolumeU16 readStackU16(const std::filesystem::path& path) { return TiffStack::open(path)->readAll<std::uint16_t>(); }
VolumeF32 readStackF32(const std::filesystem::path& path) { return TiffStack::open(path)->readAll<float>(); }

VolumeU8 readLabels(const std::filesystem::path& path, bool binarize)
{
    auto stack = TiffStack::open(path);
    const StackInfo& in = stack->info();
    VolumeU8 out;
    if (in.dtype == DType::U8) {
        out = stack->readAll<std::uint8_t>();
        if (binarize)
            for (auto& v : out.values())
                v = v != 0;
        return out;
    }
    try {
        out = VolumeU8(in.shape);
    } catch (const std::bad_alloc&) {
        throw IoError(Kind::Unsupported, path, -1, "the label volume does not fit in memory");
    }
    out.spacing = in.spacing;
    std::vector<float> scratch;
    for (std::int64_t z = 0; z < in.shape.depth; ++z)
        readLabelSlice(*stack, z, binarize, out.slice(z), scratch);
    return out;
}

void readLabelSlice(const TiffStack& stack, std::int64_t z, bool binarize, std::uint8_t* dst, std::vector<float>& scratch)
{
    const StackInfo& in = stack.info();
    const auto n = static_cast<std::size_t>(in.shape.sliceVoxels());
    if (in.dtype == DType::U8) {
        stack.readSlice(z, dst);
        if (binarize)
            for (std::size_t i = 0; i < n; ++i)
                dst[i] = dst[i] != 0;
        return;
    }
    scratch.resize(n);
    stack.readSliceF32(z, scratch.data());
    for (std::size_t i = 0; i < n; ++i) {
        const float v = scratch[i];
        if (binarize) {
            dst[i] = v != 0;
        } else if (!(v >= 0 && v <= 255 && v == static_cast<float>(static_cast<int>(v)))) {
            throw IoError(Kind::Unsupported, in.path, z,
                          "label value " + std::to_string(v) + " is not an integer in 0..255 (binarize the mask, or relabel it)");
        } else {
            dst[i] = static_cast<std::uint8_t>(v);
        }
    }
}

}  // namespace mitoseg
