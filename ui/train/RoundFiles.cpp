#include "ui/train/RoundFiles.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QObject>

#include <algorithm>

namespace mitoseg::ui {

QString roundModelsFolderFor(const QString& sessionPath)
{
    const QFileInfo info(sessionPath);
    return info.dir().filePath(info.completeBaseName() + QStringLiteral(".models"));
}

bool storeRoundModels(std::vector<TrainingRound>& rounds, QString& model, const QString& sessionPath,
                      std::vector<TrainingRound>* stored, QString* error)
{
    const QDir sessionDir = QFileInfo(sessionPath).absoluteDir();
    const QString folder = QFileInfo(roundModelsFolderFor(sessionPath)).absoluteFilePath();
    auto fail = [&](const QString& text) {
        if (error)
            *error = text;
        return false;
    };
    const bool any = std::any_of(rounds.begin(), rounds.end(), [](const TrainingRound& r) { return QFileInfo::exists(r.model); });
    if (any && !QDir().mkpath(folder))
        return fail(QObject::tr("cannot create %1").arg(folder));
    std::vector<TrainingRound> updated = rounds;
    QString updatedModel = model;
    for (TrainingRound& r : updated) {
        const QFileInfo source(r.model);
        if (!source.exists())
            continue;
        if (source.absolutePath() != folder) {
            const QString target = QDir(folder).filePath(source.fileName());
            if (QFileInfo(target).absoluteFilePath() != source.absoluteFilePath()) {
                const QString partial = target + QStringLiteral(".part");
                QFile::remove(partial);
                if (!QFile::copy(source.absoluteFilePath(), partial))
                    return fail(QObject::tr("cannot copy %1 to %2").arg(source.absoluteFilePath(), folder));
                QFile::remove(target);
                if (!QFile::rename(partial, target))
                    return fail(QObject::tr("cannot write %1").arg(target));
            }
            if (QFileInfo(model).absoluteFilePath() == source.absoluteFilePath())
                updatedModel = target;
            r.model = target;
        }
    }
    rounds = updated;
    model = updatedModel;
    if (stored) {
        *stored = updated;
        for (TrainingRound& r : *stored)
            if (QFileInfo(r.model).absolutePath() == folder)
                r.model = sessionDir.relativeFilePath(r.model);
    }
    return true;
}

void resolveRoundModels(std::vector<TrainingRound>& rounds, const QString& sessionPath)
{
    const QDir sessionDir = QFileInfo(sessionPath).absoluteDir();
    for (TrainingRound& r : rounds)
        if (!r.model.isEmpty() && QFileInfo(r.model).isRelative())
            r.model = QDir::cleanPath(sessionDir.absoluteFilePath(r.model));
}

}  // namespace mitoseg::ui
