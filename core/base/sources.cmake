# Sources of core/base (relative to core/). Owned by the base area.
list(APPEND MITOSEG_CORE_SOURCES
  base/AtomicFile.cpp
  base/Error.cpp
  base/InputFile.cpp
  base/Memory.cpp
  base/MemoryReuse.cpp
  base/Progress.cpp
  base/Volume.cpp
)
