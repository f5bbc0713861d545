// Proposals their signers withdrew (docs/signers.md, "Withdrawing a fully signed version"): a
// signer's next version that reached its threshold is as good as published, since anyone holding
// it can have it published; withdrawing it is therefore recorded where a registry pusher cannot
// roll it back, in the snapshot's signed part:
//   "x-trustctl-withdrawn": {"<signer>": [{"version": N, "sha256": "<hex of its signed part>"}]}
// Readers and publishers ignore a waiting version listed there. An entry is dropped once the
// signer's published version reaches N (the withdrawn version is stale by then anyway).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "trustctl/tuf/metadata.h"

namespace trustctl::trust::detail {

inline constexpr std::string_view kWithdrawnField = "x-trustctl-withdrawn";

struct Withdrawal {
  std::int64_t version = 0;
  std::string sha256;  // of the proposal's canonical signed part
};

// The sha256 (hex) of a proposal's canonical signed part: what a withdrawal names. Empty when
// it cannot be serialised.
std::string proposal_digest(const tuf::Metadata<tuf::Targets>& proposal);

// Whether the snapshot records `proposal` of `signer` as withdrawn.
bool is_withdrawn(const tuf::Snapshot& snapshot, const std::string& signer,
                  const tuf::Metadata<tuf::Targets>& proposal);

// Adds a withdrawal to the snapshot (kept when already there).
void record_withdrawal(tuf::Snapshot& snapshot, const std::string& signer, Withdrawal w);

// Drops withdrawals the snapshot no longer needs: the signer's listed version reached the
// withdrawn one, or the signer is not in `signers` any more.
void prune_withdrawals(tuf::Snapshot& snapshot, const std::vector<std::string>& signers);

}  // namespace trustctl::trust::detail
