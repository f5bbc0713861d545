// libFuzzer target: core's JSON reader against nlohmann's parser on arbitrary bytes, and the
// in-place JsonDocument against the reader's DOM. Properties checked: no crash or sanitizer
// report; what nlohmann accepts (but for a byte-order mark or bytes after a NUL) the reader
// accepts with the same value, and the reader accepts nothing nlohmann refuses; the document
// accepts exactly what the reader accepts and holds the same value; the strict syntax of
// signed metadata accepts a subset.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "trustctl/core/json_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using trustctl::JsonSyntax;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  JsonSyntax general;
  general.max_depth = 1000;  // nlohmann has no depth bound of its own

  nlohmann::json ours;
  const auto error = trustctl::read_json(text, general, ours);
  const bool ours_ok = !error;
  if (error && error->too_deep) return 0;  // refused before nlohmann would be
  nlohmann::json theirs = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  const bool theirs_ok = !theirs.is_discarded();
  if (ours_ok && (!theirs_ok || ours.dump() != theirs.dump())) __builtin_trap();
  // What nlohmann accepts and the reader refuses: a leading byte-order mark (nlohmann skips it)
  // and anything after a NUL byte (nlohmann stops reading there; RFC 8259 allows no NUL).
  if (theirs_ok && !ours_ok && text.substr(0, 3) != "\xEF\xBB\xBF" &&
      text.find('\0') == std::string_view::npos)
    __builtin_trap();

  trustctl::JsonDocument document;
  const bool doc_ok = !document.parse(std::string(text), general);
  if (doc_ok != ours_ok) __builtin_trap();
  if (doc_ok && document.root().to_json().dump() != ours.dump()) __builtin_trap();

  JsonSyntax strict;
  strict.integers_only = true;
  strict.unique_keys = true;
  nlohmann::json signed_value;
  if (!trustctl::read_json(text, strict, signed_value) && !ours_ok) __builtin_trap();
  return 0;
}
