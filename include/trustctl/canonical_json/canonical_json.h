// Canonical JSON as TUF signs it (OLPC canonical JSON, the form python-tuf/securesystemslib and
// Notary v1 sign), and a strict parser for signed metadata.
//
// Canonical form: object keys sorted by their UTF-8 bytes, no insignificant whitespace, integers
// only, and in strings only `"` and `\` are escaped; every other byte (including control bytes,
// `<>&`, U+2028/U+2029 and non-ASCII) is written raw. A signature is always checked over
// encode(parse(file)["signed"]), never over the bytes of the file (docs/keys.md).
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "trustctl/core/result.h"

namespace trustctl::canonical_json {

struct ParseOptions {
  // Deepest nesting of arrays and objects accepted (the document itself is depth 1). TUF
  // metadata needs about 6; the rest is room for `custom` data.
  std::size_t max_depth = 64;
  // The error class of a refusal: kVerification for metadata from a registry (exit 12), kUsage
  // for a file the user gave on the command line (exit 2).
  ErrorCode error_code = ErrorCode::kVerification;
};

// Parses one JSON document strictly (RFC 8259 plus the limits of signed metadata): refuses
// non-integer numbers, integers outside int64, `-0`, duplicate object keys, invalid UTF-8 and
// lone surrogate escapes, raw control bytes in strings, a byte-order mark, nesting deeper than
// max_depth, and anything but whitespace after the value. Errors name what was wrong and the
// byte offset where it was found. Object keys of the result are sorted (nlohmann::json).
Result<nlohmann::json> parse(std::string_view text, const ParseOptions& options = {});

// Encodes `value` canonically. Fails (kUsage) on a floating-point number or a string that is
// not valid UTF-8, naming the JSON pointer of the offending value.
Result<std::string> encode(const nlohmann::json& value);
Result<std::string> encode(const nlohmann::ordered_json& value);

// The bytes a signature of a TUF/Notary envelope {"signed":{...},"signatures":[...]} covers:
// encode(envelope["signed"]). kVerification when the envelope does not have that shape.
Result<std::string> signed_bytes(const nlohmann::json& envelope);

}  // namespace trustctl::canonical_json
