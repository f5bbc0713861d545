#include "trustctl/core/json_reader.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <vector>

namespace trustctl {
namespace {

constexpr std::size_t kHardMaxDepth = 1000;  // keeps the recursion far from the stack limit

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is invalid.
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

// A byte a string may hold as it is, without a look at what follows: printable ASCII other
// than the quote and the backslash.
constexpr bool plain(unsigned char c) { return c >= 0x20 && c < 0x80 && c != '"' && c != '\\'; }

// A number as the reader found it: its text, and its value as a DOM holds it.
struct Number {
  std::string_view text;
  enum class Kind { kSigned, kUnsigned, kFloat } kind = Kind::kSigned;
  std::int64_t i = 0;
  std::uint64_t u = 0;
  double d = 0;
};

// The grammar, once, for both results: Sink is told the values in document order (SAX). Sink
// calls return false to refuse (a repeated key under unique_keys).
template <class Sink>
class Reader {
 public:
  Reader(std::string_view text, const JsonSyntax& syntax, Sink& sink)
      : s_(text),
        syntax_(syntax),
        max_depth_(std::min(syntax.max_depth, kHardMaxDepth)),
        sink_(sink) {}

  std::optional<JsonSyntaxError> run() {
    if (s_.substr(0, 3) == "\xEF\xBB\xBF") return fail(0, "byte-order mark before the JSON value");
    skip_ws();
    if (pos_ >= s_.size()) return fail(pos_, "empty document: expected a JSON value");
    if (!value(0)) return std::move(error_);
    skip_ws();
    if (pos_ != s_.size()) return fail(pos_, "trailing data after the JSON value");
    return std::nullopt;
  }

 private:
  // Records the first error; every parsing step returns false once there is one.
  bool failed(std::size_t at, std::string what, bool too_deep = false) {
    error_ = JsonSyntaxError{at, std::move(what), too_deep};
    return false;
  }
  std::optional<JsonSyntaxError> fail(std::size_t at, std::string what) {
    failed(at, std::move(what));
    return std::move(error_);
  }

  void skip_ws() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }

