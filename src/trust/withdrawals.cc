#include "withdrawals.h"

#include <algorithm>

#include "trustctl/crypto/hash.h"

namespace trustctl::trust::detail {
namespace {

using nlohmann::json;

json* field(tuf::Snapshot& snapshot) {
  auto it = snapshot.unrecognized.find(std::string(kWithdrawnField));
  if (it == snapshot.unrecognized.end() || !it->is_object()) return nullptr;
  return &*it;
}

}  // namespace

std::string proposal_digest(const tuf::Metadata<tuf::Targets>& proposal) {
  auto bytes = proposal.signed_bytes();
  return bytes ? crypto::sha256_hex(*bytes) : std::string();
}

bool is_withdrawn(const tuf::Snapshot& snapshot, const std::string& signer,
                  const tuf::Metadata<tuf::Targets>& proposal) {
  auto it = snapshot.unrecognized.find(std::string(kWithdrawnField));
  if (it == snapshot.unrecognized.end() || !it->is_object()) return false;
  auto entries = it->find(signer);
  if (entries == it->end() || !entries->is_array()) return false;
  const std::string digest = proposal_digest(proposal);
  for (const auto& e : *entries) {
    auto sha = e.find("sha256");
    if (sha != e.end() && sha->is_string() && sha->get<std::string>() == digest) return true;
  }
  return false;
}

void record_withdrawal(tuf::Snapshot& snapshot, const std::string& signer, Withdrawal w) {
  json* all = field(snapshot);
  if (all == nullptr) {
    snapshot.unrecognized[std::string(kWithdrawnField)] = json::object();
    all = field(snapshot);
  }
  json& entries = (*all)[signer];
  if (!entries.is_array()) entries = json::array();
  for (const auto& e : entries)
    if (e.value("sha256", "") == w.sha256) return;
  entries.push_back({{"version", w.version}, {"sha256", w.sha256}});
}

void prune_withdrawals(tuf::Snapshot& snapshot, const std::vector<std::string>& signers) {
  json* all = field(snapshot);
  if (all == nullptr) return;
  for (auto it = all->begin(); it != all->end();) {
    const std::string signer = it.key();
    auto meta = snapshot.meta.find(signer + ".json");
    const std::int64_t published = meta == snapshot.meta.end() ? 0 : meta->second.version;
    json kept = json::array();
    if (it->is_array() && std::find(signers.begin(), signers.end(), signer) != signers.end())
      for (const auto& e : *it)
        if (e.is_object() && e.value("version", std::int64_t{0}) > published) kept.push_back(e);
    if (kept.empty()) {
      it = all->erase(it);
    } else {
      *it = kept;
      ++it;
    }
  }
  if (all->empty()) snapshot.unrecognized.erase(std::string(kWithdrawnField));
}

}  // namespace trustctl::trust::detail
