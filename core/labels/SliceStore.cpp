#include "core/labels/SliceStore.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <list>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include <unistd.h>

#include "core/base/AtomicFile.h"
#include "core/base/Error.h"
#include "core/base/Memory.h"

namespace mitoseg::labels {

std::vector<std::uint8_t> encodeSliceRle(const std::uint8_t* data, std::size_t n)
{
    std::vector<std::uint8_t> out;
    std::size_t i = 0;
    while (i < n) {
        const std::uint8_t v = data[i];
        std::size_t j = i + 1;
        while (j < n && data[j] == v)
            ++j;
        out.push_back(v);
        std::uint64_t run = j - i;
        while (run >= 0x80) {
            out.push_back(static_cast<std::uint8_t>(run | 0x80));
            run >>= 7;
        }
        out.push_back(static_cast<std::uint8_t>(run));
        i = j;
    }
    return out;
}

void decodeSliceRle(const std::uint8_t* bytes, std::size_t size, std::uint8_t* out, std::size_t n)
{
    std::size_t pos = 0, filled = 0;
    while (pos < size) {
        const std::uint8_t v = bytes[pos++];
        std::uint64_t run = 0;
        int shift = 0;
        for (;;) {
            if (pos >= size || shift > 56)
                throw std::runtime_error("SliceStore: malformed run-length chunk");
            const std::uint8_t b = bytes[pos++];
            run |= static_cast<std::uint64_t>(b & 0x7f) << shift;
            shift += 7;
            if (!(b & 0x80))
                break;
        }
        if (run > n - filled)
            throw std::runtime_error("SliceStore: run-length chunk longer than its slice");
        std::memset(out + filled, v, run);
        filled += run;
    }
    if (filled != n)
        throw std::runtime_error("SliceStore: run-length chunk shorter than its slice");
}

namespace detail {

/// The scratch file spilled chunks live in, read with pread from any thread. A chunk's region is
/// given back when the last chunk pointing at it goes (the slice was edited again and no
/// snapshot or undo step holds the old chunk), and later chunks reuse freed regions (first
/// fit), so the file grows with the chunks alive, not with every edit ever spilled. A free
/// region at the end shortens the file.
class SpillFile {
public:
    SpillFile() : file_(openScratchFile())
    {
        if (!file_)
            throw IoError(IoError::Kind::WriteFailed, "label spill file", -1,
                          "could not create the label spill file in $TMPDIR");
    }
    ~SpillFile()
    {
        if (file_)
            std::fclose(file_);
    }
    SpillFile(const SpillFile&) = delete;
    SpillFile& operator=(const SpillFile&) = delete;

