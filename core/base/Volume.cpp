#include "core/base/Volume.h"

namespace mitoseg {

const char* dtypeName(DType t)
{
    switch (t) {
    case DType::U8: return "uint8";
    case DType::U16: return "uint16";
    case DType::F32: return "float32";
    }
    return "unknown";
}

}  // namespace mitoseg
