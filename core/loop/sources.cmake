# Sources of core/loop (relative to core/): the retraining loop (pick slices, retrain a round,
# score it). Torch-free: it drives the engine through Trainer.h and Segmenter.h.
list(APPEND MITOSEG_CORE_SOURCES
  loop/RetrainRound.cpp
  loop/SliceSubset.cpp
  loop/SlicePicker.cpp
)
