# Sources of the mitoseg-studio executable (relative to app/).
set(MITOSEG_STUDIO_SOURCES
  studio/BigDataBench.cpp
  studio/FirstRun.cpp
  studio/LoopDemo.cpp
  studio/main.cpp
  studio/StudioBench.cpp
  studio/StudioOptions.cpp
  studio/StudioStyle.cpp
  studio/TrainingBench.cpp
)
# The numpy peer the benchmark cross-checks IoU/Dice against (override with MITOSEG_PEER).
set_source_files_properties(studio/StudioBench.cpp PROPERTIES COMPILE_DEFINITIONS
  MITOSEG_PEER_DEFAULT="${PROJECT_SOURCE_DIR}/../shared/reference/peer.py")
