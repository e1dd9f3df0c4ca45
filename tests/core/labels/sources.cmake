# Test sources of core/labels (relative to tests/core/).
list(APPEND MITOSEG_CORE_TEST_SOURCES
  labels/ClassMatchTest.cpp
  labels/LabelEditorTest.cpp
  labels/SliceStoreTest.cpp
)
