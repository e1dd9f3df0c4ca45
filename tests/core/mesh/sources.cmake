# Test sources of core/mesh (relative to tests/core/).
list(APPEND MITOSEG_CORE_TEST_SOURCES
  mesh/ExportTest.cpp
  mesh/LucchiSurfaceTest.cpp
  mesh/MeasuresTest.cpp
  mesh/StreamingMesherTest.cpp
  mesh/SurfaceTest.cpp
)
