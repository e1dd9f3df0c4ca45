# Sources of core/io (relative to core/). Owned by the io area.
list(APPEND MITOSEG_CORE_SOURCES
)
