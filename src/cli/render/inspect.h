// inspect's report: `docker trust inspect` JSON (PascalCase, as docker) and its --pretty tables.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "trustctl/trust/view.h"

namespace trustctl::cli {

struct InspectEntry {
  std::string name;  // "registry/repo" or "registry/repo:tag"
  std::string tag;   // only this tag; empty: every signed tag
  trust::TrustedView view;
  // The platforms ("os/arch[/variant]") of the signed indexes among the shown tags, by signed
  // digest, read from the index fetched by that digest; nullopt when it could not be fetched.
  // Tags that are not indexes have no entry.
  std::map<std::string, std::optional<std::vector<std::string>>> platforms;
};

struct InspectReport {
  std::vector<InspectEntry> entries;
  bool pretty = false;
};

// [{"Name","SignedTags":[{"SignedTag","Digest","Signers"}],"Signers":[{"Name","Keys":[{"ID"}]}],
//   "AdministrativeKeys":[{"Name":"Root","Keys"},{"Name":"Repository","Keys"}]}]
// A signed tag that is an index also has "Platforms": ["linux/amd64", ...], null when unknown.
nlohmann::ordered_json to_docker_json(const InspectReport& r);
// docker's tables (SIGNED TAG / SIGNER / administrative keys); an index's platforms on a line
// under its tag ("  platforms: linux/amd64, linux/arm64/v8", or "unknown").
void print_pretty(std::ostream& out, const InspectReport& r);

}  // namespace trustctl::cli
