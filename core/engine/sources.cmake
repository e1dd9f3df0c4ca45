# Sources of core/engine (relative to core/). Owned by the engine area.
list(APPEND MITOSEG_CORE_SOURCES
  engine/Segmenter.cpp
)
