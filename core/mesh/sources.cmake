# Sources of core/mesh (relative to core/). Owned by the mesh area.
list(APPEND MITOSEG_CORE_SOURCES
  mesh/AtomicFile.cpp
  mesh/MeshWriter.cpp
  mesh/ObjectMeasures.cpp
  mesh/SurfaceExtractor.cpp
  mesh/SurfaceMesh.cpp
)
