# Sources of core/io (relative to core/). Owned by the io area.
list(APPEND MITOSEG_CORE_SOURCES
  io/ImageJMetadata.cpp
  io/MappedFile.cpp
  io/TiffIndex.cpp
  io/TiffStack.cpp
  io/TiffSupport.cpp
  io/TiffSliceWriter.cpp
  io/TiffWriter.cpp
)
