#include "ui/Autosaver.h"

#include <QCoreApplication>
#include <QDataStream>
#include <QDir>
#include <QFile>
#include <QSaveFile>
#include <QStandardPaths>

#include <cerrno>

#include <signal.h>

#include "ui/StudioDocument.h"

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

Autosaver::~Autosaver() { joinWriter(); }

void Autosaver::joinWriter()
{
    if (writer_.joinable())
        writer_.join();
}

QString Autosaver::lockPath() const { return folder_ + QStringLiteral("/studio.lock"); }
QString Autosaver::sessionPath() const { return folder_ + QStringLiteral("/session.json"); }
QString Autosaver::maskPath() const { return folder_ + QStringLiteral("/mask.msgmask"); }

qint64 Autosaver::lockOwner() const
{
    QFile lock(lockPath());
    if (!lock.open(QIODevice::ReadOnly))
        return 0;
    return lock.read(32).trimmed().toLongLong();
}

bool Autosaver::lockedByOther() const
{
    const qint64 pid = lockOwner();
    if (pid <= 0 || pid == QCoreApplication::applicationPid())
        return false;   // no lock, or a leftover of this very process
    return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

bool Autosaver::hasRecovery() const
{
    return !ownsLock_ && QFile::exists(lockPath()) && !lockedByOther() && QFile::exists(sessionPath())
           && QFile::exists(maskPath());
}

std::optional<std::pair<Session, VolumeU8>> Autosaver::recover(QString* error) const
{
    auto s = Session::load(sessionPath(), error);
    if (!s)
        return std::nullopt;
    auto m = readMaskRle(maskPath(), error);
    if (!m)
        return std::nullopt;
    return std::make_pair(std::move(*s), std::move(*m));
}

bool Autosaver::start(int seconds)
{
    if (lockedByOther())
        return false;
    QDir().mkpath(folder_);
    QFile lock(lockPath());
    if (lock.open(QIODevice::WriteOnly))
        lock.write(QByteArray::number(QCoreApplication::applicationPid()));
    ownsLock_ = true;
    timer_.start(seconds * 1000);
    return true;
}

bool Autosaver::saveInBackground()
{
    if (!ownsLock_)
        return false;
    if (failed_.exchange(false))
        pending_ = true;   // retry a write that failed
    if (!pending_ || !doc_->hasImage() || writing_)
        return false;
    joinWriter();
    QDir().mkpath(folder_);
    writing_ = true;
    pending_ = false;
    // Copies on the GUI thread; the worker owns them and touches nothing else.
    writer_ = std::thread([mask = doc_->mask().labels(), session = session_(), maskPath = maskPath(),
                           sessionPath = sessionPath(), this] {
        if (!writeMaskRle(maskPath, mask) || !session.save(sessionPath))
            failed_ = true;
        writing_ = false;
    });
    return true;
}

bool Autosaver::saveNow()
{
    if (!ownsLock_ || !pending_ || !doc_->hasImage())
        return false;
    joinWriter();
    QDir().mkpath(folder_);
    if (!writeMaskRle(maskPath(), doc_->mask().labels()))
        return false;
    if (!session_().save(sessionPath()))
        return false;
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
    if (!ownsLock_)
        return;   // another studio's autosave: not ours to remove
    discard();
    QFile::remove(lockPath());
    ownsLock_ = false;
}

bool writeMaskRle(const QString& path, const VolumeU8& mask, QString* error)
{
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly)) {
        if (error)
            *error = f.errorString();
        return false;
    }
    QDataStream out(&f);
    out.setByteOrder(QDataStream::LittleEndian);
    out.writeRawData("MSGMASK1", 8);
    out << static_cast<qint64>(mask.depth()) << static_cast<qint64>(mask.height()) << static_cast<qint64>(mask.width());
    const auto& v = mask.values();
    std::size_t i = 0;
    while (i < v.size()) {
        std::size_t j = i + 1;
        while (j < v.size() && v[j] == v[i] && j - i < 0xffffffffu)
            ++j;
        out << static_cast<quint32>(j - i) << static_cast<quint8>(v[i]);
        i = j;
    }
    if (!f.commit()) {
        if (error)
            *error = f.errorString();
        return false;
    }
    return true;
}

std::optional<VolumeU8> readMaskRle(const QString& path, QString* error)
{
    auto fail = [&](const QString& why) -> std::optional<VolumeU8> {
        if (error)
            *error = QStringLiteral("%1: %2").arg(path, why);
        return std::nullopt;
    };
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return fail(f.errorString());
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
        || static_cast<double>(d) * h * w > static_cast<double>(maxVoxels) || d * h * w > (qint64{1} << 36))
        return fail(QStringLiteral("bad header"));
    VolumeU8 v(Shape{d, h, w}, 0);
    std::size_t at = 0;
    const std::size_t n = v.values().size();
    while (at < n) {
        quint32 count = 0;
        quint8 value = 0;
        in >> count >> value;
        if (in.status() != QDataStream::Ok || count == 0 || at + count > n)
            return fail(QStringLiteral("truncated or corrupt runs"));
        std::fill(v.values().begin() + static_cast<std::ptrdiff_t>(at), v.values().begin() + static_cast<std::ptrdiff_t>(at + count), value);
        at += count;
    }
    return v;
}

}  // namespace mitoseg::ui