    /// Writes `bytes` into a free region or at the end; returns their offset. Throws IoError
    /// when the write fails (the region stays free).
    std::uint64_t append(const std::vector<std::uint8_t>& bytes)
    {
        std::lock_guard<std::mutex> lock(mutex_);
        const std::uint64_t n = bytes.size();
        std::uint64_t at = end_;
        auto fit = free_.end();
        for (auto it = free_.begin(); it != free_.end(); ++it)
            if (it->second >= n) {
                fit = it;
                at = it->first;
                break;
            }
        std::size_t done = 0;
        while (done < bytes.size()) {
            const ssize_t w = ::pwrite(fileno(file_), bytes.data() + done, bytes.size() - done,
                                       static_cast<off_t>(at + done));
            if (w <= 0)
                throw IoError(IoError::Kind::WriteFailed, "label spill file", -1, "could not write the label spill file");
            done += static_cast<std::size_t>(w);
        }
        if (fit != free_.end()) {
            const std::uint64_t rest = fit->second - n;
            free_.erase(fit);
            if (rest)
                free_.emplace(at + n, rest);
            freeBytes_ -= n;
        } else {
            end_ += n;
        }
        return at;
    }
    /// Gives back [offset, offset + size): merged with free neighbours; the file is cut when the
    /// region reaches its end. Never throws (called from destructors).
    void release(std::uint64_t offset, std::uint64_t size) noexcept
    {
        if (size == 0)
            return;
        std::lock_guard<std::mutex> lock(mutex_);
        auto next = free_.lower_bound(offset);
        if (next != free_.end() && next->first == offset + size) {
            size += next->second;
            freeBytes_ -= next->second;
            next = free_.erase(next);
        }
        if (next != free_.begin()) {
            auto prev = std::prev(next);
            if (prev->first + prev->second == offset) {
                offset = prev->first;
                size += prev->second;
                freeBytes_ -= prev->second;
                free_.erase(prev);
            }
        }
        if (offset + size == end_) {
            end_ = offset;
            if (::ftruncate(fileno(file_), static_cast<off_t>(end_)) != 0) {
                // The bytes stay on disk until the file closes; nothing is lost.
            }
            return;
        }
        free_.emplace(offset, size);
        freeBytes_ += size;
    }
    void read(std::uint64_t offset, std::size_t size, std::uint8_t* out) const
    {
        std::size_t done = 0;
        while (done < size) {
            const ssize_t r = ::pread(fileno(file_), out + done, size - done, static_cast<off_t>(offset + done));
            if (r <= 0)
                throw IoError(IoError::Kind::Truncated, "label spill file", -1, "could not read the label spill file");
            done += static_cast<std::size_t>(r);
        }
    }
    /// The file's length, and the part of it that is free.
    std::uint64_t fileBytes() const
    {
        std::lock_guard<std::mutex> lock(mutex_);
        return end_;
    }
    std::uint64_t freeBytes() const
    {
        std::lock_guard<std::mutex> lock(mutex_);
        return freeBytes_;
    }

private:
    std::FILE* file_;
    mutable std::mutex mutex_;
    std::uint64_t end_ = 0;
    std::map<std::uint64_t, std::uint64_t> free_;   ///< offset -> length, disjoint, not touching
    std::uint64_t freeBytes_ = 0;
};

/// One encoded, non-empty slice: in memory, or spilled (file + offset). Immutable. Run-length
/// encoded, or raw when that would be larger (noisy data such as probabilities).
struct SliceChunk {
    bool raw = false;
    std::vector<std::uint8_t> bytes;
    std::shared_ptr<SpillFile> file;
    std::uint64_t offset = 0;
    std::size_t size = 0;   ///< encoded size (either place)

    SliceChunk() = default;
    SliceChunk(const SliceChunk&) = delete;
    SliceChunk& operator=(const SliceChunk&) = delete;
    ~SliceChunk()
    {
        if (file)
            file->release(offset, size);
    }
    bool spilled() const { return file != nullptr; }
    void decode(std::uint8_t* out, std::size_t n) const
    {
        if (raw && size != n)
            throw std::runtime_error("SliceStore: raw chunk of the wrong size");
        if (!spilled()) {
            if (raw)
                std::memcpy(out, bytes.data(), n);
            else
                decodeSliceRle(bytes.data(), bytes.size(), out, n);
            return;
        }
        if (raw) {
            file->read(offset, size, out);
            return;
        }
        std::vector<std::uint8_t> buf(size);
        file->read(offset, size, buf.data());
        decodeSliceRle(buf.data(), buf.size(), out, n);
    }
};

}  // namespace detail

using detail::SliceChunk;
using ChunkPtr = std::shared_ptr<const SliceChunk>;

namespace {
bool allZero(const std::uint8_t* p, std::size_t n)
{
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        std::uint64_t v;
        std::memcpy(&v, p + i, 8);
        if (v)
            return false;
    }
    for (; i < n; ++i)
        if (p[i])
            return false;
    return true;
}

ChunkPtr encodeChunk(const std::uint8_t* data, std::size_t n)
{
    if (allZero(data, n))
        return nullptr;
    auto c = std::make_shared<SliceChunk>();
    c->bytes = encodeSliceRle(data, n);
    if (c->bytes.size() >= n) {
        c->raw = true;
        c->bytes.assign(data, data + n);
    }
    c->bytes.shrink_to_fit();
    c->size = c->bytes.size();
    return c;
}
}  // namespace

bool SliceSnapshot::sliceEmpty(std::int64_t z) const { return chunks_.at(static_cast<std::size_t>(z)) == nullptr; }

