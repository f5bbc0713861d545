// PEM (RFC 7468) with the RFC 1421-style headers notary and docker write into key files
// ("role: targets", "gun: localhost:5000/app"). OpenSSL's PEM reader refuses such headers on
// keys, so trustctl reads and writes PEM itself and hands OpenSSL the DER.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "trustctl/core/result.h"
#include "trustctl/crypto/secret.h"

namespace trustctl::crypto {

struct PemBlock {
  std::string label;  // "PUBLIC KEY", "ENCRYPTED PRIVATE KEY", ...
  std::vector<std::pair<std::string, std::string>> headers;  // in file order
  SecretBytes der;  // the decoded body (wiped when freed: it may be an unencrypted key)

  // The value of header `name` (case-insensitive), or "" when absent.
  std::string header(std::string_view name) const;
};

// Every PEM block in `text`, in order. Text outside blocks is ignored; a malformed block
// (missing END line, bad base64, a header line without ':') is a kUsage error.
Result<std::vector<PemBlock>> pem_decode_all(std::string_view text);

// The one PEM block in `text`; kUsage when there is none or more than one.
Result<PemBlock> pem_decode(std::string_view text);

// BEGIN line, "Name: value" headers and a blank line when there are any, base64 in 64-column
// lines, END line, trailing newline.
std::string pem_encode(std::string_view label, std::string_view der,
                       const std::vector<std::pair<std::string, std::string>>& headers = {});

}  // namespace trustctl::crypto
