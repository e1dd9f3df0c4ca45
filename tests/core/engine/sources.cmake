# Test sources of core/engine (relative to tests/core/).
list(APPEND MITOSEG_CORE_TEST_SOURCES
  engine/CalibrationTest.cpp
  engine/ComputePrecisionTest.cpp
  engine/EngineModelTest.cpp
  engine/FastPathTest.cpp
  engine/JsonTest.cpp
  engine/ModelHardeningTest.cpp
  engine/PostProcessPlanTest.cpp
  engine/PredictMemoryTest.cpp
  engine/ShippedModelSlowTest.cpp
  engine/TrainerTest.cpp
)
# EngineModelTest uses the engine's internal (LibTorch) headers; core links torch PRIVATE.
# (/usr/include itself must not become a -I path: it breaks #include_next in libstdc++.)
set(_mitoseg_torch_includes ${TORCH_INCLUDE_DIRS})
list(REMOVE_ITEM _mitoseg_torch_includes /usr/include)
set_source_files_properties(engine/EngineModelTest.cpp engine/FastPathTest.cpp engine/ModelHardeningTest.cpp PROPERTIES INCLUDE_DIRECTORIES "${_mitoseg_torch_includes}")
