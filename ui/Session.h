#pragma once
// A studio session as JSON: which files are open, the view (slice, zoom, pan, levels) and the
// slices the user edited, and the training rounds. Value type; any thread. Files are written atomically (QSaveFile).
#include <QColor>
#include <QJsonArray>
#include <QJsonObject>
#include <QPointF>
#include <QString>

#include <cstdint>
#include <optional>
#include <vector>

namespace mitoseg::ui {

/// One label class of a session: name and display colour.
struct SessionClass {
    QString name;
    QColor color;
    bool operator==(const SessionClass&) const = default;
};

struct Session {
    QString stack;       ///< empty: the demo stack
    QString mask;
    QString reference;
    QString model;
    std::int64_t z = 0;
    double zoom = 0.0;   ///< 0: fit to window
    QPointF pan;
    bool hasLevels = false;
    double levelLow = 0.0, levelHigh = 255.0;
    std::vector<std::int64_t> editedSlices;
    std::vector<SessionClass> classes;   ///< the mask's classes (background first); empty: default
    QJsonArray trainingRounds;           ///< the training panel's rounds (ui/train/TrainingRound.h); empty: none
    int currentRound = -1;               ///< index of the round whose model is in use

    QJsonObject toJson() const;
    /// Parses a session; nullopt (and `error`) when it is not one.
    static std::optional<Session> fromJson(const QJsonObject& json, QString* error = nullptr);
    /// Writes the session to `path` atomically; false (and `error`) on failure.
    bool save(const QString& path, QString* error = nullptr) const;
    static std::optional<Session> load(const QString& path, QString* error = nullptr);
    bool operator==(const Session&) const = default;
};

}  // namespace mitoseg::ui