void SliceSnapshot::readSlice(std::int64_t z, std::uint8_t* out) const
{
    const auto n = static_cast<std::size_t>(shape_.sliceVoxels());
    const ChunkPtr& c = chunks_.at(static_cast<std::size_t>(z));
    if (c)
        c->decode(out, n);
    else
        std::memset(out, 0, n);
}

struct SliceStore::Impl {
    struct Entry {
        std::shared_ptr<std::vector<std::uint8_t>> data;
        bool dirty = false;
        std::list<std::int64_t>::iterator lru;
    };

    Shape shape;
    std::size_t cacheLimit = 0, encodedLimit = 0;
    mutable std::mutex mutex;
    mutable std::vector<ChunkPtr> chunks;
    mutable std::unordered_map<std::int64_t, Entry> cache;
    mutable std::list<std::int64_t> lru;   // front: most recently used
    mutable std::size_t cachedBytes = 0, encodedBytes = 0, spilledBytes = 0;
    mutable std::int64_t spilledChunks = 0;
    mutable std::shared_ptr<detail::SpillFile> spill;
    mutable std::int64_t spillCursor = 0;
    mutable bool spillFailed = false;

    std::size_t sliceBytes() const { return static_cast<std::size_t>(shape.sliceVoxels()); }

    void checkZ(std::int64_t z) const
    {
        if (z < 0 || z >= shape.depth)
            throw std::out_of_range("SliceStore: slice " + std::to_string(z) + " outside 0.." + std::to_string(shape.depth));
    }

    void setChunk(std::int64_t z, ChunkPtr c) const
    {
        ChunkPtr& slot = chunks[static_cast<std::size_t>(z)];
        if (slot) {
            if (slot->spilled()) {
                spilledBytes -= slot->size;
                --spilledChunks;
            } else {
                encodedBytes -= slot->size;
            }
        }
        slot = std::move(c);
        if (slot)
            encodedBytes += slot->size;
        spillOver();
    }

    /// Moves in-memory chunks to the scratch file (round robin over z) until under the limit.
    /// Never throws: when the scratch file cannot be made or written (disk full), the chunks
    /// stay in memory (over the limit, but no edit is lost) and spilling stops.
    void spillOver() const
    {
        if (encodedBytes <= encodedLimit || shape.depth == 0 || spillFailed)
            return;
        try {
            spillSome();
        } catch (const std::exception&) {
            spillFailed = true;
        }
    }

    void spillSome() const
    {
        if (!spill)
            spill = std::make_shared<detail::SpillFile>();
        for (std::int64_t tries = 0; tries < shape.depth && encodedBytes > encodedLimit; ++tries) {
            const std::int64_t z = spillCursor;
            spillCursor = (spillCursor + 1) % shape.depth;
            ChunkPtr& slot = chunks[static_cast<std::size_t>(z)];
            if (!slot || slot->spilled())
                continue;
            auto c = std::make_shared<SliceChunk>();
            c->raw = slot->raw;
            c->size = slot->size;
            c->offset = spill->append(slot->bytes);
            c->file = spill;   // only now: a chunk with a file gives its region back when it goes
            encodedBytes -= slot->size;
            spilledBytes += slot->size;
            ++spilledChunks;
            slot = std::move(c);   // snapshots holding the in-memory chunk keep it alive
        }
    }

    void flush(std::int64_t z, Entry& e) const
    {
        if (!e.dirty)
            return;
        setChunk(z, encodeChunk(e.data->data(), e.data->size()));
        e.dirty = false;
    }

    void evictOver() const
    {
        while (cachedBytes > cacheLimit && cache.size() > 2) {
            const std::int64_t z = lru.back();
            auto it = cache.find(z);
            flush(z, it->second);
            cachedBytes -= it->second.data->size();
            lru.pop_back();
            cache.erase(it);
        }
    }

