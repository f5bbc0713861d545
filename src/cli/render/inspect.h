// inspect's report: `docker trust inspect` JSON (PascalCase, as docker) and its --pretty tables.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "trustctl/trust/view.h"

namespace trustctl::cli {

struct InspectEntry {
  std::string name;  // "registry/repo" or "registry/repo:tag"
  std::string tag;   // only this tag; empty: every signed tag
  trust::TrustedView view;
};

struct InspectReport {
  std::vector<InspectEntry> entries;
  bool pretty = false;
};

// [{"Name","SignedTags":[{"SignedTag","Digest","Signers"}],"Signers":[{"Name","Keys":[{"ID"}]}],
//   "AdministrativeKeys":[{"Name":"Root","Keys"},{"Name":"Repository","Keys"}]}]
nlohmann::ordered_json to_docker_json(const InspectReport& r);
// docker's tables (SIGNED TAG / SIGNER / administrative keys).
void print_pretty(std::ostream& out, const InspectReport& r);

}  // namespace trustctl::cli
