# Sources of core/mesh (relative to core/). Owned by the mesh area.
list(APPEND MITOSEG_CORE_SOURCES
  mesh/MeshWriter.cpp
  mesh/ObjectMeasures.cpp
  mesh/SurfaceExtractor.cpp
  mesh/StreamingMesher.cpp
  mesh/SurfaceMesh.cpp
  mesh/VtkThreads.cpp
)
# vtkSMPTools.h of VTK 9.1 is not valid C++20; its one user is compiled as C++17.
set_source_files_properties(mesh/VtkThreads.cpp PROPERTIES COMPILE_OPTIONS "-std=c++17")