    Entry& get(std::int64_t z) const
    {
        checkZ(z);
        auto it = cache.find(z);
        if (it != cache.end()) {
            lru.splice(lru.begin(), lru, it->second.lru);
            return it->second;
        }
        Entry e;
        e.data = std::make_shared<std::vector<std::uint8_t>>(sliceBytes(), 0);
        if (const ChunkPtr& c = chunks[static_cast<std::size_t>(z)])
            c->decode(e.data->data(), e.data->size());
        lru.push_front(z);
        e.lru = lru.begin();
        cachedBytes += e.data->size();
        Entry& ref = cache.emplace(z, std::move(e)).first->second;
        evictOver();
        return ref;
    }

    /// Entry z ready to be written: copied first when a reader still holds its data.
    Entry& getForWrite(std::int64_t z)
    {
        Entry& e = get(z);
        if (e.data.use_count() > 1)
            e.data = std::make_shared<std::vector<std::uint8_t>>(*e.data);
        e.dirty = true;
        return e;
    }

    void dropCache()
    {
        cache.clear();
        lru.clear();
        cachedBytes = 0;
    }
};

SliceStore::SliceStore(Shape shape) : d_(std::make_unique<Impl>())
{
    if (shape.depth < 0 || shape.height < 0 || shape.width < 0)
        throw std::invalid_argument("SliceStore: negative shape");
    d_->shape = shape;
    d_->chunks.assign(static_cast<std::size_t>(shape.depth), nullptr);
    d_->cacheLimit = defaultCacheBytes();
    d_->encodedLimit = defaultEncodedBytes();
}

SliceStore::~SliceStore() = default;
SliceStore::SliceStore(SliceStore&&) noexcept = default;
SliceStore& SliceStore::operator=(SliceStore&&) noexcept = default;

SliceStore SliceStore::fromVolume(const VolumeU8& volume)
{
    SliceStore s(volume.shape());
    const auto n = static_cast<std::size_t>(volume.shape().sliceVoxels());
    for (std::int64_t z = 0; z < volume.depth(); ++z)
        s.d_->setChunk(z, encodeChunk(volume.slice(z), n));
    return s;
}

SliceStore SliceStore::fromSnapshot(const SliceSnapshot& snapshot)
{
    SliceStore s(snapshot.shape_);
    for (std::int64_t z = 0; z < snapshot.shape_.depth; ++z)
        s.d_->setChunk(z, snapshot.chunks_[static_cast<std::size_t>(z)]);
    return s;
}

std::size_t SliceStore::defaultCacheBytes() { return static_cast<std::size_t>(memoryBudget() / 8); }
std::size_t SliceStore::defaultEncodedBytes() { return static_cast<std::size_t>(memoryBudget() / 16); }

void SliceStore::setLimits(std::size_t cacheBytes, std::size_t encodedBytes)
{
    std::lock_guard<std::mutex> lock(d_->mutex);
    d_->cacheLimit = cacheBytes;
    d_->encodedLimit = encodedBytes;
    d_->evictOver();
    d_->spillOver();
}

const Shape& SliceStore::shape() const { return d_->shape; }

std::uint8_t SliceStore::operator()(std::int64_t z, std::int64_t y, std::int64_t x) const
{
    std::lock_guard<std::mutex> lock(d_->mutex);
    return (*d_->get(z).data)[static_cast<std::size_t>(y * d_->shape.width + x)];
}

SliceData SliceStore::slice(std::int64_t z) const
{
    std::lock_guard<std::mutex> lock(d_->mutex);
    return d_->get(z).data;
}

void SliceStore::readSlice(std::int64_t z, std::uint8_t* out) const
{
    std::lock_guard<std::mutex> lock(d_->mutex);
    d_->checkZ(z);
    auto it = d_->cache.find(z);
    if (it != d_->cache.end()) {
        std::memcpy(out, it->second.data->data(), d_->sliceBytes());
        return;
    }
    // Not cached: decode straight into `out` without disturbing the cache (streaming readers).
    if (const ChunkPtr& c = d_->chunks[static_cast<std::size_t>(z)])
        c->decode(out, d_->sliceBytes());
    else
        std::memset(out, 0, d_->sliceBytes());
}

void SliceStore::readRow(std::int64_t z, std::int64_t y, std::uint8_t* out) const
{
    std::lock_guard<std::mutex> lock(d_->mutex);
    const auto& data = *d_->get(z).data;
    std::memcpy(out, data.data() + y * d_->shape.width, static_cast<std::size_t>(d_->shape.width));
}

