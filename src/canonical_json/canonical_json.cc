#include "trustctl/canonical_json/canonical_json.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

namespace trustctl::canonical_json {
namespace {

constexpr std::size_t kHardMaxDepth = 1000;  // keeps the recursion far from the stack limit

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is invalid (overlong forms,
// surrogates and code points above U+10FFFF are invalid).
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  std::size_t len = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < len; ++k) {
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  }
  return len;
}

// Offset of the first invalid UTF-8 byte, or npos.
std::size_t find_invalid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = utf8_sequence_length(s, i);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

// A short, printable rendering of user data for error messages.
std::string printable(std::string_view s) {
  std::string out = "\"";
  std::size_t shown = 0;
  for (unsigned char c : s) {
    if (++shown > 64) {
      out += "...";
      break;
    }
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out + "\"";
}

class Parser {
 public:
  Parser(std::string_view text, const ParseOptions& options)
      : s_(text),
        max_depth_(std::min(options.max_depth, kHardMaxDepth)),
        code_(options.error_code) {}

  Result<nlohmann::json> run() {
    if (s_.size() >= 3 && s_.substr(0, 3) == "\xEF\xBB\xBF") {
      return fail(0, "byte-order mark before the JSON value");
    }
    skip_ws();
    if (pos_ >= s_.size()) return fail(pos_, "empty document: expected a JSON value");
    nlohmann::json value;
    TRUSTCTL_TRY(parse_value(value, 0));
    skip_ws();
    if (pos_ != s_.size()) return fail(pos_, "trailing data after the JSON value");
    return value;
  }

 private:
  Error fail(std::size_t at, const std::string& what) const {
    return Error(code_, "invalid JSON at byte " + std::to_string(at) + ": " + what);
  }

  void skip_ws() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) {
      ++pos_;
    }
  }

