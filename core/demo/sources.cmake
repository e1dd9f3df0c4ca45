# Sources of core/demo (relative to core/). Owned by the demo area.
list(APPEND MITOSEG_CORE_SOURCES
  demo/DemoScene.cpp
  demo/DemoStack.cpp
)
# The demo must give identical bytes on every machine: no fused multiply-add contraction.
set_source_files_properties(demo/DemoScene.cpp demo/DemoStack.cpp PROPERTIES COMPILE_OPTIONS -ffp-contract=off)
