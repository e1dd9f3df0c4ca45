#pragma once
// Where the models of training rounds live when a session is saved: in a folder beside the
// session file (`<session>.models/`), referred to relative to the session's folder, so the
// session and its rounds move together. Pure file helpers; GUI thread (they copy files).
#include <QString>

#include <vector>

#include "ui/train/TrainingRound.h"

namespace mitoseg::ui {

/// `dir/name.models` for a session saved as `dir/name.json`.
QString roundModelsFolderFor(const QString& sessionPath);

/// Copies every round's model that is not in roundModelsFolderFor(sessionPath) yet into it
/// and points the round at the copy. `rounds` keeps absolute paths (the copies); `stored`
/// receives the same rounds with paths relative to the session's folder, for the session
/// file. A round whose model file is gone keeps its path. `model` (the model in use) follows
/// its round when it is one. False (and `error`) when a copy fails; nothing is lost then.
bool storeRoundModels(std::vector<TrainingRound>& rounds, QString& model, const QString& sessionPath,
                      std::vector<TrainingRound>* stored, QString* error);

/// Makes the relative model paths of a session's rounds absolute (relative to the folder of
/// `sessionPath`); absolute paths stay.
void resolveRoundModels(std::vector<TrainingRound>& rounds, const QString& sessionPath);

}  // namespace mitoseg::ui
