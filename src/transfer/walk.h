// What pull and copy share: the plan of an image read from the registry, starting at a manifest
// the caller trusts and following the digests each manifest names, and a blob streamed from the
// registry into an OCI layout with its digest checked on the way.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "trustctl/transfer/transfer.h"

namespace trustctl::transfer::detail {

struct Plan {
  registry::Descriptor top;                                             // what the tag names
  std::vector<std::pair<registry::Descriptor, std::string>> manifests;  // children first
  std::vector<registry::Descriptor> blobs;                              // configs and layers
};

// The plan of `target` in `repository`: each manifest fetched by the digest its parent names
// (the client checks the bytes) and its size checked against that descriptor. With `platform`,
// an index is narrowed to its one child for that platform, which becomes plan.top. Blobs whose
// digests are in `seen` are left out (and the others added), so several images share one set.
Result<Plan> plan_from_registry(registry::RegistryClient& client, const std::string& repository,
                                const registry::Descriptor& target,
                                const std::optional<registry::Platform>& platform,
                                std::set<std::string>& seen);

// The blob `d` from the registry into `layout`: hashed as it streams into a temporary file of
// the layout and renamed into place only when it matches (kIntegrity naming it otherwise).
Status fetch_blob(registry::RegistryClient& client, const std::string& repository,
                  const registry::Descriptor& d, image::OciLayout& layout,
                  const ProgressSink& progress);

}  // namespace trustctl::transfer::detail
