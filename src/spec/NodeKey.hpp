#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace zarr {

// Node keys are '/'-separated paths from the store root: "" is the root,
// "a/b" a node two levels down. Every key the user gives goes through
// normalise_key, so the same node always has the same spelling.

/// `raw` without leading or trailing '/' (NULL-safe callers pass "").
std::string normalise_key(std::string_view raw);

/// "" for the root, else "key/": what a child's key starts with.
std::string key_prefix(const std::string& key);

/// The key of `name` below `parent`.
std::string child_key(const std::string& parent, const std::string& name);

/// The groups above `key`, outermost first: "a/b/c" -> {"a", "a/b"}.
std::vector<std::string> ancestor_keys(const std::string& key);

/// Whether `key` lies strictly below `ancestor` (everything lies below the
/// root "").
bool is_below(const std::string& key, const std::string& ancestor);

} // namespace zarr
