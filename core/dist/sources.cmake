# Sources of core/dist (relative to core/): the process group (c10d ProcessGroupGloo over a
# TCPStore or FileStore) and the rendezvous from options or the torchrun / Slurm environment.
# ProcessGroup.cpp includes LibTorch's c10d headers (USE_C10D_GLOO: Debian's libtorch is built
# with Gloo; the headers need libgloo-dev); Rendezvous.cpp is plain C++.
list(APPEND MITOSEG_CORE_SOURCES
  dist/ProcessGroup.cpp
  dist/Rendezvous.cpp
)
set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/ProcessGroup.cpp PROPERTIES COMPILE_DEFINITIONS USE_C10D_GLOO)