  bool literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word)
      return failed(pos_, "unexpected character " + quoted_for_message(s_.substr(pos_, 1)));
    pos_ += word.size();
    return true;
  }

  bool value(std::size_t depth) {
    if (pos_ >= s_.size()) return failed(pos_, "unexpected end of input: expected a value");
    const char c = s_[pos_];
    switch (c) {
      case '{':
      case '[':
        if (depth + 1 > max_depth_)
          return failed(pos_, "nesting deeper than " + std::to_string(max_depth_) + " levels",
                        true);
        return c == '{' ? object(depth + 1) : array(depth + 1);
      case '"': {
        bool escaped = false;
        std::string_view text;
        if (!string(text, escaped)) return false;
        sink_.string(text, escaped);
        return true;
      }
      case 't':
        if (!literal("true")) return false;
        sink_.boolean(true);
        return true;
      case 'f':
        if (!literal("false")) return false;
        sink_.boolean(false);
        return true;
      case 'n':
        if (!literal("null")) return false;
        sink_.null();
        return true;
      default:
        if (c == '-' || (c >= '0' && c <= '9')) return number();
        return failed(pos_, "unexpected character " + quoted_for_message(s_.substr(pos_, 1)));
    }
  }

  bool object(std::size_t depth) {
    sink_.begin_object();
    ++pos_;  // '{'
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      sink_.end();
      return true;
    }
    for (;;) {
      skip_ws();
      if (pos_ >= s_.size() || s_[pos_] != '"')
        return failed(pos_, "expected a string key in object");
      const std::size_t key_at = pos_;
      bool escaped = false;
      std::string_view key;
      if (!string(key, escaped)) return false;
      skip_ws();
      if (pos_ >= s_.size() || s_[pos_] != ':')
        return failed(pos_, "expected ':' after object key");
      ++pos_;
      skip_ws();
      if (!sink_.key(key, escaped, syntax_.unique_keys))
        return failed(key_at, "duplicate object key " + quoted_for_message(key));
      if (!value(depth)) return false;
      skip_ws();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == '}') {
        ++pos_;
        sink_.end();
        return true;
      }
      return failed(pos_, "expected ',' or '}' in object");
    }
  }

  bool array(std::size_t depth) {
    sink_.begin_array();
    ++pos_;  // '['
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      sink_.end();
      return true;
    }
    for (;;) {
      skip_ws();
      if (!value(depth)) return false;
      skip_ws();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == ']') {
        ++pos_;
        sink_.end();
        return true;
      }
      return failed(pos_, "expected ',' or ']' in array");
    }
  }

  bool digits() {
    const std::size_t from = pos_;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    return pos_ > from;
  }

  bool number() {
    const std::size_t start = pos_;
    const bool negative = s_[pos_] == '-';
    if (negative) ++pos_;
    const std::size_t int_at = pos_;
    if (!digits()) return failed(start, "malformed number");
    if (pos_ - int_at > 1 && s_[int_at] == '0') return failed(start, "number with a leading zero");
    bool fraction = false;
    if (pos_ < s_.size() && s_[pos_] == '.') {
      fraction = true;
      ++pos_;
      if (!digits()) return failed(start, "malformed number");
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      fraction = true;
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (!digits()) return failed(start, "malformed number");
    }
    Number n;
    n.text = s_.substr(start, pos_ - start);
    if (fraction) {
      if (syntax_.integers_only)
        return failed(start, "non-integer number (only integers can be signed in canonical JSON)");
      if (!floating(n, start)) return false;
      sink_.number(n);
      return true;
    }
    std::uint64_t magnitude = 0;
    const auto [end, ec] = std::from_chars(s_.data() + int_at, s_.data() + pos_, magnitude);
    (void)end;
    const bool overflow = ec != std::errc();
    const auto max_positive = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    const bool fits_int64 = !overflow && magnitude <= max_positive + (negative ? 1 : 0);
    if (syntax_.integers_only) {
      if (!fits_int64) return failed(start, "integer out of range (must fit in 64-bit signed)");
      if (negative && magnitude == 0) return failed(start, "negative zero");
    }
    if (negative) {
      if (!fits_int64) {
        if (!floating(n, start)) return false;
      } else {
        n.i = magnitude == max_positive + 1 ? std::numeric_limits<std::int64_t>::min()
                                            : -static_cast<std::int64_t>(magnitude);
      }
    } else if (syntax_.integers_only) {
      n.i = static_cast<std::int64_t>(magnitude);
    } else if (overflow) {
      if (!floating(n, start)) return false;
    } else {
      n.kind = Number::Kind::kUnsigned;
      n.u = magnitude;
    }
    sink_.number(n);
    return true;
  }

  // The nearest double; one beyond a double's range is refused, one too small for it reads as
  // zero (as strtod reads it).
  bool floating(Number& n, std::size_t start) {
    n.kind = Number::Kind::kFloat;
    const auto [end, ec] = std::from_chars(n.text.data(), n.text.data() + n.text.size(), n.d);
    (void)end;
    if (ec == std::errc::result_out_of_range) {
      const std::string copy(n.text);
      n.d = std::strtod(copy.c_str(), nullptr);
      if (std::isinf(n.d)) return failed(start, "number out of range");
    } else if (ec != std::errc()) {
      return failed(start, "malformed number");
    }
    return true;
  }

  bool hex4(std::uint32_t& cp) {
    if (pos_ + 4 > s_.size()) return failed(pos_, "truncated \\u escape");
    cp = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      const char h = s_[pos_ + k];
      std::uint32_t v;
      if (h >= '0' && h <= '9')
        v = static_cast<std::uint32_t>(h - '0');
      else if (h >= 'a' && h <= 'f')
        v = static_cast<std::uint32_t>(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F')
        v = static_cast<std::uint32_t>(h - 'A' + 10);
      else
        return failed(pos_, "malformed \\u escape");
      cp = cp << 4 | v;
    }
    pos_ += 4;
    return true;
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

  bool escape(std::string& out) {
    const std::size_t at = pos_;
    if (++pos_ >= s_.size()) return failed(at, "unterminated escape");
    switch (s_[pos_++]) {
      case '"':
        out.push_back('"');
        return true;
      case '\\':
        out.push_back('\\');
        return true;
      case '/':
        out.push_back('/');
        return true;
      case 'b':
        out.push_back('\b');
        return true;
      case 'f':
        out.push_back('\f');
        return true;
      case 'n':
        out.push_back('\n');
        return true;
      case 'r':
        out.push_back('\r');
        return true;
      case 't':
        out.push_back('\t');
        return true;
      case 'u': {
        std::uint32_t cp = 0;
        if (!hex4(cp)) return false;
        if (cp >= 0xDC00 && cp <= 0xDFFF)
          return failed(at, "lone low surrogate escape (invalid UTF-16)");
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          if (s_.substr(pos_, 2) != "\\u")
            return failed(at, "high surrogate escape without a low surrogate");
          pos_ += 2;
          std::uint32_t low = 0;
          if (!hex4(low)) return false;
          if (low < 0xDC00 || low > 0xDFFF)
            return failed(at, "high surrogate escape without a low surrogate");
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        append_utf8(out, cp);
        return true;
      }
      default:
        return failed(at, "unknown escape " + quoted_for_message(s_.substr(at, 2)));
    }
  }

  // A string's content: a view of the text itself when it has no escapes (`escaped` false),
  // else of the decoded copy in scratch_, valid until the next string.
  bool string(std::string_view& out, bool& escaped) {
    const std::size_t start = pos_;
    ++pos_;  // the opening quote
    // Plain bytes and valid UTF-8 up to the closing quote: most strings are nothing else.
    for (;;) {
      while (pos_ < s_.size() && plain(static_cast<unsigned char>(s_[pos_]))) ++pos_;
      if (pos_ >= s_.size()) return failed(start, "unterminated string");
      const auto c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        out = s_.substr(start + 1, pos_ - start - 1);
        escaped = false;
        ++pos_;
        return true;
      }
      if (c == '\\') break;
      if (c < 0x20) return failed(pos_, "raw control character in string (must be escaped)");
      const std::size_t n = utf8_sequence_length(s_, pos_);
      if (n == 0) return failed(pos_, "invalid UTF-8 in string");
      pos_ += n;
    }
    scratch_.assign(s_.data() + start + 1, pos_ - start - 1);
    for (;;) {
      const std::size_t run = pos_;
      while (pos_ < s_.size() && plain(static_cast<unsigned char>(s_[pos_]))) ++pos_;
      scratch_.append(s_.data() + run, pos_ - run);
      if (pos_ >= s_.size()) return failed(start, "unterminated string");
      const auto c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        out = scratch_;
        escaped = true;
        ++pos_;
        return true;
      }
      if (c == '\\') {
        if (!escape(scratch_)) return false;
        continue;
      }
      if (c < 0x20) return failed(pos_, "raw control character in string (must be escaped)");
      const std::size_t n = utf8_sequence_length(s_, pos_);
      if (n == 0) return failed(pos_, "invalid UTF-8 in string");
      scratch_.append(s_.data() + pos_, n);
      pos_ += n;
    }
  }

  std::string_view s_;
  const JsonSyntax& syntax_;
  std::size_t max_depth_;
  Sink& sink_;
  std::size_t pos_ = 0;
  std::string scratch_;
  std::optional<JsonSyntaxError> error_;
};

