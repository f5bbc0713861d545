// One party's content trust for one repository, for tests: the Verifier and Publisher over a
// trust store (the registry's or an in-memory one), with the operations as methods. The
// production code wires the same pieces in src/cli/trust_access.cc.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "trustctl/keystore/keystore.h"
#include "trustctl/trust/manifests.h"
#include "trustctl/trust/operations.h"
#include "trustctl/trust/publisher.h"
#include "trustctl/trust/store_view.h"
#include "trustctl/trust/verifier.h"

namespace trustctl::testing {

struct SessionOptions {
  std::string trust_dir;
  std::function<std::int64_t()> clock;
  bool allow_tofu = false;
  std::string repository_alias;
  trust::PublishSettings publish;
  std::function<void(const std::string&)> notice;
};

class TrustSession {
 public:
  TrustSession(truststore::TrustStore& store, trust::ManifestSource& manifests,
               trust::TagResolver& tags, keystore::KeyStore& keys, registry::Reference repository,
               SessionOptions options)
      : store_(store),
        manifests_(manifests),
        tags_(tags),
        verifier_(trust::TrustDir(options.trust_dir), repository,
                  {options.clock,
                   options.allow_tofu,
                   7 * 86400,
                   options.repository_alias,
                   options.notice ? options.notice : [](const std::string&) {},
                   {}}),
        publisher_(store, keys, verifier_, options.publish) {}

  const trust::Verifier& verifier() const { return verifier_; }
  const trust::Publisher& publisher() const { return publisher_; }

  Result<trust::TrustedView> refresh() {
    TRUSTCTL_TRY_ASSIGN(auto current, trust::verify_store(verifier_, store_));
    return std::move(current.verified.view);
  }
  Result<trust::SignedTag> verify_tag(const std::string& tag, const std::string& digest = "",
                                      trust::TrustedView* view_out = nullptr) {
    TRUSTCTL_TRY_ASSIGN(auto view, refresh());
    TRUSTCTL_TRY_ASSIGN(auto signed_tag, trust::verify_tag(view, manifests_, tag, digest,
                                                           verifier_.repository().name()));
    if (view_out) *view_out = std::move(view);
    return signed_tag;
  }
  Result<std::vector<trust::SignedTag>> verify_digest(const std::string& digest) {
    TRUSTCTL_TRY_ASSIGN(auto view, refresh());
    return trust::verify_digest(view, manifests_, digest, verifier_.repository().name());
  }
  Status init() { return trust::init(publisher_); }
  Result<std::vector<trust::SignedTag>> sign(const std::vector<trust::TagRequest>& requests,
                                             bool init_if_missing) {
    return trust::sign(publisher_, tags_, requests, init_if_missing);
  }
  Result<std::vector<std::string>> revoke(const std::vector<std::string>& tags, bool all) {
    TRUSTCTL_TRY_ASSIGN(auto revocation, trust::revoke(publisher_, tags, all));
    return revocation.revoked;
  }
  Result<trust::TrustedView> renew() { return trust::renew(publisher_); }
  Result<trust::TrustedView> repair(std::vector<std::string>* dropped = nullptr) {
    return trust::repair(publisher_, dropped);
  }
  Result<std::string> rotate(const std::string& role, const std::string& key_file) {
    return trust::rotate(publisher_, role, key_file);
  }
  Result<trust::SignerInfo> add_signer(const std::string& name,
                                       const std::vector<crypto::PublicKey>& keys,
                                       std::optional<std::int64_t> threshold) {
    return trust::add_signer(publisher_, name, keys, threshold);
  }
  Status remove_signer(const std::string& name, const std::vector<std::string>& keyids) {
    return trust::remove_signer(publisher_, name, keyids);
  }
  Result<trust::SignerOutcome> sign_as(const std::string& signer,
                                       const std::vector<trust::TagRequest>& requests, bool revoke,
                                       bool replace) {
    return trust::sign_as(publisher_, tags_, signer, requests, revoke, replace);
  }

 private:
  truststore::TrustStore& store_;
  trust::ManifestSource& manifests_;
  trust::TagResolver& tags_;
  trust::Verifier verifier_;
  trust::Publisher publisher_;
};

}  // namespace trustctl::testing
