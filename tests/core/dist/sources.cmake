# Test sources of core/dist (relative to tests/core/).
list(APPEND MITOSEG_CORE_TEST_SOURCES
  dist/ProcessGroupTest.cpp
  dist/RendezvousTest.cpp
)
