// Helpers shared by the readers: yaml-cpp errors with file:line, and `<<` merge keys.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>

#include "trustctl/core/result.h"

namespace trustctl::admission {

int line_of(const YAML::Node& node);  // 1-based, 0 when unknown
Error usage_at(const std::string& file, int line, const std::string& message);
Error usage_at(const std::string& file, const YAML::Node& node, const std::string& message);

// Loads every document of `text`; a YAML syntax error is kUsage naming file:line.
Result<std::vector<YAML::Node>> load_all(std::string_view text, const std::string& file);

// Returns a deep copy of `node` with YAML 1.1 merge keys applied, as docker compose does:
// `<<: *a` or `<<: [*a, *b]` inserts the keys of the maps that the mapping does not set itself
// (earlier maps in the list win over later ones). yaml-cpp 0.7 leaves `<<` as a plain key.
Result<YAML::Node> apply_merge_keys(const YAML::Node& node, const std::string& file);

bool truthy(const YAML::Node& node);  // true/yes/on (YAML 1.1 booleans), case-insensitive

}  // namespace trustctl::admission
