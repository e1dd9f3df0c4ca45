#include "ui/Autosaver.h"

#include <QCoreApplication>
#include <QDataStream>
#include <QDir>
#include <QFile>
#include <QSaveFile>
#include <QStandardPaths>

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "ui/StudioDocument.h"
#include "ui/files/OpenInput.h"

namespace mitoseg::ui {

Autosaver::Autosaver(StudioDocument* doc, std::function<Session()> session, QString folder, QObject* parent)
    : QObject(parent), doc_(doc), session_(std::move(session)), folder_(std::move(folder))
{
    if (folder_.isEmpty())
        folder_ = QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation) + QStringLiteral("/autosave");
    connect(doc_, &StudioDocument::maskChanged, this, [this] { pending_ = true; });
    connect(doc_, &StudioDocument::dirtyChanged, this, [this](bool dirty) {
        if (!dirty)
            pending_ = false;
    });
    connect(&timer_, &QTimer::timeout, this, &Autosaver::saveInBackground);
}

Autosaver::~Autosaver()
{
    joinWriter();
    releaseLock();   // as the kernel would for a crashed process: the autosave stays
}

void Autosaver::joinWriter()
{
    if (writer_.joinable())
        writer_.join();
}

QString Autosaver::lockPath() const { return folder_ + QStringLiteral("/studio.lock"); }
QString Autosaver::sessionPath() const { return folder_ + QStringLiteral("/session.json"); }
QString Autosaver::maskPath() const { return folder_ + QStringLiteral("/mask.msgmask"); }

bool Autosaver::lockedByOther() const
{
    if (lockFd_ >= 0)
        return false;   // this studio holds it
    // flock() locks belong to an open file: a second open here conflicts with any other holder,
    // in this process or another; the kernel drops the locks of a process that ends.
    const int fd = ::open(QFile::encodeName(lockPath()).constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;   // no lock file: nobody holds it
    const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    ::close(fd);
    return held;
}

bool Autosaver::hasRecovery() const
{
    return lockFd_ < 0 && QFile::exists(sessionPath()) && QFile::exists(maskPath()) && !lockedByOther();
}

std::optional<std::pair<Session, labels::SliceStore>> Autosaver::recover(QString* error) const
{
    auto s = Session::load(sessionPath(), error);
    if (!s)
        return std::nullopt;
    auto m = readMaskRleStore(maskPath(), error);
    if (!m)
        return std::nullopt;
    return std::make_pair(std::move(*s), std::move(*m));
}

bool Autosaver::start(int seconds)
{
    if (lockFd_ < 0) {
        auto refuse = [this](const QString& why) {
            offReason_ = why;
            Q_EMIT stateChanged(QString());
            return false;
        };
        if (!QDir().mkpath(folder_))
            return refuse(tr("the autosave folder %1 cannot be created").arg(folder_));
        const int fd = ::open(QFile::encodeName(lockPath()).constData(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
            return refuse(tr("the lock file %1 cannot be opened: %2").arg(lockPath(), QString::fromLocal8Bit(std::strerror(errno))));
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
            const int why = errno;
            ::close(fd);
            if (why == EWOULDBLOCK)
                return refuse(tr("another Mitoseg Studio is running and autosaves to %1").arg(folder_));
            return refuse(tr("the lock file %1 cannot be locked: %2").arg(lockPath(), QString::fromLocal8Bit(std::strerror(why))));
        }
        // For people looking at the folder: who holds it (the lock itself is the flock).
        const QByteArray pid = QByteArray::number(QCoreApplication::applicationPid()) + '\n';
        if (::ftruncate(fd, 0) == 0)
            (void)!::write(fd, pid.constData(), static_cast<std::size_t>(pid.size()));
        lockFd_ = fd;
    }
    offReason_.clear();
    timer_.start(seconds * 1000);
    Q_EMIT stateChanged(QString());
    return true;
}

void Autosaver::releaseLock()
{
    if (lockFd_ < 0)
        return;
    ::flock(lockFd_, LOCK_UN);
    ::close(lockFd_);
    lockFd_ = -1;
}

bool Autosaver::saveInBackground()
{
    if (lockFd_ < 0)
        return false;
    if (failed_.exchange(false)) {
        pending_ = true;   // retry a write that failed
        QString error;
        {
            std::lock_guard<std::mutex> lock(errorMutex_);
            error = threadError_;
        }
        writeError_ = tr("the last autosave could not be written: %1").arg(error);
        Q_EMIT stateChanged(writeError_);
    } else if (!writeError_.isEmpty() && !writing_) {
        writeError_.clear();   // the retry worked
        Q_EMIT stateChanged(QString());
    }
    if (!pending_ || !doc_->hasImage() || writing_)
        return false;
    joinWriter();
    QDir().mkpath(folder_);
    writing_ = true;
    pending_ = false;
    // A snapshot of the mask (shared compressed slices, no copy of the volume) and a copy of the
    // session; the worker owns them and touches nothing else.
    writer_ = std::thread([mask = doc_->mask().snapshot(), session = session_(), maskPath = maskPath(),
                           sessionPath = sessionPath(), this] {
        QString error;
        if (!writeMaskRle(maskPath, mask, &error) || !session.save(sessionPath, &error)) {
            std::lock_guard<std::mutex> lock(errorMutex_);
            threadError_ = error;
            failed_ = true;
        }
        writing_ = false;
    });
    return true;
}

bool Autosaver::saveNow()
{
    if (lockFd_ < 0 || !pending_ || !doc_->hasImage())
        return false;
    joinWriter();
    QDir().mkpath(folder_);
    QString error;
    if (!writeMaskRle(maskPath(), doc_->mask().snapshot(), &error) || !session_().save(sessionPath(), &error)) {
        writeError_ = tr("the last autosave could not be written: %1").arg(error);
        Q_EMIT stateChanged(writeError_);
        return false;
    }
    if (!writeError_.isEmpty()) {
        writeError_.clear();
        Q_EMIT stateChanged(QString());
    }
    pending_ = false;
    return true;
}

void Autosaver::discard()
{
    joinWriter();
    QFile::remove(sessionPath());
    QFile::remove(maskPath());
}

void Autosaver::finish()
{
    timer_.stop();
    if (lockFd_ < 0)
        return;   // another studio's autosave: not ours to remove
    discard();
    releaseLock();
    Q_EMIT stateChanged(QString());
}

bool writeMaskRle(const QString& path, const VolumeU8& mask, QString* error)
{
    return writeMaskRle(path, labels::SliceStore::fromVolume(mask).snapshot(), error);
}

bool writeMaskRle(const QString& path, const labels::SliceSnapshot& mask, QString* error)
{
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly)) {
        if (error)
            *error = QStringLiteral("%1: %2").arg(path, f.errorString());
        return false;
    }
    QDataStream out(&f);
    out.setByteOrder(QDataStream::LittleEndian);
    out.writeRawData("MSGMASK1", 8);
    const Shape s = mask.shape();
    out << static_cast<qint64>(s.depth) << static_cast<qint64>(s.height) << static_cast<qint64>(s.width);
    // Runs continue across slices, as in the whole-volume format; all-background slices are
    // added to the open run without decoding them.
    const auto n = static_cast<std::uint64_t>(s.sliceVoxels());
    std::vector<std::uint8_t> slice(static_cast<std::size_t>(n));
    std::uint64_t run = 0;
    std::uint8_t value = 0;
    auto extend = [&](std::uint8_t v, std::uint64_t count) {
        if (run > 0 && v != value) {
            out << static_cast<quint32>(run) << static_cast<quint8>(value);
            run = 0;
        }
        value = v;
        run += count;
        while (run > 0xffffffffu) {
            out << static_cast<quint32>(0xffffffffu) << static_cast<quint8>(value);
            run -= 0xffffffffu;
        }
    };
    for (std::int64_t z = 0; z < s.depth; ++z) {
        if (mask.sliceEmpty(z)) {
            extend(0, n);
            continue;
        }
        mask.readSlice(z, slice.data());
        std::size_t i = 0;
        while (i < slice.size()) {
            std::size_t j = i + 1;
            while (j < slice.size() && slice[j] == slice[i])
                ++j;
            extend(slice[i], j - i);
            i = j;
        }
    }
    if (run > 0)
        out << static_cast<quint32>(run) << static_cast<quint8>(value);
    if (!f.commit()) {
        if (error)
            *error = QStringLiteral("%1: %2").arg(path, f.errorString());
        return false;
    }
    return true;
}

