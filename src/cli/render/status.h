// What a verified view shows: repo status (every role), repo refresh, and the signers with the
// versions waiting for their signatures (signer list, and the end of repo status).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "emit.h"
#include "trustctl/trust/view.h"

namespace trustctl::cli {

struct StatusReport {
  std::string repository;
  trust::TrustedView view;
  std::int64_t now = 0;
};
// {"repository","root_origin","signed_tags","roles":[{"role","version","expires",
//  "expires_in_seconds","threshold","keyids"}],"signers":[...],"warnings"}
TRUSTCTL_RENDERED(StatusReport);

// repo refresh: JSON as repo status; text one line with the new timestamp.
struct RefreshReport {
  StatusReport status;
};
TRUSTCTL_RENDERED(RefreshReport);

struct SignersReport {
  std::string repository;
  trust::TrustedView view;
};
// [{"name","keyids","threshold","version","expires"?,"error"?,"pending"?:{"version","adds",
//   "removes","signed_by","waiting_for","ready"}}]
TRUSTCTL_RENDERED(SignersReport);

}  // namespace trustctl::cli