// Builds an nlohmann::json value.
class DomSink {
 public:
  explicit DomSink(nlohmann::json& root) : root_(root) {}

  void begin_object() { open(place() = nlohmann::json::object()); }
  void begin_array() { open(place() = nlohmann::json::array()); }
  void end() { open_.pop_back(); }
  bool key(std::string_view key, bool, bool unique) {
    auto& members = open_.back()->get_ref<nlohmann::json::object_t&>();
    auto [slot, inserted] = members.try_emplace(std::string(key));
    if (!inserted) {
      if (unique) return false;
      slot->second = nullptr;  // the last one wins
    }
    slot_ = &slot->second;
    return true;
  }
  void string(std::string_view text, bool) { place() = std::string(text); }
  void boolean(bool b) { place() = b; }
  void null() { place() = nullptr; }
  void number(const Number& n) {
    switch (n.kind) {
      case Number::Kind::kSigned:
        place() = n.i;
        break;
      case Number::Kind::kUnsigned:
        place() = n.u;
        break;
      case Number::Kind::kFloat:
        place() = n.d;
        break;
    }
  }

 private:
  // Where the next value goes: the root, a new element of the open array, or the slot of the
  // key just read. Pointers to open containers stay valid: nothing is added to an array while
  // one of its elements is open.
  nlohmann::json& place() {
    if (open_.empty()) return root_;
    if (nlohmann::json* top = open_.back(); top->is_array()) {
      auto& items = top->get_ref<nlohmann::json::array_t&>();
      items.emplace_back();
      return items.back();
    }
    return *slot_;
  }
  void open(nlohmann::json& container) { open_.push_back(&container); }

  nlohmann::json& root_;
  std::vector<nlohmann::json*> open_;
  nlohmann::json* slot_ = nullptr;
};

}  // namespace

// Appends nodes to a JsonDocument.
class TapeSink {
 public:
  explicit TapeSink(JsonDocument& doc) : doc_(doc) {}
  using Kind = JsonDocument::Kind;

  void begin_object() { open(Kind::kObject); }
  void begin_array() { open(Kind::kArray); }
  void end() {
    doc_.nodes_[open_.back()].end = static_cast<std::uint32_t>(doc_.nodes_.size());
    open_.pop_back();
  }
  bool key(std::string_view key, bool escaped, bool unique) {
    if (unique) {  // signed metadata's syntax: a linear look at the keys so far
      const auto& nodes = doc_.nodes_;
      for (std::size_t i = open_.back() + 1; i < nodes.size(); i = nodes[i + 1].end)
        if (doc_.bytes(nodes[i]) == key) return false;
    }
    string(key, escaped);
    return true;
  }
  void string(std::string_view text, bool escaped) {
    if (!escaped) {
      add(Kind::kString, offset(text), text.size(), false);
    } else {
      add(Kind::kString, doc_.decoded_.size(), text.size(), true);
      doc_.decoded_.append(text);
    }
  }
  void boolean(bool b) { add(b ? Kind::kTrue : Kind::kFalse, 0, 0, false); }
  void null() { add(Kind::kNull, 0, 0, false); }
  void number(const Number& n) { add(Kind::kNumber, offset(n.text), n.text.size(), false); }

