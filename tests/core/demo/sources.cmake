# Test sources of core/demo (relative to tests/core/).
list(APPEND MITOSEG_CORE_TEST_SOURCES
  demo/DemoStackTest.cpp
)
