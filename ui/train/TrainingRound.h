#pragma once
// One row of the studio's rounds table: a model the training panel produced (or the model the
// loop started from), with what it was trained on and how it scored. Value type with its JSON
// form (kept in the session file); any thread.
#include <QJsonArray>
#include <QJsonObject>
#include <QString>

#include <cstdint>
#include <vector>

namespace mitoseg::ui {

struct TrainingRound {
    enum class Kind { Start, Train, Retrain };
    Kind kind = Kind::Retrain;
    int number = 0;                       ///< 0 = the starting model
    QString model;                        ///< model file (absolute path)
    std::vector<std::int64_t> slices;     ///< slices trained on (corrected ones and replay)
    std::int64_t steps = 0;
    double seconds = 0;
    double iouBefore = -1, iouAfter = -1; ///< on the validation slices; -1 = not measured

    QJsonObject toJson() const;
    /// nullopt-like: returns false when `json` is not a round.
    static bool fromJson(const QJsonObject& json, TrainingRound* out);
    bool operator==(const TrainingRound&) const = default;
};

QJsonArray roundsToJson(const std::vector<TrainingRound>& rounds);
/// Rounds of a session; malformed entries are skipped.
std::vector<TrainingRound> roundsFromJson(const QJsonArray& json);

}  // namespace mitoseg::ui
