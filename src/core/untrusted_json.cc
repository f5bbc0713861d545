#include "trustctl/core/untrusted_json.h"

#include <string>

namespace trustctl {

Result<nlohmann::json> parse_untrusted_json(std::string_view text, std::string_view what,
                                            ErrorCode malformed, int max_depth) {
  using nlohmann::json;
  // The callback sees each container start at the depth of its parent (0 for the document).
  // Discarding a too-deep container keeps the parser from building it; parsing itself goes on
  // iteratively to the end, and the flag turns the result into a refusal.
  bool too_deep = false;
  json::parser_callback_t limit = [&](int depth, json::parse_event_t event, json&) {
    if ((event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) &&
        depth >= max_depth) {
      too_deep = true;
      return false;
    }
    return true;
  };
  const auto refusal = [&] {
    return Error(ErrorCode::kIntegrity, std::string(what) + ": JSON nested deeper than " +
                                            std::to_string(max_depth) + " levels");
  };
  json value;
  try {
    value = json::parse(text.begin(), text.end(), limit);
  } catch (const json::parse_error& e) {
    if (too_deep) return refusal();
    return Error(malformed,
                 std::string(what) + ": not valid JSON (at byte " + std::to_string(e.byte) + ")");
  } catch (const json::exception&) {
    if (too_deep) return refusal();
    return Error(malformed, std::string(what) + ": not valid JSON");
  }
  if (too_deep) return refusal();
  return value;
}

}  // namespace trustctl
