// Settings documents (YAML or JSON) for the Python package, read and written
// by the C library's loader and dumper (ZarrStreamSettings_load_from_string,
// ZarrStreamSettings_dump_to_string), so that Python reads and writes exactly
// the documents C does.
#pragma once

#include <pybind11/pybind11.h>

namespace aqz_python {

// Register _load_settings_document and _dump_settings_document in `m`.
void
bind_documents(pybind11::module_& m);

} // namespace aqz_python