 private:
  std::size_t offset(std::string_view inside) const {
    return static_cast<std::size_t>(inside.data() - doc_.text_.data());
  }
  void add(Kind kind, std::size_t begin, std::size_t size, bool decoded) {
    JsonDocument::Node n;
    n.kind = kind;
    n.decoded = decoded;
    n.begin = static_cast<std::uint32_t>(begin);
    n.size = static_cast<std::uint32_t>(size);
    n.end = static_cast<std::uint32_t>(doc_.nodes_.size() + 1);
    doc_.nodes_.push_back(n);
  }
  void open(Kind kind) {
    open_.push_back(static_cast<std::uint32_t>(doc_.nodes_.size()));
    add(kind, 0, 0, false);
  }

  JsonDocument& doc_;
  std::vector<std::uint32_t> open_;
};

std::optional<JsonSyntaxError> JsonDocument::parse(std::string text, const JsonSyntax& syntax) {
  text_ = std::move(text);
  decoded_.clear();
  nodes_.clear();
  if (text_.size() > std::numeric_limits<std::uint32_t>::max() / 2)
    return JsonSyntaxError{0, "document too large to read in place"};
  nodes_.reserve(text_.size() / 8 + 4);
  TapeSink sink(*this);
  auto error = Reader<TapeSink>(text_, syntax, sink).run();
  if (error) nodes_.clear();
  return error;
}

JsonDocument::Value JsonDocument::root() const { return nodes_.empty() ? Value() : Value(this, 0); }

std::string_view JsonDocument::bytes(const Node& n) const {
  return std::string_view(n.decoded ? decoded_ : text_).substr(n.begin, n.size);
}

bool JsonDocument::Value::is_null() const { return doc_ && node().kind == Kind::kNull; }
bool JsonDocument::Value::is_object() const { return doc_ && node().kind == Kind::kObject; }
bool JsonDocument::Value::is_array() const { return doc_ && node().kind == Kind::kArray; }
bool JsonDocument::Value::is_string() const { return doc_ && node().kind == Kind::kString; }
bool JsonDocument::Value::is_number() const { return doc_ && node().kind == Kind::kNumber; }
bool JsonDocument::Value::is_boolean() const {
  return doc_ && (node().kind == Kind::kTrue || node().kind == Kind::kFalse);
}
bool JsonDocument::Value::boolean() const { return doc_ && node().kind == Kind::kTrue; }

std::string_view JsonDocument::Value::text() const {
  if (!doc_) return {};
  switch (node().kind) {
    case Kind::kString:
    case Kind::kNumber:
      return doc_->bytes(node());
    case Kind::kTrue:
      return "true";
    case Kind::kFalse:
      return "false";
    default:
      return {};
  }
}

JsonDocument::Value JsonDocument::Value::get(std::string_view key) const {
  if (!is_object()) return {};
  Value found;
  for (std::uint32_t i = index_ + 1; i < node().end; i = doc_->nodes_[i + 1].end)
    if (doc_->bytes(doc_->nodes_[i]) == key) found = Value(doc_, i + 1);
  return found;
}

nlohmann::json JsonDocument::Value::to_json() const {
  if (!doc_) return nullptr;
  const Node& n = node();
  switch (n.kind) {
    case Kind::kNull:
      return nullptr;
    case Kind::kTrue:
      return true;
    case Kind::kFalse:
      return false;
    case Kind::kString:
      return std::string(text());
    case Kind::kNumber: {
      nlohmann::json out;
      read_json(text(), {}, out);  // a number the reader accepted once
      return out;
    }
    case Kind::kArray: {
      nlohmann::json out = nlohmann::json::array();
      each([&](const Value& v) {
        out.push_back(v.to_json());
        return true;
      });
      return out;
    }
    case Kind::kObject: {
      nlohmann::json out = nlohmann::json::object();
      for (std::uint32_t i = index_ + 1; i < n.end; i = doc_->nodes_[i + 1].end)
        out[std::string(doc_->bytes(doc_->nodes_[i]))] = Value(doc_, i + 1).to_json();
      return out;
    }
  }
  return nullptr;
}

std::optional<JsonSyntaxError> read_json(std::string_view text, const JsonSyntax& syntax,
                                         nlohmann::json& out) {
  DomSink sink(out);
  return Reader<DomSink>(text, syntax, sink).run();
}

std::size_t find_invalid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_sequence_length(s, i);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

std::string quoted_for_message(std::string_view s) {
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

}  // namespace trustctl
