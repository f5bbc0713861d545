// trust pin / trust unpin: what a pin does to the state a trust dir already has.
#include <algorithm>

#include "trustctl/core/fs.h"
#include "trustctl/trust/verifier.h"

namespace trustctl::trust {

Result<bool> pin_root(const TrustDir& dir, const registry::Reference& repository,
                      const std::string& keyid) {
  TRUSTCTL_TRY_ASSIGN(auto pins, dir.pins());
  pins.erase(std::remove_if(pins.begin(), pins.end(),
                            [&](const Pin& p) { return p.repository == repository.name(); }),
             pins.end());
  pins.push_back({repository.name(), {keyid}});
  TRUSTCTL_TRY(dir.save_pins(pins));
  TRUSTCTL_TRY_ASSIGN(bool trusted, dir.has_trusted_root(repository));
  if (!trusted) return false;
  if (dir.root_origin(repository) == RootOrigin::kCreated) return false;
  // The state stays when the pinned key signed the root it rests on: pinning the key that is
  // already trusted keeps the rollback protection.
  TRUSTCTL_TRY_ASSIGN(auto metadata_dir, dir.metadata_dir(repository));
  auto bytes = fs::read_file(metadata_dir + "/root.json");
  if (bytes) {
    auto root = tuf::Metadata<tuf::Root>::from_bytes(*bytes);
    if (root && signed_by_root_key(*root, keyid)) {
      TRUSTCTL_TRY(dir.set_root_origin(repository, RootOrigin::kPinned));
      return false;
    }
  }
  return dir.forget(repository);
}

Result<bool> unpin_root(const TrustDir& dir, const registry::Reference& repository) {
  TRUSTCTL_TRY_ASSIGN(auto pins, dir.pins());
  const auto before = pins.size();
  pins.erase(std::remove_if(pins.begin(), pins.end(),
                            [&](const Pin& p) { return p.repository == repository.name(); }),
             pins.end());
  if (pins.size() == before)
    return Error(ErrorCode::kNotFound, repository.name() + " is not pinned");
  TRUSTCTL_TRY(dir.save_pins(pins));
  TRUSTCTL_TRY_ASSIGN(bool trusted, dir.has_trusted_root(repository));
  if (!trusted || dir.root_origin(repository) == RootOrigin::kCreated) return false;
  return dir.forget(repository);
}

}  // namespace trustctl::trust
