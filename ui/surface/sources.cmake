# Sources of ui/surface: the VTK render bridge and 3D surface panel (relative to ui/).
list(APPEND MITOSEG_UI_SOURCES
)
