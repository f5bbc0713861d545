// What the trust commands share: the repository, its registry client, the key store, the trust
// store in the registry, and the Verifier and Publisher over it, configured from the command line.
#pragma once

#include <memory>

#include "spec.h"
#include "trustctl/keystore/keystore.h"
#include "trustctl/keystore/passphrase.h"
#include "trustctl/registry/client.h"
#include "trustctl/trust/manifests.h"
#include "trustctl/trust/publisher.h"
#include "trustctl/trust/store_view.h"
#include "trustctl/trust/verified_cache.h"
#include "trustctl/trust/verifier.h"
#include "trustctl/truststore/oci_store.h"

namespace trustctl::cli {

struct TrustAccess {
  registry::Reference ref;  // the repository (no tag or digest)
  std::unique_ptr<registry::RegistryClient> client;
  keystore::EnvTtyPassphraseSource passphrases;
  std::unique_ptr<keystore::KeyStore> keys;
  std::unique_ptr<truststore::BlobCache> cache;
  std::unique_ptr<truststore::OciTrustStore> store;
  std::unique_ptr<trust::Verifier> verifier;
  std::unique_ptr<trust::Publisher> publisher;
  std::unique_ptr<trust::RegistryManifests> manifests;

  // The repository's current trust data, verified (with the signers' waiting versions).
  Result<trust::StoreView> refresh() const { return trust::verify_store(*verifier, *store); }
  // What the read-only commands show: the same view, from the verified-state cache when the
  // trust data is unchanged since it was last verified here (trust/verified_cache.h).
  Result<trust::TrustedView> current() const { return trust::current_view(*verifier, *store); }
};

// What the command line sets for verifying: TOFU (--tofu, TRUSTCTL_TOFU=1, a terminal),
// --trust-repository, notices on stderr; and for publishing: --accept-state.
trust::VerifyOptions verify_options(const Context& ctx);
Result<trust::PublishSettings> publish_settings(const Context& ctx);

// kIo when the trust dir is writable by its group or others (TrustDir::check_permissions).
Status check_trust_dir(const Context& ctx);

// The key store of the trust dir (after check_trust_dir).
struct KeyAccess {
  keystore::EnvTtyPassphraseSource passphrases;
  std::unique_ptr<keystore::KeyStore> keys;
};
Result<std::unique_ptr<KeyAccess>> open_keys(const Context& ctx);

// Connects to the repository's registry and opens its trust data (after check_trust_dir).
Result<std::unique_ptr<TrustAccess>> open_trust(const registry::Reference& repository,
                                                const Context& ctx);
// The same with verify options of the caller's own (admit: never first use, policy roots).
Result<std::unique_ptr<TrustAccess>> open_trust(const registry::Reference& repository,
                                                const Context& ctx, trust::VerifyOptions options);

}  // namespace trustctl::cli