std::optional<VolumeU8> readMaskRle(const QString& path, QString* error)
{
    auto store = readMaskRleStore(path, error);
    if (!store)
        return std::nullopt;
    return store->toVolume();
}

std::optional<labels::SliceStore> readMaskRleStore(const QString& path, QString* error)
{
    auto fail = [&](const QString& why) -> std::optional<labels::SliceStore> {
        if (error)
            *error = QStringLiteral("%1: %2").arg(path, why);
        return std::nullopt;
    };
    QFile f;
    if (!openInputFile(f, path, "autosaved mask", error))
        return std::nullopt;
    QDataStream in(&f);
    in.setByteOrder(QDataStream::LittleEndian);
    char magic[8];
    if (in.readRawData(magic, 8) != 8 || QByteArray(magic, 8) != "MSGMASK1")
        return fail(QStringLiteral("not an autosaved mask"));
    qint64 d = 0, h = 0, w = 0;
    in >> d >> h >> w;
    // Each run is 5 bytes and covers at most 2^32-1 voxels: reject headers the file cannot back.
    const qint64 maxVoxels = (f.size() / 5 + 1) * static_cast<qint64>(0xffffffffu);
    if (in.status() != QDataStream::Ok || d <= 0 || h <= 0 || w <= 0 || d > (1 << 20) || h > (1 << 20) || w > (1 << 20)
        || static_cast<double>(d) * h * w > static_cast<double>(maxVoxels) || d * h * w > (qint64{1} << 40))
        return fail(QStringLiteral("bad header"));
    labels::SliceStore v(Shape{d, h, w});
    const auto n = static_cast<std::uint64_t>(h * w);
    std::vector<std::uint8_t> slice(static_cast<std::size_t>(n), 0);
    std::uint64_t at = 0;   // within the slice
    std::int64_t z = 0;
    while (z < d) {
        quint32 count = 0;
        quint8 value = 0;
        in >> count >> value;
        if (in.status() != QDataStream::Ok || count == 0 || static_cast<std::uint64_t>(d - z) * n - at < count)
            return fail(QStringLiteral("truncated or corrupt runs"));
        std::uint64_t left = count;
        while (left > 0) {
            const std::uint64_t take = std::min(left, n - at);
            if (value != 0 || take < n) {
                std::fill(slice.begin() + static_cast<std::ptrdiff_t>(at), slice.begin() + static_cast<std::ptrdiff_t>(at + take), value);
            }
            at += take;
            left -= take;
            if (at == n) {
                // A whole background slice spanned by one run holds no bytes: skip writing it.
                if (!(value == 0 && take == n))
                    v.writeSlice(z, slice.data());
                else
                    std::fill(slice.begin(), slice.end(), 0);
                ++z;
                at = 0;
            }
        }
    }
    return v;
}

}  // namespace mitoseg::ui
