# Sources of the mitoseg-studio executable (relative to app/).
set(MITOSEG_STUDIO_SOURCES
  studio/main.cpp
  studio/StudioBench.cpp
  studio/StudioStyle.cpp
)
