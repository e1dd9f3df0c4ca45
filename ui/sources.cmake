# Sources of the ui library (relative to ui/).
list(APPEND MITOSEG_UI_SOURCES
  Autosaver.cpp
  DemoData.cpp
  EditTools.cpp
  FileController.cpp
  ImageSource.cpp
  IoUPanel.cpp
  LayerSettings.cpp
  LayersPanel.cpp
  MainWindow.cpp
  MaskUndoCommand.cpp
  PredictionProvider.cpp
  Session.cpp
  SegmentationController.cpp
  SegmentWorker.cpp
  SliceComposer.cpp
  SliceView.cpp
  StackFiles.cpp
  StudioDocument.cpp
  ToolsPanel.cpp
)
# StackFiles.cpp calls core/io only once core/io has sources (the reader/writer land separately);
# until then it reports "no TIFF reader/writer yet".
set(_mitoseg_saved_core_sources "${MITOSEG_CORE_SOURCES}")
set(MITOSEG_CORE_SOURCES "")
include(${CMAKE_CURRENT_LIST_DIR}/../core/io/sources.cmake)
if(MITOSEG_CORE_SOURCES)
  set_source_files_properties(StackFiles.cpp PROPERTIES COMPILE_DEFINITIONS MITOSEG_HAVE_TIFF_IO)
endif()
set(MITOSEG_CORE_SOURCES "${_mitoseg_saved_core_sources}")
