# Test sources of core/io (relative to tests/core/).
list(APPEND MITOSEG_CORE_TEST_SOURCES
  io/TiffFixtures.cpp
  io/TiffStackTest.cpp
  io/TiffBadInputTest.cpp
  io/TiffWriterTest.cpp
  io/TiffPeerTest.cpp
  io/TiffFuzzRegressionTest.cpp
  io/TiffLargeStackTest.cpp
)
