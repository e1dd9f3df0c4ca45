# Test sources of core/metrics (relative to tests/core/).
list(APPEND MITOSEG_CORE_TEST_SOURCES
  metrics/ComponentsTest.cpp
  metrics/MetricsTest.cpp
  metrics/StreamingMetricsTest.cpp
)
