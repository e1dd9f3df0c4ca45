#include "ui/files/PredictionStore.h"

#include <QByteArray>
#include <QDataStream>
#include <QFile>
#include <QSaveFile>

#include <cstring>
#include <vector>

#include "ui/StudioDocument.h"
#include "ui/files/OpenInput.h"

namespace mitoseg::ui {

namespace {
constexpr char kMagic[] = "MITOSEG-PREDICTIONS-1";
constexpr quint8 kNone = 0, kBinary = 1, kMulti = 2;

/// qUncompress of a block that must hold `n` bytes; empty when it does not (its size header is
/// checked first, so a hostile header cannot ask for gigabytes).
QByteArray unpack(const QByteArray& packed, qsizetype n)
{
    if (packed.size() < 4)
        return {};
    const auto* h = reinterpret_cast<const uchar*>(packed.constData());
    const quint32 expected = (quint32(h[0]) << 24) | (quint32(h[1]) << 16) | (quint32(h[2]) << 8) | quint32(h[3]);
    if (qsizetype(expected) != n)
        return {};
    return qUncompress(packed);
}

bool failWith(QString* error, const QString& text)
{
    if (error)
        *error = text;
    return false;
}
}  // namespace

bool PredictionStore::save(const StudioDocument& doc, const QString& path, QString* error)
{
    if (!doc.hasImage() || doc.predictedSlices() == 0)
        return true;
    const Shape s = doc.shape();
    const auto n = static_cast<qsizetype>(s.sliceVoxels());
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return failWith(error, QStringLiteral("%1: %2").arg(path, file.errorString()));
    QDataStream out(&file);
    out.setVersion(QDataStream::Qt_6_0);
    out.writeRawData(kMagic, sizeof kMagic);
    out << qint64(s.depth) << qint64(s.height) << qint64(s.width);
    for (std::int64_t z = 0; z < s.depth; ++z) {
        if (!doc.hasPrediction(z)) {
            out << kNone;
            continue;
        }
        const bool binary = doc.predictionIsBinary(z);
        out << (binary ? kBinary : kMulti);
        // Level 1: most of the gain (probabilities are smooth) at a fraction of the time.
        out << qCompress(reinterpret_cast<const uchar*>(doc.predictionProbability(z).data()), n, 1);
        if (!binary)
            out << qCompress(reinterpret_cast<const uchar*>(doc.predictionLabels(z).data()), n, 1);
    }
    if (out.status() != QDataStream::Ok)
        return failWith(error, QStringLiteral("%1: write failed").arg(path));
    if (!file.commit())
        return failWith(error, QStringLiteral("%1: %2").arg(path, file.errorString()));
    return true;
}

int PredictionStore::load(StudioDocument& doc, const QString& path, QString* error)
{
    QFile file;
    if (!openInputFile(file, path, "predictions file", error))
        return -1;
    QDataStream in(&file);
    in.setVersion(QDataStream::Qt_6_0);
    char magic[sizeof kMagic] = {};
    qint64 depth = 0, height = 0, width = 0;
    if (in.readRawData(magic, sizeof magic) != static_cast<int>(sizeof magic) || std::memcmp(magic, kMagic, sizeof magic) != 0) {
        failWith(error, QStringLiteral("%1: not a Mitoseg predictions file").arg(path));
        return -1;
    }
    in >> depth >> height >> width;
    const Shape s = doc.shape();
    if (in.status() != QDataStream::Ok || depth != s.depth || height != s.height || width != s.width) {
        failWith(error, QStringLiteral("%1: the predictions are of a %2 x %3 x %4 stack, not this one")
                            .arg(path).arg(depth).arg(height).arg(width));
        return -1;
    }
    // Read and check everything first, so a damaged file leaves the document as it was.
    struct Slice {
        std::int64_t z;
        bool binary;
        QByteArray prob, labels;
    };
    std::vector<Slice> slices;
    const auto n = static_cast<qsizetype>(s.sliceVoxels());
    for (std::int64_t z = 0; z < depth; ++z) {
        quint8 kind = 0xff;
        in >> kind;
        if (kind == kNone)
            continue;
        Slice slice{z, kind == kBinary, {}, {}};
        QByteArray packed;
        in >> packed;
        slice.prob = unpack(packed, n);
        if (kind == kMulti) {
            in >> packed;
            slice.labels = unpack(packed, n);
        }
        if (in.status() != QDataStream::Ok || (kind != kBinary && kind != kMulti) || slice.prob.size() != n
            || (kind == kMulti && slice.labels.size() != n)) {
            failWith(error, QStringLiteral("%1: damaged at slice %2").arg(path).arg(z + 1));
            return -1;
        }
        slices.push_back(std::move(slice));
    }
    doc.clearPredictions();
    for (const Slice& slice : slices)
        doc.restorePrediction(slice.z, reinterpret_cast<const std::uint8_t*>(slice.prob.constData()),
                              slice.binary ? nullptr : reinterpret_cast<const std::uint8_t*>(slice.labels.constData()));
    return static_cast<int>(slices.size());
}

}  // namespace mitoseg::ui
