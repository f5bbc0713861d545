// Non-throwing JSON field access for the metadata parsers (private to src/tuf).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "trustctl/core/result.h"

namespace trustctl::tuf::detail {

inline Error bad(std::string message) {
  return Error(ErrorCode::kVerification, std::move(message));
}

// Reads fields of one JSON object, remembering which were read so the rest can be kept.
class Fields {
 public:
  Fields(const nlohmann::json& j, std::string where) : j_(j), where_(std::move(where)) {}

  Status object() const {
    if (!j_.is_object()) return bad(where_ + " must be a JSON object");
    return {};
  }
  bool has(const std::string& key) const { return j_.is_object() && j_.contains(key); }
  void take(const std::string& key) { taken_.insert(key); }

  Result<std::string> string(const std::string& key) {
    taken_.insert(key);
    if (!has(key)) return bad(where_ + "." + key + " is missing");
    const auto& v = j_[key];
    if (!v.is_string()) return bad(where_ + "." + key + " must be a string");
    return v.get<std::string>();
  }
  Status require_string(const std::string& key) {
    auto s = string(key);
    if (!s) return s.error();
    return {};
  }
  Result<std::int64_t> integer(const std::string& key) {
    taken_.insert(key);
    if (!has(key)) return bad(where_ + "." + key + " is missing");
    const auto& v = j_[key];
    if (!v.is_number_integer()) return bad(where_ + "." + key + " must be an integer");
    if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX))
      return bad(where_ + "." + key + " is out of range");
    return v.get<std::int64_t>();
  }
  Result<bool> boolean(const std::string& key) {
    taken_.insert(key);
    if (!has(key)) return bad(where_ + "." + key + " is missing");
    const auto& v = j_[key];
    if (!v.is_boolean()) return bad(where_ + "." + key + " must be true or false");
    return v.get<bool>();
  }
  // The fields not read: kept as unrecognized.
  nlohmann::json rest() const {
    nlohmann::json out = nlohmann::json::object();
    if (!j_.is_object()) return out;
    for (const auto& [k, v] : j_.items())
      if (!taken_.count(k)) out[k] = v;
    return out;
  }

 private:
  const nlohmann::json& j_;
  std::string where_;
  std::set<std::string> taken_;
};

inline Result<std::vector<std::string>> string_array(const nlohmann::json& j,
                                                     const std::string& where) {
  if (!j.is_array()) return bad(where + " must be an array of strings");
  std::vector<std::string> out;
  for (const auto& v : j) {
    if (!v.is_string()) return bad(where + " must be an array of strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

inline std::optional<std::string> hex_decode(const std::string& hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

}  // namespace trustctl::tuf::detail
