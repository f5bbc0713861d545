// The changes a publisher makes to a repository's trust data, one file each in src/trust
// (docs/architecture.md). Each plans its change against the verified current state and
// publishes it with Publisher::publish, which merges with concurrent writers and confirms.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "trustctl/core/result.h"
#include "trustctl/crypto/keys.h"
#include "trustctl/trust/manifests.h"
#include "trustctl/trust/publisher.h"
#include "trustctl/trust/view.h"

namespace trustctl::trust {

// repo init: new root, targets, snapshot and timestamp keys in the key store and the first
// metadata, published; this trust dir then trusts the root (created) and vouches for the state.
// kUsage when the repository already has trust data.
Status init(const Publisher& publisher);

// sign: adds or updates the targets of the tags (their current digests, or the ones pinned) in
// one publication. Without trust data: initialises first when `init_if_missing`, else
// kNoTrustData; kFreshness when trust data this trust dir has seen is gone.
Result<std::vector<SignedTag>> sign(const Publisher& publisher, TagResolver& tags,
                                    const std::vector<TagRequest>& requests, bool init_if_missing);

// revoke: removes the tags the repository key signed (every such tag when `all`). A tag only a
// signer signs is kUsage naming `revoke --signer`.
struct Revocation {
  std::vector<std::string> revoked;
  // Revoked tags that a signer still signs: still trusted, through that signer.
  std::vector<SignedTag> still_signed;
};
Result<Revocation> revoke(const Publisher& publisher, const std::vector<std::string>& tags,
                          bool all);

// repo refresh: re-signs snapshot and timestamp with new versions and expiries (a cron job's
// duty: nothing else renews the timestamp) and publishes every signer version whose threshold
// is met. Returns the refreshed view.
Result<TrustedView> renew(const Publisher& publisher);

// repo repair: republishes the last state this trust dir verified and vouches for (its saved
// metadata), with new snapshot and timestamp versions above any the registry holds, dropping
// everything else in the trust data: root versions above the trusted one, waiting versions,
// files nobody lists (docs/operations.md). Needs the snapshot and timestamp keys; the root chain
// up to the trusted root must still be in the store. `dropped` receives the files left out.
Result<TrustedView> repair(const Publisher& publisher, std::vector<std::string>* dropped = nullptr);

// repo rotate: a new key for `role` (generated, or `key_file` imported). For root: the new root
// is signed by the old and the new root keys and the old key no longer counts; for the other
// roles root gets a new version (signed by the root key) and the role is re-signed by its new
// key. Returns the new key's ID. A failed publication removes a generated key again.
Result<std::string> rotate(const Publisher& publisher, const std::string& role,
                           const std::string& key_file);

// signer add: delegates signer `name` (created, or keys added) with `threshold` (unchanged when
// not given; 1 for a new signer). Needs the targets key. Returns the signer as published.
Result<SignerInfo> add_signer(const Publisher& publisher, const std::string& name,
                              const std::vector<crypto::PublicKey>& keys,
                              std::optional<std::int64_t> threshold);
// signer remove: the whole signer, or only `keyids` of it (full IDs or unambiguous prefixes).
Status remove_signer(const Publisher& publisher, const std::string& name,
                     const std::vector<std::string>& keyids);

// sign --signer / revoke --signer: proposes the signer's next version (tags added, or removed
// when `revoke`), or co-signs the waiting proposal that makes exactly this change, with the
// signer's keys this trust dir holds. The version is published once `threshold` signatures
// verify and this trust dir holds the snapshot and timestamp keys; until then it waits in the
// trust data (`repo refresh` publishes ready versions). `replace` drops a waiting proposal that
// makes another change; a ready one is withdrawn in the snapshot (needs the online keys).
struct SignerOutcome {
  std::vector<SignedTag> tags;  // (sign) what was signed
  PendingVersion version;       // the version and its signatures
  bool published = false;
};
Result<SignerOutcome> sign_as(const Publisher& publisher, TagResolver& tags,
                              const std::string& signer, const std::vector<TagRequest>& requests,
                              bool revoke, bool replace);

}  // namespace trustctl::trust
