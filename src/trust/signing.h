// Helpers the trust module's publishers share (not part of the public interface).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "trustctl/core/result.h"
#include "trustctl/crypto/keys.h"
#include "trustctl/tuf/metadata.h"

namespace trustctl::trust::detail {

// Sets version and expiry, drops old signatures, signs with `key` and serialises.
template <typename T>
Result<std::string> sign_version(tuf::Metadata<T>& md, std::int64_t version, std::int64_t expires,
                                 const crypto::PrivateKey& key) {
  T& body = md.mutate();
  body.version = version;
  body.expires = expires;
  md.mutable_signatures().clear();
  TRUSTCTL_TRY(md.sign(key));
  return md.to_bytes();
}

}  // namespace trustctl::trust::detail
