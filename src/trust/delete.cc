// repo delete: the trust data in the store and this trust dir's state of the repository.
#include "trustctl/core/fs.h"
#include "trustctl/trust/export.h"
#include "trustctl/truststore/oci_store.h"

namespace trustctl::trust {

Result<DeleteReport> delete_repository(truststore::TrustStore& store, const TrustDir& dir,
                                       const registry::Reference& repository) {
  registry::Reference ref = repository;
  ref.tag.clear();
  ref.digest.clear();
  DeleteReport report;
  report.repository = ref.name();
  TRUSTCTL_TRY_ASSIGN(auto repo_dir, dir.repository_dir(ref));
  TRUSTCTL_TRY_ASSIGN(bool trusted, dir.has_trusted_root(ref));
  const bool local = trusted || fs::exists(repo_dir + "/trust.json");
  TRUSTCTL_TRY_ASSIGN(auto head, store.head());
  std::vector<std::string> cached;  // digests whose cache entries go with the repository
  if (head) {
    cached.push_back(*head);
    if (auto state = store.read(*head); state && *state)
      for (const auto& [name, f] : (*state)->files) cached.push_back(f.digest);
    if (auto st = store.erase(*head); !st) {
      if (st.error().code() == ErrorCode::kUnsupported)
        return Error(ErrorCode::kUnsupported,
                     "the registry " + ref.registry +
                         " has deletes disabled, so the trust data of " + ref.name() +
                         " cannot be deleted (registry:2: set storage.delete.enabled: true, or "
                         "REGISTRY_STORAGE_DELETE_ENABLED=true); nothing was changed");
      return st.error().wrap("deleting the trust data of " + ref.name());
    }
    report.manifest_digest = *head;
    TRUSTCTL_TRY_ASSIGN(auto after, store.head());
    if (after)
      return Error(ErrorCode::kInternal, "the " + std::string(truststore::kReservedTag) +
                                             " tag of " + ref.name() + " points at " + *after +
                                             " after the delete (someone published meanwhile); "
                                             "run repo delete again");
  } else if (!local) {
    return Error(ErrorCode::kNoTrustData,
                 ref.name() + " has no trust data, in the registry or in this trust dir");
  }
  // This trust dir forgets the repository (its own folder only): not keys, not the pin.
  TRUSTCTL_TRY(dir.forget(ref));
  report.forgot_local_state = local;
  for (const auto& digest : cached)
    if (dir.drop_cached_blob(digest)) ++report.cached_blobs_removed;
  TRUSTCTL_TRY_ASSIGN(auto pin, dir.pin_of(ref));
  report.pinned = pin.has_value();
  return report;
}

}  // namespace trustctl::trust
