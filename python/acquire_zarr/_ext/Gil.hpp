// Releasing the GIL around engine calls, safely up to interpreter exit.
//
// On Python < 3.14 a thread that re-takes the GIL after finalization has
// started is killed with pthread_exit(). If that happens in a destructor
// (pybind11's gil_scoped_release re-takes the GIL in one) the forced unwind
// hits `noexcept` and the process aborts; it also leaves objects half
// released. So once the interpreter starts to exit (our atexit hook),
// threads other than the exiting one that come back from an engine call park
// for good instead: they are daemon or foreign threads, which die at exit
// anyway.
#pragma once

#include <Python.h>

namespace aqz_python {

class GilRelease
{
  public:
    GilRelease();
    ~GilRelease();
    GilRelease(const GilRelease&) = delete;
    GilRelease& operator=(const GilRelease&) = delete;

  private:
    PyThreadState* state_;
};

// Called once, with the GIL, from the atexit hook: from now on GilRelease
// parks every thread but the calling one. Returns after letting through
// (by briefly releasing the GIL) the threads already re-taking it.
void
begin_exit();

// True once begin_exit() has run and the caller is not the exiting thread.
bool
must_park();

bool
interpreter_finalizing();

// Release the GIL while waiting (up to `timeout_ms`) for `done()`.
template<typename Done>
void
wait_without_gil(Done&& done, int timeout_ms);

} // namespace aqz_python

#include <chrono>
#include <thread>

template<typename Done>
void
aqz_python::wait_without_gil(Done&& done, int timeout_ms)
{
    const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
        PyThreadState* state = PyEval_SaveThread();
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        PyEval_RestoreThread(state);
    }
}
