// The verified-state cache (docs/storage-format.md, "The verified-state cache"): what the last
// full verification of a repository concluded, kept in its trust-dir folder and keyed by the
// trust manifest's digest, so that reading an unchanged repository costs one HEAD and a file
// read instead of a re-verification. It only ever shortcuts to the result a full verification
// gives; deleting it changes nothing but the time taken.
#pragma once

#include <optional>
#include <string>

#include "trustctl/core/result.h"
#include "trustctl/trust/verifier.h"
#include "trustctl/trust/view.h"
#include "trustctl/truststore/trust_store.h"

namespace trustctl::trust {

// The repository's current trust data as verify and inspect read it: the view a full
// verify_store would give. Taken from the cache only when the store's head is the digest last
// verified here, the trusted metadata in the trust dir is byte for byte what that verification
// left, the root origin and --trust-repository alias are the same, and every role and signer
// is unexpired for longer than the expiry-warning period now (so no expiry and no warning can
// differ). Otherwise verify_store in full, and the result remembered when it is cacheable (no
// warnings, no signer whose metadata failed, no waiting signer versions).
Result<TrustedView> current_view(const Verifier& verifier, truststore::TrustStore& store);

// The cache's bytes for a verified view (exposed for tests), and the view they hold when they
// match `key` (nullopt when they do not, or are malformed).
struct VerifiedKey {
  std::string head;             // the trust manifest's digest
  std::string metadata_digest;  // sha256 of the trusted root.json and timestamp.json
  std::string repository_alias;
  RootOrigin origin = RootOrigin::kTofu;
};
std::optional<std::string> verified_cache_text(const VerifiedKey& key, const TrustedView& view);
std::optional<TrustedView> read_verified_cache(std::string_view text, const VerifiedKey& key);

}  // namespace trustctl::trust
