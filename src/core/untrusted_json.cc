#include "trustctl/core/untrusted_json.h"

#include <algorithm>
#include <string>

namespace trustctl {
namespace {

JsonSyntax syntax_of(int max_depth) {
  JsonSyntax syntax;
  syntax.max_depth = static_cast<std::size_t>(std::max(max_depth, 1));
  return syntax;
}

Error refusal(const JsonSyntaxError& error, std::string_view what, ErrorCode malformed,
              int max_depth) {
  if (error.too_deep)
    return Error(ErrorCode::kIntegrity, std::string(what) + ": JSON nested deeper than " +
                                            std::to_string(max_depth) + " levels");
  return Error(malformed, std::string(what) + ": not valid JSON (at byte " +
                              std::to_string(error.at) + ": " + error.what + ")");
}

}  // namespace

Result<nlohmann::json> parse_untrusted_json(std::string_view text, std::string_view what,
                                            ErrorCode malformed, int max_depth) {
  nlohmann::json value;
  if (auto error = read_json(text, syntax_of(max_depth), value))
    return refusal(*error, what, malformed, max_depth);
  return value;
}

Status parse_untrusted_json(std::string text, std::string_view what, ErrorCode malformed,
                            JsonDocument& out, int max_depth) {
  if (auto error = out.parse(std::move(text), syntax_of(max_depth)))
    return refusal(*error, what, malformed, max_depth);
  return {};
}

}  // namespace trustctl
