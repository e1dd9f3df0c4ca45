# Sources of core/mesh (relative to core/). Owned by the mesh area.
list(APPEND MITOSEG_CORE_SOURCES
)
