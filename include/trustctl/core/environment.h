// Every environment variable trustctl reads, in one table (printed by `trustctl env`).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace trustctl {

struct EnvVar {
  std::string_view name;
  std::string_view description;
  bool sensitive;  // its value is never printed
};

const std::vector<EnvVar>& known_environment();

// getenv for a variable that must be listed in known_environment(); empty counts as unset.
std::optional<std::string> env_value(std::string_view name);

}  // namespace trustctl
