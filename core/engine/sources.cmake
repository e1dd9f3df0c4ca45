# Sources of core/engine (relative to core/). Owned by the engine area.
# UNet.cpp, TorchModel.cpp, ModelAverage.cpp, TiledPredictor.cpp, Trainer.cpp and Segmenter.cpp include LibTorch;
# the rest is plain C++.
list(APPEND MITOSEG_CORE_SOURCES
  engine/Benchmark.cpp
  engine/Calibration.cpp
  engine/ComputePrecision.cpp
  engine/DataParallel.cpp
  engine/Json.cpp
  engine/ModelAverage.cpp
  engine/ModelFile.cpp
  engine/InferenceNet.cpp
  engine/ModelSpec.cpp
  engine/ModelSummary.cpp
  engine/PatchSampler.cpp
  engine/PredictFile.cpp
  engine/PredictMemory.cpp
  engine/QuantizedOps.cpp
  engine/PostProcessPlan.cpp
  engine/Segmenter.cpp
  engine/StreamingPostProcess.cpp
  engine/TiledPredictor.cpp
  engine/TorchModel.cpp
  engine/Trainer.cpp
  engine/UNet.cpp
  engine/UNetConfig.cpp
)
