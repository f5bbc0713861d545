// Compose variable interpolation: ${VAR}, $VAR, ${VAR:-default}, ${VAR-default}, ${VAR:?err},
// ${VAR?err}, ${VAR:+alt}, ${VAR+alt} and $$ for a literal '$', as docker compose does.
#pragma once

#include <string>
#include <string_view>

#include "trustctl/admission/workloads.h"
#include "trustctl/core/result.h"

namespace trustctl::admission {

// Errors (kUsage) name file:line: an unclosed ${, a bad name, ${VAR:?message} with VAR unset.
Result<std::string> interpolate(std::string_view text, const Environment& env,
                                const std::string& file, int line);

// KEY=VALUE lines; `#` comments, blank lines and `export ` are skipped, quotes removed.
// Errors name file:line.
Result<Environment> parse_env_file(std::string_view text, const std::string& file);

Environment process_environment();

// `base` (the process environment), then the `.env` file, when present, for names `base` does
// not set.
Result<Environment> compose_environment(Environment base, const std::string& env_file);

}  // namespace trustctl::admission
