// Text encodings of bytes: base64 (RFC 4648, standard and URL-safe) and base32.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace trustctl::encoding {

std::string base64_encode(std::string_view bytes);      // standard alphabet, padded
std::string base64url_encode(std::string_view bytes);   // URL-safe alphabet, no padding
// Decodes standard or URL-safe base64, padded or not; whitespace is not allowed.
std::optional<std::string> base64_decode(std::string_view text);
std::string base32_encode(std::string_view bytes);      // RFC 4648 alphabet, no padding

}  // namespace trustctl::encoding
