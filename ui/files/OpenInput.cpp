#include "ui/files/OpenInput.h"

#include <unistd.h>

#include <exception>

#include "core/base/InputFile.h"

namespace mitoseg::ui {

bool openInputFile(QFile& file, const QString& path, const char* what, QString* error)
{
    int fd = -1;
    try {
        fd = InputFile::open(QFile::encodeName(path).toStdString(), what).release();
    } catch (const std::exception& e) {
        if (error)
            *error = QString::fromStdString(e.what());
        return false;
    }
    if (!file.open(fd, QIODevice::ReadOnly, QFileDevice::AutoCloseHandle)) {
        if (error)
            *error = QStringLiteral("%1: %2").arg(path, file.errorString());
        ::close(fd);
        return false;
    }
    return true;
}

}  // namespace mitoseg::ui
