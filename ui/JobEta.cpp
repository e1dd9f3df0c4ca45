#include "ui/JobEta.h"

#include <QCoreApplication>

#include <cmath>

namespace mitoseg::ui {

void JobEta::start(int total)
{
    total_ = total;
    timer_.start();
}

double JobEta::secondsLeft(int done, qint64 elapsedMs) const
{
    if (done <= 0 || done >= total_)
        return -1.0;
    return static_cast<double>(elapsedMs) / 1000.0 / done * (total_ - done);
}

QString JobEta::textFor(double seconds)
{
    if (seconds < 0)
        return {};
    if (seconds < 60)
        return QCoreApplication::translate("JobEta", "about %1 s left").arg(std::max(1, static_cast<int>(std::ceil(seconds / 5.0)) * 5));
    if (seconds < 3600)
        return QCoreApplication::translate("JobEta", "about %1 min left").arg(static_cast<int>(std::lround(seconds / 60.0)));
    return QCoreApplication::translate("JobEta", "about %1 h %2 min left")
        .arg(static_cast<int>(seconds / 3600))
        .arg(static_cast<int>(std::lround(std::fmod(seconds, 3600.0) / 60.0)), 2, 10, QLatin1Char('0'));
}

}  // namespace mitoseg::ui
