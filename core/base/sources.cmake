# Sources of core/base (relative to core/). Owned by the base area.
list(APPEND MITOSEG_CORE_SOURCES
  base/AtomicFile.cpp
  base/Error.cpp
  base/InputFile.cpp
  base/Progress.cpp
  base/SystemMemory.cpp
  base/Volume.cpp
)
