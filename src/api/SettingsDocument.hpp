#pragma once

// Settings documents: ZarrStreamSettings as YAML or JSON text, the schema of
// the published library's ZarrStreamSettings_load_from_* / _dump_to_*
// (schema version 2; version 1 documents are migrated). Loading checks the
// document's shape and types, naming the field (and, for text, the line) at
// fault; the values themselves are checked when a stream is created.

#include "zarr.types.h"

#include <nlohmann/json.hpp>

#include <map>
#include <string>

namespace zarr::settings_document {

/// The current schema version, written by dump().
inline constexpr int kSchemaVersion = 2;

/// A parsed document: its value and where each value starts in the text.
struct Document
{
    nlohmann::json root;
    /// Field path ("arrays[0].dimensions[1].unit") -> "line L, column C".
    std::map<std::string, std::string> where;
};

/// Parses YAML or JSON (JSON is a subset of YAML). Throws ZarrError
/// (InvalidSettings) naming the line and column of a syntax error.
Document
parse(const std::string& text);

/// Fills the zeroed `*out` from `document`, allocating every string and
/// array it points to with malloc/calloc. Throws ZarrError
/// (InvalidSettings) naming the field; `*out` may then hold a partial
/// result, which destroy_loaded() frees.
void
load(const Document& document, ZarrStreamSettings* out);

/// Frees what load() allocated and zeroes `*settings`.
void
destroy_loaded(ZarrStreamSettings* settings);

/// The document describing `settings`. Throws ZarrError (InvalidSettings)
/// when a field cannot be written (an enum out of range, a NULL array with
/// a non-zero count, a scale that is not finite).
nlohmann::json
dump(const ZarrStreamSettings& settings);

/// The document as block-style YAML that parse() reads back to the same
/// value, ending with a newline.
std::string
to_yaml(const nlohmann::json& value);

/// The document as JSON indented by two spaces (no trailing newline).
std::string
to_json(const nlohmann::json& value);

} // namespace zarr::settings_document
