# Sources of ui/surface: the VTK render bridge and 3D surface panel (relative to ui/).
list(APPEND MITOSEG_UI_SOURCES
  surface/SurfacePanel.cpp
  surface/SurfaceView.cpp
  surface/VoxelSizeDialog.cpp
)
# The 3D view renders: add VTK's rendering modules (found by the top-level CMakeLists.txt) to the
# VTK list that mitoseg_ui links and autoinitialises (the OpenGL2 factory overrides must be
# registered in this library). This changes VTK_LIBRARIES in ui/ only.
list(APPEND VTK_LIBRARIES ${MITOSEG_VTK_RENDER_LIBRARIES})
