# Sources of core/metrics (relative to core/). Owned by the metrics area.
list(APPEND MITOSEG_CORE_SOURCES
  metrics/Components.cpp
  metrics/Metrics.cpp
  metrics/SliceComponents.cpp
  metrics/StreamingMetrics.cpp
)
