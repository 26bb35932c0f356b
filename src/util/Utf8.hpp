#pragma once

#include <string>
#include <string_view>

namespace zarr {

/// Whether `text` is well-formed UTF-8 (no overlong forms, no surrogates,
/// nothing above U+10FFFF). JSON documents must be, so every caller's
/// string that ends up in metadata is checked before anything is written.
bool is_valid_utf8(std::string_view text);

/// `text` as it can go into an error message: itself when it is valid
/// UTF-8, else with every byte above 0x7F written as \xNN.
std::string printable(std::string_view text);

} // namespace zarr
