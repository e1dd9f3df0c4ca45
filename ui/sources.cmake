# Sources of the ui library (relative to ui/).
list(APPEND MITOSEG_UI_SOURCES
  MainWindow.cpp
)
