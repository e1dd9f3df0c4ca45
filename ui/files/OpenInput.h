#pragma once
// Opening the studio's own input files (sessions, autosaved masks, saved predictions) through
// core's InputFile checks, as every other input is: a FIFO, a device, a socket or a directory is
// refused before a byte is read, so File > Open session on a named pipe cannot hang the GUI.
#include <QFile>
#include <QString>

namespace mitoseg::ui {

/// Opens `path` read-only into `file` (which takes over the descriptor and closes it) after
/// core's regular-file check. `what` names the kind of input ("session file"). On failure returns
/// false and sets `*error` to a message that names the file and the problem. Any thread.
bool openInputFile(QFile& file, const QString& path, const char* what, QString* error);

}  // namespace mitoseg::ui