std::vector<std::uint8_t> SliceStore::readBox(const Box& box) const
{
    std::lock_guard<std::mutex> lock(d_->mutex);
    std::vector<std::uint8_t> out;
    out.reserve(static_cast<std::size_t>(std::max<std::int64_t>(0, box.voxels())));
    const std::int64_t w = d_->shape.width;
    for (std::int64_t z = box.z0; z < box.z1; ++z) {
        const auto& data = *d_->get(z).data;
        for (std::int64_t y = box.y0; y < box.y1; ++y) {
            const std::uint8_t* row = data.data() + y * w + box.x0;
            out.insert(out.end(), row, row + box.width());
        }
    }
    return out;
}

bool SliceStore::sliceEmpty(std::int64_t z) const
{
    std::lock_guard<std::mutex> lock(d_->mutex);
    d_->checkZ(z);
    auto it = d_->cache.find(z);
    if (it != d_->cache.end() && it->second.dirty)
        return allZero(it->second.data->data(), it->second.data->size());
    return d_->chunks[static_cast<std::size_t>(z)] == nullptr;
}

void SliceStore::writeSlice(std::int64_t z, const std::uint8_t* values)
{
    std::lock_guard<std::mutex> lock(d_->mutex);
    d_->checkZ(z);
    auto it = d_->cache.find(z);
    if (it == d_->cache.end()) {
        d_->setChunk(z, encodeChunk(values, d_->sliceBytes()));   // no need to cache a whole new slice
        return;
    }
    auto& e = d_->getForWrite(z);
    std::memcpy(e.data->data(), values, d_->sliceBytes());
}

void SliceStore::writeBox(const Box& box, const std::uint8_t* values)
{
    std::lock_guard<std::mutex> lock(d_->mutex);
    const std::int64_t w = d_->shape.width;
    const auto bw = static_cast<std::size_t>(box.width());
    for (std::int64_t z = box.z0; z < box.z1; ++z) {
        auto& data = *d_->getForWrite(z).data;
        for (std::int64_t y = box.y0; y < box.y1; ++y) {
            std::memcpy(data.data() + y * w + box.x0, values, bw);
            values += bw;
        }
    }
}

void SliceStore::clear()
{
    std::lock_guard<std::mutex> lock(d_->mutex);
    d_->dropCache();
    for (std::int64_t z = 0; z < d_->shape.depth; ++z)
        d_->setChunk(z, nullptr);
}

SliceSnapshot SliceStore::snapshot() const
{
    std::lock_guard<std::mutex> lock(d_->mutex);
    for (auto& [z, e] : d_->cache)
        d_->flush(z, e);
    SliceSnapshot s;
    s.shape_ = d_->shape;
    s.chunks_ = d_->chunks;
    return s;
}

VolumeU8 SliceStore::toVolume() const
{
    VolumeU8 v(d_->shape, 0);
    for (std::int64_t z = 0; z < d_->shape.depth; ++z)
        readSlice(z, v.slice(z));
    return v;
}

SliceStore::Stats SliceStore::stats() const
{
    std::lock_guard<std::mutex> lock(d_->mutex);
    Stats s;
    s.cachedSlices = static_cast<std::int64_t>(d_->cache.size());
    s.cachedBytes = d_->cachedBytes;
    s.encodedBytes = d_->encodedBytes;
    s.spilledBytes = d_->spilledBytes;
    s.spillFileBytes = d_->spill ? d_->spill->fileBytes() : 0;
    s.spilledChunks = d_->spilledChunks;
    s.spillFailed = d_->spillFailed;
    for (std::int64_t z = 0; z < d_->shape.depth; ++z) {
        auto it = d_->cache.find(z);
        const bool nonEmpty = it != d_->cache.end() && it->second.dirty
                                  ? !allZero(it->second.data->data(), it->second.data->size())
                                  : d_->chunks[static_cast<std::size_t>(z)] != nullptr;
        s.nonEmptySlices += nonEmpty;
    }
    return s;
}

}  // namespace mitoseg::labels
