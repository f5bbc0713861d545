// Token scopes ("type[(class)]:name:action[,action]") as sets, for merging and cache lookups.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

namespace trustctl::auth {

struct ScopeSet {
  std::map<std::string, std::set<std::string>> resources;  // "type[(class)]:name" -> actions
  std::set<std::string> opaque;  // strings that are not type:name:actions, kept verbatim
};

// Each string may hold several space-separated scopes.
ScopeSet parse_scopes(const std::vector<std::string>& scopes);
std::vector<std::string> format_scopes(const ScopeSet& set);  // sorted
// Whether a token granted `granted` may be used for `wanted` ("*" grants every action).
bool scopes_cover(const ScopeSet& granted, const ScopeSet& wanted);

}  // namespace trustctl::auth
