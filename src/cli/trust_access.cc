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

void add_publish_options(cxxopts::Options& options) {
  options.add_options("Publishing")(
      "accept-state",
      "Re-sign the registry's trust data although this trust dir vouches for none of its states, "
      "if it shows exactly this timestamp version (checked by you; see docs/operations.md)",
      cxxopts::value<std::int64_t>());
}

trust::VerifyOptions verify_options(const Parsed& p) {
  trust::VerifyOptions options;
  bool tofu_flag = p.flags.count("tofu") && p.flags["tofu"].as<bool>();
  options.allow_tofu =
      tofu_flag || env_value("TRUSTCTL_TOFU") == std::string("1") || keystore::stdin_is_tty();
  if (p.flags.count("trust-repository"))
    options.repository_alias = p.flags["trust-repository"].as<std::string>();
  options.notice = [](const std::string& m) { log::info(m); };
  return options;
}

trust::PublishSettings publish_settings(const Parsed& p) {
  trust::PublishSettings settings;
  if (p.flags.count("accept-state"))
    settings.accept_state = p.flags["accept-state"].as<std::int64_t>();
  return settings;
}

Status check_trust_dir(const Parsed& p) {
  return trust::TrustDir(p.global.trust_dir).check_permissions();
}

Result<std::unique_ptr<TrustAccess>> open_trust(const std::string& reference, const Parsed& p) {
  TRY(check_trust_dir(p));
  auto access = std::make_unique<TrustAccess>();
  TRY_ASSIGN(access->ref, parse_reference(reference));
  access->client = connect_registry(access->ref.api_host(), p.global);
  access->ref.tag.clear();
  access->ref.digest.clear();
  access->keys = std::make_unique<keystore::KeyStore>(p.global.trust_dir, access->passphrases);
  const trust::TrustDir dir(p.global.trust_dir);
  access->cache = std::make_unique<truststore::BlobCache>(dir.blob_cache());
  access->store = std::make_unique<truststore::OciTrustStore>(
      *access->client, access->ref.repository, access->cache.get());
  access->verifier = std::make_unique<trust::Verifier>(dir, access->ref, verify_options(p));
  access->publisher = std::make_unique<trust::Publisher>(*access->store, *access->keys,
                                                         *access->verifier, publish_settings(p));
  access->manifests = std::make_unique<trust::RegistryManifests>(*access->client, access->ref);
  return access;
}

Status report_verify_failure(const Invocation& inv, const Parsed& p, const std::string& reference,
                             const Error& e, bool offline) {
  if (p.global.output == OutputFormat::kJson) {
    *inv.out << nlohmann::json({{"reference", reference},
                                {"verified", false},
                                {"offline", offline},
                                {"error",
                                 {{"class", error_code_name(e.code())},
                                  {"message", e.message()},
                                  {"exit_code", e.exit_code()}}}})
                    .dump(2)
             << "\n";
  }
  return e;
}

void report_verified(const Invocation& inv, const Parsed& p, const std::string& reference,
                     const std::vector<trust::SignedTag>& verified, const trust::TrustedView& view,
                     bool by_digest, bool offline) {
  for (const auto& w : view.warnings) log::warn(w);
  if (p.global.output == OutputFormat::kJson) {
    nlohmann::json tags = nlohmann::json::array();
    nlohmann::json checks = nlohmann::json::array();
    for (const auto& t : verified) tags.push_back(t.tag);
    for (const auto& c : view.checks)
      checks.push_back({{"check", c.name}, {"passed", c.passed}, {"detail", c.detail}});
    *inv.out << nlohmann::json({{"reference", reference},
                                {"verified", true},
                                {"offline", offline},
                                {"digest", verified.front().digest},
                                {"size", verified.front().length},
                                {"mediaType", verified.front().media_type},
                                {"tags", tags},
                                {"signers", verified.front().signers},
                                {"rootOrigin", trust::root_origin_name(view.origin)},
                                {"checks", checks},
                                {"warnings", view.warnings}})
                    .dump(2)
             << "\n";
    return;
  }
  *inv.out << verified.front().digest << "\n";
  if (verified.size() > 1 || by_digest) {
    std::string names;
    for (const auto& t : verified) names += (names.empty() ? "" : ", ") + t.tag;
    log::info("signed as: " + names);
  }
}

std::string bare_hex(const std::string& digest) {
  auto colon = digest.find(':');
  return colon == std::string::npos ? digest : digest.substr(colon + 1);
}

}  // namespace trustctl::cli
