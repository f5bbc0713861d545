// The one JSON reader for bytes from outside: registry answers, AdmissionReviews and (with the
// stricter syntax of signed metadata) TUF and Notary metadata. RFC 8259 strictly: no comments,
// no trailing commas, no byte-order mark, valid UTF-8 only, no lone surrogate escapes, no raw
// control bytes in strings, nothing but whitespace after the value; nesting is bounded.
// It builds nlohmann::json values directly (several times faster than nlohmann's own lexer,
// which was the largest cost of an admission review) and never recurses deeper than the bound.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace trustctl {

struct JsonSyntax {
  // Deepest nesting of arrays and objects accepted; the document itself is depth 1.
  std::size_t max_depth = 64;
  // Signed metadata: integers only (no fraction or exponent), within int64, and no `-0`.
  // Otherwise non-negative integers within uint64 are unsigned, negative ones within int64
  // signed, and every other number a double (one that overflows a double is refused).
  bool integers_only = false;
  // Signed metadata: a key repeated in an object is refused. Otherwise the last one wins, as
  // Go's encoding/json (the API server, registries) and nlohmann read it.
  bool unique_keys = false;
};

struct JsonSyntaxError {
  std::size_t at = 0;     // byte offset where it was found
  std::string what;       // "expected ',' or '}' in object", ...
  bool too_deep = false;  // nesting beyond JsonSyntax::max_depth
};

// Parses `text` into `out`; nothing (and `out` unspecified) on an error.
std::optional<JsonSyntaxError> read_json(std::string_view text, const JsonSyntax& syntax,
                                         nlohmann::json& out);

// A document read in place, for the hot path of the webhook: one array of nodes over the text,
// no value allocated apart (a DOM allocates several per value). Same grammar and limits as
// read_json, which it parses with; object lookups are linear (the last of repeated keys wins,
// as in read_json). Values point at the document: keep it in place (not moved) while they live.
class JsonDocument {
  enum class Kind : std::uint8_t { kNull, kTrue, kFalse, kNumber, kString, kObject, kArray };
  struct Node {
    Kind kind = Kind::kNull;
    bool decoded = false;     // the string's bytes are in decoded_, not text_
    std::uint32_t begin = 0;  // of a string's or number's bytes
    std::uint32_t size = 0;
    std::uint32_t end = 0;  // index of the node after this value (and all it holds)
  };

 public:
  class Value;

  // Parses `text` (kept by the document); nothing on success.
  std::optional<JsonSyntaxError> parse(std::string text, const JsonSyntax& syntax = {});
  Value root() const;

  // A handle to one value; default-constructed (or a missing key's): exists() is false.
  class Value {
   public:
    Value() = default;
    bool exists() const { return doc_ != nullptr; }
    bool is_null() const;
    bool is_object() const;
    bool is_array() const;
    bool is_string() const;
    bool is_boolean() const;
    bool is_number() const;
    bool boolean() const;  // false unless a boolean true
    // A string's content, a number's text as written, "true"/"false"; empty otherwise.
    std::string_view text() const;
    // The member `key` of an object (the last, when repeated); a missing value otherwise.
    Value get(std::string_view key) const;
    // Calls f(Value) for each element of an array, in order; f returns bool (false stops).
    template <class F>
    bool each(F&& f) const {
      if (!is_array()) return true;
      for (std::uint32_t i = index_ + 1; i < node().end; i = doc_->nodes_[i].end)
        if (!f(Value(doc_, i))) return false;
      return true;
    }
    // The value as nlohmann::json (tests and diagnostics).
    nlohmann::json to_json() const;

   private:
    friend class JsonDocument;
    Value(const JsonDocument* doc, std::uint32_t index) : doc_(doc), index_(index) {}
    const Node& node() const { return doc_->nodes_[index_]; }
    const JsonDocument* doc_ = nullptr;
    std::uint32_t index_ = 0;
  };

 private:
  friend class Value;
  friend class TapeSink;
  std::string_view bytes(const Node& n) const;

  std::string text_;
  std::string decoded_;      // strings with escapes, decoded
  std::vector<Node> nodes_;  // objects hold key, value, key, value...
};

// Offset of the first byte of `s` that does not start a valid UTF-8 sequence (overlong forms,
// surrogates and code points above U+10FFFF are invalid), or npos.
std::size_t find_invalid_utf8(std::string_view s);

// `s` for an error message: quoted, at most 64 bytes, non-printable bytes as \xNN.
std::string quoted_for_message(std::string_view s);

}  // namespace trustctl
