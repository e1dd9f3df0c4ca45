# Sources of the ui library (relative to ui/).
list(APPEND MITOSEG_UI_SOURCES
  Autosaver.cpp
  DemoData.cpp
  EditTools.cpp
  FileController.cpp
  ImageSource.cpp
  JobEta.cpp
  IoUPanel.cpp
  LayerSettings.cpp
  LayersPanel.cpp
  MainWindow.cpp
  MemoryPreference.cpp
  MaskUndoCommand.cpp
  OrthoView.cpp
  PredictionProvider.cpp
  Session.cpp
  SegmentationController.cpp
  SegmentWorker.cpp
  SliceComposer.cpp
  SliceView.cpp
  StackFiles.cpp
  StudioDocument.cpp
  ToolsPanel.cpp
  files/OpenInput.cpp
  files/PredictionStore.cpp
)
