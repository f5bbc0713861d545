#include "trust_access.h"

#include "registry_access.h"
#include "trustctl/core/environment.h"
#include "trustctl/core/log.h"

namespace trustctl::cli {

trust::VerifyOptions verify_options(const Context& ctx) {
  trust::VerifyOptions options;
  options.allow_tofu =
      ctx.has("tofu") || env_value("TRUSTCTL_TOFU") == std::string("1") || keystore::stdin_is_tty();
  if (auto alias = ctx.value("trust-repository")) options.repository_alias = *alias;
  options.notice = [](const std::string& m) { log::info(m); };
  return options;
}

Result<trust::PublishSettings> publish_settings(const Context& ctx) {
  trust::PublishSettings settings;
  TRUSTCTL_TRY_ASSIGN(settings.accept_state, ctx.number("accept-state"));
  return settings;
}

Status check_trust_dir(const Context& ctx) {
  return trust::TrustDir(ctx.global.trust_dir).check_permissions();
}

Result<std::unique_ptr<KeyAccess>> open_keys(const Context& ctx) {
  TRUSTCTL_TRY(check_trust_dir(ctx));
  auto access = std::make_unique<KeyAccess>();
  access->keys = std::make_unique<keystore::KeyStore>(ctx.global.trust_dir, access->passphrases);
  return access;
}

Result<std::unique_ptr<TrustAccess>> open_trust(const registry::Reference& repository,
                                                const Context& ctx) {
  return open_trust(repository, ctx, verify_options(ctx));
}

Result<std::unique_ptr<TrustAccess>> open_trust(const registry::Reference& repository,
                                                const Context& ctx, trust::VerifyOptions options) {
  TRUSTCTL_TRY(check_trust_dir(ctx));
  TRUSTCTL_TRY_ASSIGN(auto settings, publish_settings(ctx));
  auto access = std::make_unique<TrustAccess>();
  access->ref = repository;
  access->ref.tag.clear();
  access->ref.digest.clear();
  access->client = connect_registry(access->ref.api_host(), ctx.global);
  access->keys = std::make_unique<keystore::KeyStore>(ctx.global.trust_dir, access->passphrases);
  const trust::TrustDir dir(ctx.global.trust_dir);
  access->cache = std::make_unique<truststore::BlobCache>(dir.blob_cache());
  access->store = std::make_unique<truststore::OciTrustStore>(
      *access->client, access->ref.repository, access->cache.get());
  access->verifier = std::make_unique<trust::Verifier>(dir, access->ref, std::move(options));
  access->publisher = std::make_unique<trust::Publisher>(*access->store, *access->keys,
                                                         *access->verifier, settings);
  access->manifests = std::make_unique<trust::RegistryManifests>(*access->client, access->ref);
  return access;
}

}  // namespace trustctl::cli
