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

#include "ui/LayerSettings.h"

namespace mitoseg::ui {

/// One label class of a session: name and display colour.
struct SessionClass {
    QString name;
    QColor color;
    bool operator==(const SessionClass&) const = default;
};

/// The Layers panel of a session: display styles and the prediction's threshold and clean-up.
struct SessionLayers {
    bool imageVisible = true;
    bool heatmap = false;
    OverlayStyle prediction, mask, reference;
    double threshold = 0.5;
    int zSmooth = 0;
    std::int64_t minObjectVoxels = 0;
    bool operator==(const SessionLayers&) const = default;
};

/// A voxel size the user set (View > Voxel size…), overriding the stack's calibration.
struct SessionVoxelSize {
    double z = 1.0, y = 1.0, x = 1.0;
    QString unit = QStringLiteral("px");
    bool operator==(const SessionVoxelSize&) const = default;
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
    std::vector<std::int64_t> editedSlices;     ///< labelled slices by source (0-based)
    std::vector<std::int64_t> acceptedSlices;
    std::vector<std::int64_t> markedSlices;
    std::vector<SessionClass> classes;   ///< the mask's classes (background first); empty: default
    std::optional<SessionLayers> layers;  ///< absent in sessions written before they were kept
    std::optional<SessionVoxelSize> voxelSize;  ///< absent: the stack's own calibration
    /// File of the stored predictions (PredictionStore), relative to the session's folder;
    /// empty: none. `predictionsPostProcessed`: the stack clean-up was applied to them.
    QString predictions;
    bool predictionsPostProcessed = false;
    QJsonArray trainingRounds;           ///< the training panel's rounds (ui/train/TrainingRound.h); empty: none
    int currentRound = -1;               ///< index of the round whose model is in use
    std::vector<std::int64_t> validationSlices;  ///< labelled slices set aside for validation (0-based)

    QJsonObject toJson() const;
    /// Parses a session; nullopt (and `error`) when it is not one.
    static std::optional<Session> fromJson(const QJsonObject& json, QString* error = nullptr);
    /// Writes the session to `path` atomically; false (and `error`) on failure.
    bool save(const QString& path, QString* error = nullptr) const;
    static std::optional<Session> load(const QString& path, QString* error = nullptr);
    bool operator==(const Session&) const = default;
};

}  // namespace mitoseg::ui
