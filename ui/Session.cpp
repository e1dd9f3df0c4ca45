#include "ui/Session.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSaveFile>

#include <algorithm>

#include "ui/files/OpenInput.h"

namespace mitoseg::ui {

namespace {
constexpr const char* kFormat = "mitoseg-studio-session";

QJsonObject styleJson(const OverlayStyle& s)
{
    return {{QStringLiteral("visible"), s.visible}, {QStringLiteral("color"), s.color.name()},
            {QStringLiteral("opacity"), s.opacity}, {QStringLiteral("outline"), s.outline}};
}

OverlayStyle styleFrom(const QJsonObject& o, const OverlayStyle& fallback)
{
    OverlayStyle s = fallback;
    s.visible = o.value(QStringLiteral("visible")).toBool(s.visible);
    const QColor c(o.value(QStringLiteral("color")).toString());
    if (c.isValid())
        s.color = c;
    s.opacity = std::clamp(o.value(QStringLiteral("opacity")).toInt(s.opacity), 0, 100);
    s.outline = o.value(QStringLiteral("outline")).toBool(s.outline);
    return s;
}
}  // namespace

QJsonObject Session::toJson() const
{
    QJsonObject o;
    o[QStringLiteral("format")] = QString::fromLatin1(kFormat);
    o[QStringLiteral("version")] = 1;
    o[QStringLiteral("stack")] = stack;
    o[QStringLiteral("mask")] = mask;
    o[QStringLiteral("reference")] = reference;
    o[QStringLiteral("model")] = model;
    QJsonObject view;
    view[QStringLiteral("z")] = static_cast<double>(z);
    view[QStringLiteral("zoom")] = zoom;
    view[QStringLiteral("panX")] = pan.x();
    view[QStringLiteral("panY")] = pan.y();
    if (hasLevels) {
        view[QStringLiteral("levelLow")] = levelLow;
        view[QStringLiteral("levelHigh")] = levelHigh;
    }
    o[QStringLiteral("view")] = view;
    auto array = [](const std::vector<std::int64_t>& zs) {
        QJsonArray a;
        for (auto z : zs)
            a.append(static_cast<double>(z));
        return a;
    };
    o[QStringLiteral("editedSlices")] = array(editedSlices);
    o[QStringLiteral("acceptedSlices")] = array(acceptedSlices);
    o[QStringLiteral("markedSlices")] = array(markedSlices);
    if (!validationSlices.empty())
        o[QStringLiteral("validationSlices")] = array(validationSlices);
    QJsonArray classArray;
    for (const auto& c : classes)
        classArray.append(QJsonObject{{QStringLiteral("name"), c.name}, {QStringLiteral("color"), c.color.name()}});
    if (!classes.empty())
        o[QStringLiteral("classes")] = classArray;
    if (layers) {
        o[QStringLiteral("layers")] = QJsonObject{
            {QStringLiteral("imageVisible"), layers->imageVisible},
            {QStringLiteral("heatmap"), layers->heatmap},
            {QStringLiteral("prediction"), styleJson(layers->prediction)},
            {QStringLiteral("mask"), styleJson(layers->mask)},
            {QStringLiteral("reference"), styleJson(layers->reference)},
            {QStringLiteral("threshold"), layers->threshold},
            {QStringLiteral("zSmooth"), layers->zSmooth},
            {QStringLiteral("minObjectVoxels"), static_cast<double>(layers->minObjectVoxels)},
        };
    }
    if (voxelSize)
        o[QStringLiteral("voxelSize")] = QJsonObject{{QStringLiteral("z"), voxelSize->z}, {QStringLiteral("y"), voxelSize->y},
                                                     {QStringLiteral("x"), voxelSize->x}, {QStringLiteral("unit"), voxelSize->unit}};
    if (!predictions.isEmpty())
        o[QStringLiteral("predictions")] = QJsonObject{{QStringLiteral("file"), predictions},
                                                       {QStringLiteral("postProcessed"), predictionsPostProcessed}};
    if (!trainingRounds.isEmpty()) {
        o[QStringLiteral("trainingRounds")] = trainingRounds;
        o[QStringLiteral("currentRound")] = currentRound;
    }
    return o;
}

std::optional<Session> Session::fromJson(const QJsonObject& o, QString* error)
{
    if (o.value(QStringLiteral("format")).toString() != QLatin1String(kFormat)) {
        if (error)
            *error = QStringLiteral("not a Mitoseg Studio session");
        return std::nullopt;
    }
    Session s;
    s.stack = o.value(QStringLiteral("stack")).toString();
    s.mask = o.value(QStringLiteral("mask")).toString();
    s.reference = o.value(QStringLiteral("reference")).toString();
    s.model = o.value(QStringLiteral("model")).toString();
    const QJsonObject view = o.value(QStringLiteral("view")).toObject();
    s.z = static_cast<std::int64_t>(view.value(QStringLiteral("z")).toDouble());
    s.zoom = view.value(QStringLiteral("zoom")).toDouble();
    s.pan = QPointF(view.value(QStringLiteral("panX")).toDouble(), view.value(QStringLiteral("panY")).toDouble());
    s.hasLevels = view.contains(QStringLiteral("levelLow")) && view.contains(QStringLiteral("levelHigh"));
    if (s.hasLevels) {
        s.levelLow = view.value(QStringLiteral("levelLow")).toDouble();
        s.levelHigh = view.value(QStringLiteral("levelHigh")).toDouble();
    }
    s.trainingRounds = o.value(QStringLiteral("trainingRounds")).toArray();
    s.currentRound = o.value(QStringLiteral("currentRound")).toInt(-1);
    for (const auto& v : o.value(QStringLiteral("editedSlices")).toArray())
        s.editedSlices.push_back(static_cast<std::int64_t>(v.toDouble()));
    for (const auto& v : o.value(QStringLiteral("acceptedSlices")).toArray())
        s.acceptedSlices.push_back(static_cast<std::int64_t>(v.toDouble()));
    for (const auto& v : o.value(QStringLiteral("markedSlices")).toArray())
        s.markedSlices.push_back(static_cast<std::int64_t>(v.toDouble()));
    for (const auto& v : o.value(QStringLiteral("validationSlices")).toArray())
        s.validationSlices.push_back(static_cast<std::int64_t>(v.toDouble()));
    const QJsonArray classArray = o.value(QStringLiteral("classes")).toArray();
    if (classArray.size() == 1 || classArray.size() > 256) {
        if (error)
            *error = QStringLiteral("a session needs background plus 1..255 classes");
        return std::nullopt;
    }
    if (o.contains(QStringLiteral("layers"))) {
        const QJsonObject l = o.value(QStringLiteral("layers")).toObject();
        const LayerSettings defaults;
        SessionLayers layers;
        layers.imageVisible = l.value(QStringLiteral("imageVisible")).toBool(true);
        layers.heatmap = l.value(QStringLiteral("heatmap")).toBool(false);
        layers.prediction = styleFrom(l.value(QStringLiteral("prediction")).toObject(), defaults.style(Layer::Prediction));
        layers.mask = styleFrom(l.value(QStringLiteral("mask")).toObject(), defaults.style(Layer::Mask));
        layers.reference = styleFrom(l.value(QStringLiteral("reference")).toObject(), defaults.style(Layer::Reference));
        layers.threshold = std::clamp(l.value(QStringLiteral("threshold")).toDouble(0.5), 0.01, 0.99);
        layers.zSmooth = std::clamp(l.value(QStringLiteral("zSmooth")).toInt(0), 0, 1000);
        layers.minObjectVoxels = std::max<std::int64_t>(0, static_cast<std::int64_t>(l.value(QStringLiteral("minObjectVoxels")).toDouble()));
        s.layers = layers;
    }
    if (o.contains(QStringLiteral("voxelSize"))) {
        const QJsonObject v = o.value(QStringLiteral("voxelSize")).toObject();
        SessionVoxelSize size{v.value(QStringLiteral("z")).toDouble(), v.value(QStringLiteral("y")).toDouble(),
                              v.value(QStringLiteral("x")).toDouble(), v.value(QStringLiteral("unit")).toString()};
        if (!(size.z > 0 && size.y > 0 && size.x > 0)) {
            if (error)
                *error = QStringLiteral("the voxel size must be positive");
            return std::nullopt;
        }
        if (size.unit.isEmpty())
            size.unit = QStringLiteral("px");
        s.voxelSize = size;
    }
    const QJsonObject pred = o.value(QStringLiteral("predictions")).toObject();
    s.predictions = pred.value(QStringLiteral("file")).toString();
    s.predictionsPostProcessed = pred.value(QStringLiteral("postProcessed")).toBool(false);
    for (const auto& v : classArray) {
        const QJsonObject c = v.toObject();
        const QColor color(c.value(QStringLiteral("color")).toString());
        s.classes.push_back({c.value(QStringLiteral("name")).toString(), color.isValid() ? color : QColor(Qt::white)});
    }
    return s;
}

bool Session::save(const QString& path, QString* error) const
{
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly)) {
        if (error)
            *error = QStringLiteral("%1: %2").arg(path, f.errorString());
        return false;
    }
    f.write(QJsonDocument(toJson()).toJson());
    if (!f.commit()) {
        if (error)
            *error = QStringLiteral("%1: %2").arg(path, f.errorString());
        return false;
    }
    return true;
}

std::optional<Session> Session::load(const QString& path, QString* error)
{
    // Through core's checks: a FIFO, a device or a directory is refused before it is read.
    QFile f;
    if (!openInputFile(f, path, "session file", error))
        return std::nullopt;
    constexpr qint64 kMaxBytes = qint64{1} << 24;   // a session is a few kB of JSON
    if (f.size() > kMaxBytes) {
        if (error)
            *error = QStringLiteral("%1: %2 bytes is too large for a session file (at most %3)").arg(path).arg(f.size()).arg(kMaxBytes);
        return std::nullopt;
    }
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(f.read(kMaxBytes), &pe);
    if (pe.error != QJsonParseError::NoError || !doc.isObject()) {
        if (error)
            *error = QStringLiteral("%1: not valid JSON (%2)").arg(path, pe.errorString());
        return std::nullopt;
    }
    QString why;
    auto s = fromJson(doc.object(), &why);
    if (!s && error)
        *error = QStringLiteral("%1: %2").arg(path, why);
    return s;
}

}  // namespace mitoseg::ui