  Status expect_literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) {
      return fail(pos_, "unexpected character " + printable(s_.substr(pos_, 1)));
    }
    pos_ += word.size();
    return {};
  }

  Status parse_value(nlohmann::json& out, std::size_t depth) {
    if (pos_ >= s_.size()) return fail(pos_, "unexpected end of input: expected a value");
    const char c = s_[pos_];
    switch (c) {
      case '{':
      case '[':
        if (depth + 1 > max_depth_) {
          return fail(pos_, "nesting deeper than " + std::to_string(max_depth_) + " levels");
        }
        return c == '{' ? parse_object(out, depth + 1) : parse_array(out, depth + 1);
      case '"': {
        std::string str;
        TRUSTCTL_TRY(parse_string(str));
        out = std::move(str);
        return {};
      }
      case 't':
        TRUSTCTL_TRY(expect_literal("true"));
        out = true;
        return {};
      case 'f':
        TRUSTCTL_TRY(expect_literal("false"));
        out = false;
        return {};
      case 'n':
        TRUSTCTL_TRY(expect_literal("null"));
        out = nullptr;
        return {};
      default:
        if (c == '-' || (c >= '0' && c <= '9')) return parse_number(out);
        return fail(pos_, "unexpected character " + printable(s_.substr(pos_, 1)));
    }
  }

  Status parse_object(nlohmann::json& out, std::size_t depth) {
    out = nlohmann::json::object();
    ++pos_;  // '{'
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      return {};
    }
    for (;;) {
      skip_ws();
      if (pos_ >= s_.size() || s_[pos_] != '"') {
        return fail(pos_, "expected a string key in object");
      }
      const std::size_t key_at = pos_;
      std::string key;
      TRUSTCTL_TRY(parse_string(key));
      skip_ws();
      if (pos_ >= s_.size() || s_[pos_] != ':') return fail(pos_, "expected ':' after object key");
      ++pos_;
      skip_ws();
      nlohmann::json value;
      TRUSTCTL_TRY(parse_value(value, depth));
      auto& obj = out.get_ref<nlohmann::json::object_t&>();
      if (obj.find(key) != obj.end()) return fail(key_at, "duplicate object key " + printable(key));
      obj.emplace(std::move(key), std::move(value));
      skip_ws();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == '}') {
        ++pos_;
        return {};
      }
      return fail(pos_, "expected ',' or '}' in object");
    }
  }

  Status parse_array(nlohmann::json& out, std::size_t depth) {
    out = nlohmann::json::array();
    ++pos_;  // '['
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      return {};
    }
    for (;;) {
      skip_ws();
      nlohmann::json value;
      TRUSTCTL_TRY(parse_value(value, depth));
      out.push_back(std::move(value));
      skip_ws();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == ']') {
        ++pos_;
        return {};
      }
      return fail(pos_, "expected ',' or ']' in array");
    }
  }

  Status parse_number(nlohmann::json& out) {
    const std::size_t start = pos_;
    bool negative = false;
    if (s_[pos_] == '-') {
      negative = true;
      ++pos_;
    }
    if (pos_ >= s_.size() || s_[pos_] < '0' || s_[pos_] > '9') {
      return fail(start, "malformed number");
    }
    const std::size_t digits_at = pos_;
    std::uint64_t magnitude = 0;
    bool overflow = false;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
      const auto d = static_cast<std::uint64_t>(s_[pos_] - '0');
      if (magnitude > (std::numeric_limits<std::uint64_t>::max() - d) / 10) overflow = true;
      magnitude = magnitude * 10 + d;
      ++pos_;
    }
    if (pos_ - digits_at > 1 && s_[digits_at] == '0') {
      return fail(start, "number with a leading zero");
    }
    if (pos_ < s_.size() && (s_[pos_] == '.' || s_[pos_] == 'e' || s_[pos_] == 'E')) {
      return fail(start, "non-integer number (only integers can be signed in canonical JSON)");
    }
    const auto max_positive = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (overflow || magnitude > max_positive + (negative ? 1 : 0)) {
      return fail(start, "integer out of range (must fit in 64-bit signed)");
    }
    if (negative && magnitude == 0) return fail(start, "negative zero");
    if (negative) {
      out = magnitude == max_positive + 1 ? std::numeric_limits<std::int64_t>::min()
                                          : -static_cast<std::int64_t>(magnitude);
    } else {
      out = static_cast<std::int64_t>(magnitude);
    }
    return {};
  }

  Status parse_hex4(std::uint32_t& cp) {
    if (pos_ + 4 > s_.size()) return fail(pos_, "truncated \\u escape");
    cp = 0;
    for (int k = 0; k < 4; ++k) {
      const char h = s_[pos_ + static_cast<std::size_t>(k)];
      std::uint32_t v;
      if (h >= '0' && h <= '9') {
        v = static_cast<std::uint32_t>(h - '0');
      } else if (h >= 'a' && h <= 'f') {
        v = static_cast<std::uint32_t>(h - 'a' + 10);
      } else if (h >= 'A' && h <= 'F') {
        v = static_cast<std::uint32_t>(h - 'A' + 10);
      } else {
        return fail(pos_, "malformed \\u escape");
      }
      cp = cp << 4 | v;
    }
    pos_ += 4;
    return {};
  }

  static void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  Status parse_string(std::string& out) {
    const std::size_t start = pos_;
    ++pos_;  // opening quote
    for (;;) {
      if (pos_ >= s_.size()) return fail(start, "unterminated string");
      const auto c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        ++pos_;
        return {};
      }
      if (c < 0x20) return fail(pos_, "raw control character in string (must be escaped)");
      if (c == '\\') {
        const std::size_t esc_at = pos_;
        if (++pos_ >= s_.size()) return fail(esc_at, "unterminated escape");
        const char e = s_[pos_++];
        switch (e) {
          case '"':
            out.push_back('"');
            break;
          case '\\':
            out.push_back('\\');
            break;
          case '/':
            out.push_back('/');
            break;
          case 'b':
            out.push_back('\b');
            break;
          case 'f':
            out.push_back('\f');
            break;
          case 'n':
            out.push_back('\n');
            break;
          case 'r':
            out.push_back('\r');
            break;
          case 't':
            out.push_back('\t');
            break;
          case 'u': {
            std::uint32_t cp = 0;
            TRUSTCTL_TRY(parse_hex4(cp));
            if (cp >= 0xDC00 && cp <= 0xDFFF) {
              return fail(esc_at, "lone low surrogate escape (invalid UTF-16)");
            }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
              if (s_.substr(pos_, 2) != "\\u") {
                return fail(esc_at, "high surrogate escape without a low surrogate");
              }
              pos_ += 2;
              std::uint32_t low = 0;
              TRUSTCTL_TRY(parse_hex4(low));
              if (low < 0xDC00 || low > 0xDFFF) {
                return fail(esc_at, "high surrogate escape without a low surrogate");
              }
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            }
            append_utf8(out, cp);
            break;
          }
          default:
            return fail(esc_at, "unknown escape " + printable(s_.substr(esc_at, 2)));
        }
        continue;
      }
      const std::size_t n = utf8_sequence_length(s_, pos_);
      if (n == 0) return fail(pos_, "invalid UTF-8 in string");
      out.append(s_.substr(pos_, n));
      pos_ += n;
    }
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  std::size_t max_depth_;
  ErrorCode code_;
};

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
                                              printable(members[i].first) + " at " + where);
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
  return Parser(text, options).run();
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
