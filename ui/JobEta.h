#pragma once
// Time left of a long job (segmenting a stack), from how long the done steps took. Value type;
// GUI thread (it reads a QElapsedTimer started by start()).
#include <QElapsedTimer>
#include <QString>

namespace mitoseg::ui {

class JobEta {
public:
    /// Starts timing a job of `total` steps.
    void start(int total);
    /// Seconds left after `done` of the steps, by the mean pace so far; -1 until a step is done.
    double secondsLeft(int done) const { return secondsLeft(done, timer_.isValid() ? timer_.elapsed() : 0); }
    /// The same with the elapsed milliseconds given (tests).
    double secondsLeft(int done, qint64 elapsedMs) const;
    /// "about 3 min left", "about 40 s left", "" while unknown or when done.
    QString text(int done) const { return textFor(secondsLeft(done)); }
    /// The words for `seconds` left ("" for a negative value).
    static QString textFor(double seconds);

private:
    QElapsedTimer timer_;
    int total_ = 0;
};

}  // namespace mitoseg::ui
