// Routes the engine's log lines to Python's `logging.getLogger("acquire_zarr")`.
#pragma once

namespace aqz_python {

// Register the engine log callback. Call once, with the GIL, at import.
void
install_log_bridge();

// Unregister it and wait for callbacks in progress (at exit: engine threads
// must not take the GIL while the interpreter shuts down). Needs the GIL.
void
uninstall_log_bridge();

} // namespace aqz_python
