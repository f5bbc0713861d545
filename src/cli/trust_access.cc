#include "trust_access.h"

#include "registry_access.h"
#include "trustctl/core/environment.h"
#include "trustctl/core/log.h"

namespace trustctl::cli {

void add_trust_options(cxxopts::Options& options) {
  options.add_options("Trust")("tofu",
                               "Trust an unknown root on first use (also TRUSTCTL_TOFU=1; "
                               "implied on a terminal)")(
      "trust-repository",
      "Accept trust data made for this repository path (an explicitly mapped mirror)",
      cxxopts::value<std::string>());
}

Result<std::unique_ptr<TrustAccess>> open_trust(const std::string& reference, const Parsed& p) {
  auto access = std::make_unique<TrustAccess>();
  TRY_ASSIGN(access->ref, parse_reference(reference));
  access->client = connect_registry(access->ref.api_host(), p.global);
  access->keys = std::make_unique<keystore::KeyStore>(p.global.trust_dir, access->passphrases);
  trust::TrustOptions options;
  options.trust_dir = p.global.trust_dir;
  bool tofu_flag = p.flags.count("tofu") && p.flags["tofu"].as<bool>();
  options.allow_tofu =
      tofu_flag || env_value("TRUSTCTL_TOFU") == std::string("1") || keystore::stdin_is_tty();
  if (p.flags.count("trust-repository"))
    options.repository_alias = p.flags["trust-repository"].as<std::string>();
  options.notice = [](const std::string& m) { log::info(m); };
  access->trust = std::make_unique<trust::ContentTrust>(*access->client, access->ref,
                                                        access->keys.get(), options);
  return access;
}

std::string bare_hex(const std::string& digest) {
  auto colon = digest.find(':');
  return colon == std::string::npos ? digest : digest.substr(colon + 1);
}

}  // namespace trustctl::cli
