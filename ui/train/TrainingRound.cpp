#include "ui/train/TrainingRound.h"

namespace mitoseg::ui {

namespace {

QString kindName(TrainingRound::Kind k)
{
    switch (k) {
    case TrainingRound::Kind::Start: return QStringLiteral("start");
    case TrainingRound::Kind::Train: return QStringLiteral("train");
    case TrainingRound::Kind::Retrain: break;
    }
    return QStringLiteral("retrain");
}

}  // namespace

QJsonObject TrainingRound::toJson() const
{
    QJsonObject o;
    o[QStringLiteral("kind")] = kindName(kind);
    o[QStringLiteral("round")] = number;
    o[QStringLiteral("model")] = model;
    QJsonArray s;
    for (auto z : slices)
        s.append(static_cast<qint64>(z));
    o[QStringLiteral("slices")] = s;
    o[QStringLiteral("steps")] = static_cast<qint64>(steps);
    o[QStringLiteral("seconds")] = seconds;
    o[QStringLiteral("iou_before")] = iouBefore;
    o[QStringLiteral("iou_after")] = iouAfter;
    return o;
}

bool TrainingRound::fromJson(const QJsonObject& o, TrainingRound* out)
{
    if (!o.value(QStringLiteral("model")).isString() || !o.value(QStringLiteral("round")).isDouble())
        return false;
    TrainingRound r;
    const QString kind = o.value(QStringLiteral("kind")).toString();
    r.kind = kind == QStringLiteral("start") ? Kind::Start : kind == QStringLiteral("train") ? Kind::Train : Kind::Retrain;
    r.number = o.value(QStringLiteral("round")).toInt();
    r.model = o.value(QStringLiteral("model")).toString();
    for (const auto& z : o.value(QStringLiteral("slices")).toArray())
        r.slices.push_back(z.toInteger());
    r.steps = o.value(QStringLiteral("steps")).toInteger();
    r.seconds = o.value(QStringLiteral("seconds")).toDouble();
    r.iouBefore = o.value(QStringLiteral("iou_before")).toDouble(-1);
    r.iouAfter = o.value(QStringLiteral("iou_after")).toDouble(-1);
    *out = r;
    return true;
}

QJsonArray roundsToJson(const std::vector<TrainingRound>& rounds)
{
    QJsonArray a;
    for (const auto& r : rounds)
        a.append(r.toJson());
    return a;
}

std::vector<TrainingRound> roundsFromJson(const QJsonArray& json)
{
    std::vector<TrainingRound> out;
    for (const auto& v : json) {
        TrainingRound r;
        if (v.isObject() && TrainingRound::fromJson(v.toObject(), &r))
            out.push_back(r);
    }
    return out;
}

}  // namespace mitoseg::ui
