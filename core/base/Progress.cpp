#include "core/base/Progress.h"

#include "core/base/Error.h"

namespace mitoseg {

void CancelToken::check() const
{
    if (cancelled())
        throw Cancelled();
}

}  // namespace mitoseg
