# Sources of core/labels (relative to core/). Owned by the labels area.
list(APPEND MITOSEG_CORE_SOURCES
  labels/ClassMatch.cpp
  labels/ConfusionCounts.cpp
  labels/EditHistory.cpp
  labels/LabelEditor.cpp
  labels/SliceStore.cpp
  labels/SliceStoreIo.cpp
  labels/UndoDelta.cpp
)
