#include "Gil.hpp"

#include <atomic>
#include <chrono>
#include <thread>

namespace aqz_python {
namespace {

std::atomic<bool> exiting{ false };
std::atomic<std::thread::id> exit_thread{};
// Threads between deciding not to park and holding the GIL again.
std::atomic<int> reacquiring{ 0 };

[[noreturn]] void
park_forever()
{
    for (;;) {
        std::this_thread::sleep_for(std::chrono::hours(1));
    }
}

} // namespace

bool
interpreter_finalizing()
{
#if PY_VERSION_HEX >= 0x030D0000
    return Py_IsFinalizing() != 0;
#else
    return _Py_IsFinalizing() != 0;
#endif
}

bool
must_park()
{
    return exiting.load() && exit_thread.load() != std::this_thread::get_id();
}

GilRelease::GilRelease()
  : state_(PyEval_SaveThread())
{
}

GilRelease::~GilRelease()
{
    // Announce first, then check (both sequentially consistent), so that
    // begin_exit() either sees this thread coming back or this thread sees
    // the exit and parks.
    reacquiring.fetch_add(1);
    if (must_park()) {
        reacquiring.fetch_sub(1);
        park_forever();
    }
    PyEval_RestoreThread(state_);
    reacquiring.fetch_sub(1);
}

void
begin_exit()
{
    exit_thread.store(std::this_thread::get_id());
    exiting.store(true);
    wait_without_gil([] { return reacquiring.load() == 0; }, 10000);
}

} // namespace aqz_python
