// The set-up of the trust workflow unit tests: one repository whose trust data lives in a
// MemoryTrustStore and whose images live in MemoryImages, one clock, and parties (each a trust
// dir with its key store and its own view of the repository) that sign and verify through the
// same Verifier and Publisher the CLI uses.
#pragma once

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "support/memory_images.h"
#include "support/memory_trust_store.h"
#include "support/temp_dir.h"
#include "support/trust_session.h"
#include "trustctl/keystore/keystore.h"
#include "trustctl/keystore/passphrase.h"

namespace trustctl::testing {

struct MemoryWorld {
  TempDir tmp;
  MemoryTrustStore store;
  MemoryImages images;
  registry::Reference ref = registry::Reference::parse("registry.test/team/app").value();
  std::int64_t now = 1'800'000'000;
};

class Party {
 public:
  // A trust dir named `name` in the world's folder, on the world's clock. `keys_from` copies
  // another party's private keys (the same publisher on a second machine).
  Party(MemoryWorld& w, const std::string& name, const Party* keys_from = nullptr,
        std::optional<std::int64_t> accept_state = std::nullopt)
      : world_(w), trust_dir_(w.tmp / name) {
    REQUIRE(::mkdir(trust_dir_.c_str(), 0700) == 0);
    if (keys_from)
      std::filesystem::copy(keys_from->trust_dir_ + "/private", trust_dir_ + "/private");
    crypto::KdfParams fast_kdf;
    fast_kdf.pbkdf2_iterations = 1000;
    keys_ = std::make_unique<keystore::KeyStore>(trust_dir_, passphrase_,
                                                 keystore::KeyStoreOptions{fast_kdf, {}});
    SessionOptions options;
    options.trust_dir = trust_dir_;
    options.clock = [&w] { return w.now; };
    options.publish.protocol.settle = std::chrono::milliseconds(0);
    options.publish.protocol.sleep = [](std::chrono::milliseconds) {};
    options.publish.accept_state = accept_state;
    options.notice = [this](const std::string& m) { notices.push_back(m); };
    session_ = std::make_unique<TrustSession>(w.store, w.images, w.images, *keys_, w.ref, options);
  }

  TrustSession& trust() { return *session_; }
  trust::TrustDir dir() const { return trust::TrustDir(trust_dir_); }
  keystore::KeyStore& keys() { return *keys_; }

  // Trusts the repository's root key, as `trustctl trust pin` does.
  void pin(const std::string& root_keyid) {
    REQUIRE(trust::pin_root(dir(), world_.ref, root_keyid).ok());
  }
  crypto::PublicKey new_key(const std::string& role) {
    auto info = keys_->generate(crypto::KeyType::kEcdsaP256, role, "");
    REQUIRE(info.ok());
    return *info->public_key;
  }
  // Signs tags at their current digests (initialising the repository when it has no trust
  // data) and requires success.
  void sign(const std::vector<std::string>& tags) {
    std::vector<trust::TagRequest> requests;
    for (const auto& t : tags) requests.push_back({t, ""});
    auto r = session_->sign(requests, true);
    INFO((r.ok() ? "" : r.error().message()));
    REQUIRE(r.ok());
  }
  std::string verified_digest(const std::string& tag) {
    auto r = session_->verify_tag(tag);
    INFO((r.ok() ? "" : r.error().message()));
    REQUIRE(r.ok());
    return r->digest;
  }
  // The exit code verify would give for `tag` (0: verified).
  int verify_exit(const std::string& tag) {
    auto r = session_->verify_tag(tag);
    return r.ok() ? 0 : r.error().exit_code();
  }
  trust::TrustedView view() {
    auto v = session_->refresh();
    INFO((v.ok() ? "" : v.error().message()));
    REQUIRE(v.ok());
    return std::move(v).value();
  }
  std::string root_keyid() { return view().role("root")->keyids.front(); }

  std::vector<std::string> notices;

 private:
  MemoryWorld& world_;
  std::string trust_dir_;
  keystore::FixedPassphraseSource passphrase_{"a-long-passphrase"};
  std::unique_ptr<keystore::KeyStore> keys_;
  std::unique_ptr<TrustSession> session_;
};

}  // namespace trustctl::testing
