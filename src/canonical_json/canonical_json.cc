#include "trustctl/canonical_json/canonical_json.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "trustctl/core/json_reader.h"

namespace trustctl::canonical_json {
namespace {

constexpr std::size_t kHardMaxDepth = 1000;  // keeps the recursion far from the stack limit

// Appends `s` as a canonical JSON string: only '"' and '\' are escaped.
Status encode_string(std::string_view s, std::string& out, const std::string& where) {
  if (std::size_t bad = find_invalid_utf8(s); bad != std::string_view::npos) {
    return Error(ErrorCode::kUsage, "cannot encode canonical JSON: invalid UTF-8 at byte " +
                                        std::to_string(bad) + " of the string at " +
                                        (where.empty() ? "/" : where));
  }
  out.push_back('"');
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return {};
}

std::string pointer_token(std::string_view key) {
  std::string t;
  for (char c : key) {
    if (c == '~') {
      t += "~0";
    } else if (c == '/') {
      t += "~1";
    } else {
      t.push_back(c);
    }
  }
  return t;
}

template <typename Json>
Status encode_value(const Json& v, std::string& out, std::string& where, std::size_t depth) {
  if (depth > kHardMaxDepth) {
    return Error(ErrorCode::kUsage, "cannot encode canonical JSON: nesting too deep at " + where);
  }
  switch (v.type()) {
    case nlohmann::json::value_t::null:
      out += "null";
      return {};
    case nlohmann::json::value_t::boolean:
      out += v.template get<bool>() ? "true" : "false";
      return {};
    case nlohmann::json::value_t::number_integer:
      out += std::to_string(v.template get<std::int64_t>());
      return {};
    case nlohmann::json::value_t::number_unsigned:
      out += std::to_string(v.template get<std::uint64_t>());
      return {};
    case nlohmann::json::value_t::number_float:
      return Error(ErrorCode::kUsage, "cannot encode canonical JSON: non-integer number at " +
                                          (where.empty() ? std::string("/") : where) +
                                          " (only integers can be signed)");
    case nlohmann::json::value_t::string:
      return encode_string(v.template get_ref<const std::string&>(), out, where);
    case nlohmann::json::value_t::array: {
      out.push_back('[');
      std::size_t i = 0;
      for (const auto& item : v) {
        if (i) out.push_back(',');
        const std::size_t mark = where.size();
        where += "/" + std::to_string(i++);
        TRUSTCTL_TRY(encode_value(item, out, where, depth + 1));
        where.resize(mark);
      }
      out.push_back(']');
      return {};
    }
    case nlohmann::json::value_t::object: {
      std::vector<std::pair<std::string_view, const Json*>> members;
      members.reserve(v.size());
      for (auto it = v.begin(); it != v.end(); ++it) members.emplace_back(it.key(), &it.value());
      // std::string_view compares bytes as unsigned char, which is UTF-8 code point order.
      std::sort(members.begin(), members.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      out.push_back('{');
      for (std::size_t i = 0; i < members.size(); ++i) {
        if (i) out.push_back(',');
        if (i && members[i].first == members[i - 1].first) {
          return Error(ErrorCode::kUsage, "cannot encode canonical JSON: duplicate key " +
                                              quoted_for_message(members[i].first) + " at " +
                                              where);
        }
        const std::size_t mark = where.size();
        where += "/" + pointer_token(members[i].first);
        TRUSTCTL_TRY(encode_string(members[i].first, out, where));
        out.push_back(':');
        TRUSTCTL_TRY(encode_value(*members[i].second, out, where, depth + 1));
        where.resize(mark);
      }
      out.push_back('}');
      return {};
    }
    case nlohmann::json::value_t::binary:
    case nlohmann::json::value_t::discarded:
      break;
  }
  return Error(ErrorCode::kUsage, "cannot encode canonical JSON: unsupported value at " +
                                      (where.empty() ? std::string("/") : where));
}

template <typename Json>
Result<std::string> encode_any(const Json& value) {
  std::string out;
  std::string where;
  TRUSTCTL_TRY(encode_value(value, out, where, 0));
  return out;
}

}  // namespace

Result<nlohmann::json> parse(std::string_view text, const ParseOptions& options) {
  JsonSyntax syntax;
  syntax.max_depth = options.max_depth;
  syntax.integers_only = true;
  syntax.unique_keys = true;
  nlohmann::json value;
  if (auto error = read_json(text, syntax, value))
    return Error(options.error_code,
                 "invalid JSON at byte " + std::to_string(error->at) + ": " + error->what);
  return value;
}

Result<std::string> encode(const nlohmann::json& value) { return encode_any(value); }
Result<std::string> encode(const nlohmann::ordered_json& value) { return encode_any(value); }

Result<std::string> signed_bytes(const nlohmann::json& envelope) {
  if (!envelope.is_object()) {
    return Error(ErrorCode::kVerification, "metadata is not a JSON object");
  }
  auto it = envelope.find("signed");
  if (it == envelope.end() || !it->is_object()) {
    return Error(ErrorCode::kVerification, "metadata has no \"signed\" object");
  }
  auto sigs = envelope.find("signatures");
  if (sigs == envelope.end() || !sigs->is_array()) {
    return Error(ErrorCode::kVerification, "metadata has no \"signatures\" array");
  }
  auto bytes = encode(*it);
  if (!bytes) return Error(ErrorCode::kVerification, bytes.error().message());
  return bytes;
}

}  // namespace trustctl::canonical_json
