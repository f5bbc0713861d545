// What the trust commands share: the repository, its registry client, the key store, the trust
// store in the registry, and the Verifier and Publisher over it, configured from the command line.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>

#include "command.h"
#include "trustctl/keystore/keystore.h"
#include "trustctl/keystore/passphrase.h"
#include "trustctl/registry/client.h"
#include "trustctl/trust/manifests.h"
#include "trustctl/trust/publisher.h"
#include "trustctl/trust/store_view.h"
#include "trustctl/trust/verifier.h"
#include "trustctl/truststore/oci_store.h"

namespace trustctl::cli {

// Adds --tofu and --trust-repository to a command's options.
void add_trust_options(cxxopts::Options& options);
// Adds --accept-state to a command that publishes (re-signs snapshot and timestamp).
void add_publish_options(cxxopts::Options& options);

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
};

// What the command line sets for verifying: TOFU (--tofu, TRUSTCTL_TOFU=1, a terminal),
// --trust-repository, notices on stderr; and for publishing: --accept-state.
trust::VerifyOptions verify_options(const Parsed& p);
trust::PublishSettings publish_settings(const Parsed& p);

// kIo when the trust dir is writable by its group or others (TrustDir::check_permissions).
Status check_trust_dir(const Parsed& p);

// Parses `reference`, connects to its registry and opens its repository's trust data (after
// check_trust_dir).
Result<std::unique_ptr<TrustAccess>> open_trust(const std::string& reference, const Parsed& p);

// The signers of a view and what waits for their signatures (cmd_signer.cc): JSON for
// `signer list` / `repo status`, and the text table.
nlohmann::json signers_json(const trust::TrustedView& view);
void print_signers(std::ostream& out, const trust::TrustedView& view);

// verify's report, online and offline alike. A failure: with -o json the error object on
// stdout; returns `e` (printed on stderr by main). A success: the trusted digest (text; the tags
// on stderr for a digest or several tags) or the JSON result with every check.
Status report_verify_failure(const Invocation& inv, const Parsed& p, const std::string& reference,
                             const Error& e, bool offline);
void report_verified(const Invocation& inv, const Parsed& p, const std::string& reference,
                     const std::vector<trust::SignedTag>& verified, const trust::TrustedView& view,
                     bool by_digest, bool offline);

// "sha256:abc" -> "abc" (docker trust inspect prints bare hex).
std::string bare_hex(const std::string& digest);

}  // namespace trustctl::cli
