# Test sources of the ui layer (relative to tests/ui/).
list(APPEND MITOSEG_UI_TEST_SOURCES
  UiTestMain.cpp
  ClassesTest.cpp
  ComposerTest.cpp
  EditingTest.cpp
  FilesTest.cpp
  IoUPanelTest.cpp
  PredictionTest.cpp
  SessionTest.cpp
  WorkSafetyTest.cpp
  RoughEdgesTest.cpp
  MemoryPreferenceTest.cpp
  TrainingTest.cpp
  BadStackTest.cpp
  CorruptTiff.cpp
)
