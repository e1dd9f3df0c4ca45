// vtkSMPTools.h (VTK 9.1) does not compile as C++20 (a template-id constructor declaration), so
// this file alone is built as C++17 (see mesh/sources.cmake) and includes no project header
// (they need C++20); the declaration below matches core/mesh/SurfaceExtractor.h.
#include <algorithm>

#include <vtkSMPTools.h>

namespace mitoseg {

void setVtkThreadLimit(int threads);

void setVtkThreadLimit(int threads) { vtkSMPTools::Initialize(std::max(threads, 0)); }

}  // namespace mitoseg
