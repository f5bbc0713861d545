// JSON that a server sent (manifests, error bodies, tag lists, token replies), parsed with a
// bound on its nesting depth, so that nothing which later walks, prints or copies the value
// recurses without limit (dump() and most walks recurse). The reader is core/json_reader.h.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "trustctl/core/json_reader.h"
#include "trustctl/core/result.h"

namespace trustctl {

// Deepest nesting of arrays and objects accepted from a server (the document itself is depth
// 1). Manifests need 4, token replies and error bodies 3.
inline constexpr int kMaxJsonDepth = 64;

// Parses `text`. Nesting deeper than `max_depth` is kIntegrity naming the limit (a server that
// sends it is hostile, whatever else it says); text that is not JSON is `malformed` (the class
// the caller gives it). Both messages start with `what`.
Result<nlohmann::json> parse_untrusted_json(std::string_view text, std::string_view what,
                                            ErrorCode malformed, int max_depth = kMaxJsonDepth);
// The same, read in place into `out` (core/json_reader.h): for a hot path that only looks.
Status parse_untrusted_json(std::string text, std::string_view what, ErrorCode malformed,
                            JsonDocument& out, int max_depth = kMaxJsonDepth);

}  // namespace trustctl
