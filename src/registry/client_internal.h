// Shared between the files of the registry client (not a public header).
#pragma once

#include <string>
#include <vector>

#include "trustctl/http/http_client.h"

namespace trustctl::registry::detail {

// The "code" of each entry of a registry error body ({"errors":[{"code",...}]}).
std::vector<std::string> error_codes(const std::string& body);

// registry:2 (2.8) answers a PUT with 400 MANIFEST_BLOB_UNKNOWN, BLOB_UNKNOWN or DIGEST_INVALID
// while another writer uploads the same blob at that moment.
bool is_transient_put_refusal(const http::Response& resp);

}  // namespace trustctl::registry::detail
