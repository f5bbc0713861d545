// libFuzzer target: the strict parser and the canonical encoder on arbitrary bytes.
// Properties checked: no crash or sanitizer report; encoding a parsed value always succeeds;
// re-parsing the canonical form gives the same canonical form (unless it holds raw control
// bytes, which canonical JSON writes unescaped and RFC 8259 parsers refuse).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "trustctl/canonical_json/canonical_json.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace trustctl::canonical_json;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto value = parse(text);
  if (!value) return 0;
  auto once = encode(*value);
  if (!once) __builtin_trap();  // everything the parser accepts must be encodable
  auto again = parse(*once);
  if (!again) {
    bool has_control = false;
    for (unsigned char c : *once) has_control = has_control || c < 0x20;
    if (!has_control) __builtin_trap();
    return 0;
  }
  auto twice = encode(*again);
  if (!twice || *twice != *once) __builtin_trap();
  (void)signed_bytes(*value);
  return 0;
}
