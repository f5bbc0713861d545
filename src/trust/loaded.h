// ContentTrust::Loaded, shared by the files that implement ContentTrust (not public).
#pragma once

#include <memory>

#include "trustctl/trust/content_trust.h"

namespace trustctl::trust {

// A store state loaded and verified: the updater and the source it fetches through.
struct ContentTrust::Loaded {
  std::unique_ptr<tuf::MetadataSource> source;
  tuf::Updater updater;
};

}  // namespace trustctl::trust
