# Test sources of core/dist (relative to tests/core/).
list(APPEND MITOSEG_CORE_TEST_SOURCES
  dist/OverlapTest.cpp
  dist/ProcessGroupTest.cpp
  dist/RendezvousTest.cpp
)
# OverlapTest uses the engine's internal (LibTorch) headers (list from engine/sources.cmake).
set_source_files_properties(dist/OverlapTest.cpp PROPERTIES INCLUDE_DIRECTORIES "${_mitoseg_torch_includes}")
