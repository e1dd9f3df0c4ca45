# Test sources of core/base (relative to tests/core/).
list(APPEND MITOSEG_CORE_TEST_SOURCES
  base/FileSafetyTest.cpp
  base/TestSupport.cpp
  base/MemoryBudgetTest.cpp
  base/MemoryReuseTest.cpp
  base/VolumeTest.cpp
)
