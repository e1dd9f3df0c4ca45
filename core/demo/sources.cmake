# Sources of core/demo (relative to core/). Owned by the demo area.
list(APPEND MITOSEG_CORE_SOURCES
)
