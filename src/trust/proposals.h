// Signers' proposed next versions waiting in the trust data (docs/signers.md): reading them,
// describing them, and deciding what a co-signer may sign. Not public.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "trustctl/core/result.h"
#include "trustctl/trust/view.h"
#include "trustctl/truststore/trust_store.h"
#include "trustctl/tuf/metadata.h"
#include "trustctl/tuf/updater.h"

namespace trustctl::trust::detail {

// Trust store files holding a signer's proposed next version: "pending.<signer>.json".
inline constexpr std::string_view kPendingPrefix = "pending.";
std::string pending_file(const std::string& signer);
// The signer a store file name holds a proposal of ("pending.release.json" -> "release").
std::optional<std::string> pending_signer(const std::string& file_name);

// kUsage unless `name` is a valid signer name (lower case, digits, '-', '_'; not reserved).
Status validate_signer_name(const std::string& name);

// A signer's trusted current version (version 0 and no targets when it never published).
struct SignerState {
  tuf::Targets body;
  std::int64_t version = 0;
};
Result<SignerState> signer_state(tuf::Updater& updater, const std::string& signer);

struct Proposal {
  tuf::Metadata<tuf::Targets> md;
  PendingVersion info;
};

// The key IDs of `role` whose signatures over `md` verify.
std::vector<std::string> valid_signers(const tuf::Keys& keys, const tuf::DelegatedRole& role,
                                       const tuf::Metadata<tuf::Targets>& md);
PendingVersion describe_proposal(const tuf::Keys& keys, const tuf::DelegatedRole& role,
                                 const tuf::Metadata<tuf::Targets>& md, const SignerState& current);
// "tag -> digest, revoke tag" for messages.
std::string describe_change(const PendingVersion& p);

// The signer's proposal in `state`, when there is one for the version after the current one
// (an older one is stale: the signer published since). A malformed proposal counts as none, and
// so does one the trusted snapshot records as withdrawn.
Result<std::optional<Proposal>> read_proposal(truststore::TrustStore& store,
                                              const truststore::StoreState& state,
                                              const tuf::Snapshot& snapshot, const tuf::Keys& keys,
                                              const tuf::DelegatedRole& role,
                                              const SignerState& current);

// Every waiting version in `state` of the signers `updater` trusts; unreadable ones become
// warnings in `view`.
std::vector<PendingVersion> read_pending(truststore::TrustStore& store,
                                         const truststore::StoreState& state, tuf::Updater& updater,
                                         TrustedView& view);

// Whether a waiting version is, to the byte, the version this signer would make itself: the same
// targets (with their custom data), no delegations or fields it would not write, and only the
// expiry left to the first signer, within (now, now + lifetime + a day]. A co-signer never signs
// more than the change it asked for.
bool is_same_version(const tuf::Targets& waiting, tuf::Targets own, std::int64_t now,
                     std::int64_t lifetime);

}  // namespace trustctl::trust::detail
