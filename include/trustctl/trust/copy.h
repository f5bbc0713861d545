// Copying a repository's trust data as it is (`trustctl copy`, docs/image-transfer.md): the
// files of a verified state, without the signers' waiting versions, written unchanged to another
// store, so that whoever trusts the root verifies the copy without anything being re-signed (at
// another repository path: with the explicit --trust-repository mapping).
#pragma once

#include <string>

#include "trustctl/core/result.h"
#include "trustctl/registry/reference.h"
#include "trustctl/trust/store_view.h"
#include "trustctl/trust/trust_dir.h"
#include "trustctl/truststore/trust_store.h"

namespace trustctl::trust {

enum class TrustCopy {
  kWritten,    // the destination now holds the source's state
  kUnchanged,  // it held exactly that state already
};

// Writes the trust data of `source` (a verified state of `from`) to `to`. A destination that
// holds trust data already must hold an earlier state of the same history: the same
// 1.root.json (kVerification naming `where_to` otherwise) and an older timestamp (kFreshness
// for a newer one, or another one at the same version): a copy never rolls a destination back
// or replaces another repository's trust. Nothing is written when it refuses.
Result<TrustCopy> copy_trust_data(const StoreView& source, truststore::TrustStore& from,
                                  truststore::TrustStore& to, const std::string& where_to);

// Verifies the trust data in `to` as a fresh trust dir pinned to the source's root keys does:
// in `scratch` (a trust dir of its own: the caller's trust dir learns nothing), without first
// use, and accepting the source's repository path when `destination`'s path differs.
Result<StoreView> verify_copy(const Verified& source, const std::string& source_path,
                              truststore::TrustStore& to, const registry::Reference& destination,
                              const TrustDir& scratch);

}  // namespace trustctl::trust
