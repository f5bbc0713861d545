#include <curl/curl.h>
#include <openssl/opensslv.h>

#include <nlohmann/json.hpp>
#include <ostream>

#include "command.h"

namespace trustctl::cli {

Command version_command() {
  return {
      "version", "Print the version of trustctl and its libraries",
      [](const Invocation& inv) -> Status {
        cxxopts::Options options(inv.program, "Print the version of trustctl and its libraries.");
        TRY_ASSIGN(auto p, parse(options, inv));
        if (p.help) return {};
        const char* curl = curl_version_info(CURLVERSION_NOW)->version;
        if (p.global.output == OutputFormat::kJson) {
          nlohmann::json j = {
              {"version", TRUSTCTL_VERSION}, {"openssl", OPENSSL_VERSION_TEXT}, {"libcurl", curl}};
          *inv.out << j.dump(2) << "\n";
        } else {
          *inv.out << "trustctl " << TRUSTCTL_VERSION << "\n"
                   << "  " << OPENSSL_VERSION_TEXT << "\n"
                   << "  libcurl " << curl << "\n";
        }
        return {};
      }};
}

}  // namespace trustctl::cli
