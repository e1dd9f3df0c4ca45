# Sources of ui/train (relative to ui/): the training panel, its controller and worker, rounds.
list(APPEND MITOSEG_UI_SOURCES
  train/TrainingController.cpp
  train/TrainingPanel.cpp
  train/ModelManager.cpp
  train/RoundFiles.cpp
  train/TrainingRound.cpp
  train/TrainingWorker.cpp
)
