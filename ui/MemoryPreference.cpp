#include "ui/MemoryPreference.h"

#include <QInputDialog>
#include <QLineEdit>
#include <QMessageBox>
#include <QSettings>

#include <cstdlib>

#include "core/base/Memory.h"

namespace mitoseg::ui {

namespace {

const char* kKey = "memory/budget";

bool environmentSetsBudget()
{
    const char* text = std::getenv("MITOSEG_MEMORY_BUDGET");
    return text && parseByteSize(text).has_value();
}

QString bytesText(std::uint64_t bytes) { return QString::fromStdString(formatBytes(bytes)); }

}  // namespace

MemoryPreference::Source MemoryPreference::source_ = MemoryPreference::Source::Default;

std::uint64_t MemoryPreference::saved()
{
    bool ok = false;
    const qulonglong v = QSettings().value(QString::fromLatin1(kKey)).toULongLong(&ok);
    return ok && v >= kMinimum ? static_cast<std::uint64_t>(v) : 0;
}

MemoryPreference::Source MemoryPreference::applyAtStartup(bool fromCommandLine)
{
    if (fromCommandLine)
        source_ = Source::CommandLine;
    else if (environmentSetsBudget())
        source_ = Source::Environment;
    else if (const std::uint64_t b = saved()) {
        setMemoryBudget(b);
        source_ = Source::Preference;
    } else {
        source_ = Source::Default;
    }
    return source_;
}

QString MemoryPreference::describe()
{
    const char* from = "the default";
    switch (source_) {
    case Source::CommandLine: from = "--memory-budget"; break;
    case Source::Environment: from = "MITOSEG_MEMORY_BUDGET"; break;
    case Source::Preference: from = "this preference"; break;
    case Source::Default: break;
    }
    return QStringLiteral("%1 (%2)").arg(bytesText(memoryBudget()), QString::fromLatin1(from));
}

bool MemoryPreference::setFromText(const QString& text, QString* error, QString* note)
{
    const QString t = text.trimmed();
    QSettings settings;
    std::uint64_t bytes = 0;
    if (!t.isEmpty() && t.compare(QStringLiteral("default"), Qt::CaseInsensitive) != 0) {
        const auto parsed = parseByteSize(t.toStdString());
        if (!parsed) {
            if (error)
                *error = QStringLiteral("\"%1\" is not a size: give a number of bytes with K, M or G (for example 768M or 2G), "
                                        "or \"default\"").arg(t);
            return false;
        }
        if (*parsed < kMinimum) {
            if (error)
                *error = QStringLiteral("%1 is too small: the studio needs at least %2 for one slice's caches")
                             .arg(bytesText(*parsed), bytesText(kMinimum));
            return false;
        }
        bytes = *parsed;
    }
    if (bytes)
        settings.setValue(QString::fromLatin1(kKey), QVariant::fromValue<qulonglong>(bytes));
    else
        settings.remove(QString::fromLatin1(kKey));
    settings.sync();
    // The command line's value stays in force for this run; otherwise the new value applies now.
    if (source_ != Source::CommandLine) {
        setMemoryBudget(bytes);
        source_ = bytes ? Source::Preference : environmentSetsBudget() ? Source::Environment : Source::Default;
    }
    if (note) {
        *note = QStringLiteral("Memory budget now %1. Stacks opened from now on size their caches by it.").arg(describe());
        if (environmentSetsBudget())
            *note += QStringLiteral(" MITOSEG_MEMORY_BUDGET is set: it wins over this preference when the studio starts.");
    }
    return true;
}

bool MemoryPreference::edit(QWidget* parent)
{
    const std::uint64_t current = saved();
    bool ok = false;
    const QString text = QInputDialog::getText(
        parent, QObject::tr("Memory budget"),
        QObject::tr("How much the studio's caches, label stores and jobs may hold.\nIn force: %1. Available now: %2.\n"
                    "A size such as 768M or 2G, or \"default\" (%3):")
            .arg(describe(), bytesText(availableMemoryBytes()), bytesText(kDefaultMemoryBudget)),
        QLineEdit::Normal, current ? QString::fromStdString(budgetArgument(current)) : QStringLiteral("default"), &ok);
    if (!ok)
        return false;
    QString error, note;
    if (!setFromText(text, &error, &note)) {
        QMessageBox::warning(parent, QObject::tr("Memory budget"), error);
        return false;
    }
    QMessageBox::information(parent, QObject::tr("Memory budget"), note);
    return true;
}

}  // namespace mitoseg::ui
