# Test sources of core/loop (relative to tests/core/).
list(APPEND MITOSEG_CORE_TEST_SOURCES
  loop/RetrainRoundTest.cpp
  loop/SlicePickerTest.cpp
  loop/SliceSubsetTest.cpp
)
