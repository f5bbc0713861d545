// trustctl env and trustctl version.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "emit.h"

namespace trustctl::cli {

struct EnvReport {};  // every variable of core/environment.h, as set now
// [{"name","description","sensitive","set","value"?}] (no value for a sensitive variable)
TRUSTCTL_RENDERED(EnvReport);

struct VersionReport {
  std::string version;
  std::string openssl;
  std::string libcurl;
};
TRUSTCTL_RENDERED(VersionReport);  // {"version","openssl","libcurl"}

}  // namespace trustctl::cli
