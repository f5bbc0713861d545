// What the registry says: resolve (unverified, shown as such), login and logout.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "emit.h"
#include "trustctl/registry/manifest.h"
#include "trustctl/registry/reference.h"

namespace trustctl::cli {

struct ResolveReport {
  registry::Reference reference;
  registry::Manifest manifest;
  std::string platform;  // from the image config (image manifests only)
  std::string user;
  nlohmann::json manifest_json;  // the manifest itself, parsed with a depth bound
};
// {"reference","registry","repository","tag","digest","mediaType","size","platforms"|
//  "config","platform","user","layers","layers_size","manifest"}
TRUSTCTL_RENDERED(ResolveReport);

struct LoginReport {
  std::string registry;
  std::string config_path;
};
TRUSTCTL_RENDERED(LoginReport);  // {"registry","status","config"}

struct LogoutReport {
  std::string registry;
};
TRUSTCTL_RENDERED(LogoutReport);  // {"registry","status"}

}  // namespace trustctl::cli
