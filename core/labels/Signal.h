#pragma once
// A minimal observer list (no Qt): connect callbacks, emit to all of them in connection order.
// Not synchronised: connect, disconnect and emit on the thread that owns the emitting object.
#include <functional>
#include <utility>
#include <vector>

namespace mitoseg::labels {

template <class... Args>
class Signal {
public:
    using Slot = std::function<void(Args...)>;
    /// Adds a callback; returns an id for disconnect().
    int connect(Slot slot)
    {
        slots_.emplace_back(++lastId_, std::move(slot));
        return lastId_;
    }
    /// Removes the callback with `id` (no-op when unknown).
    void disconnect(int id)
    {
        std::erase_if(slots_, [id](const auto& s) { return s.first == id; });
    }
    /// Calls every callback with `args`.
    void emit(const Args&... args) const
    {
        const auto copy = slots_;  // a callback may disconnect itself
        for (const auto& s : copy)
            s.second(args...);
    }

private:
    std::vector<std::pair<int, Slot>> slots_;
    int lastId_ = 0;
};

}  // namespace mitoseg::labels
