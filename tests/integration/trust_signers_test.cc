// Running trust over time on a real registry:2: named signers with k-of-n thresholds and their
// pending signatures, removed signers and keys, and key rotation followed by clients that saw
// the old state (docs/signers.md, docs/operations.md).
#include <catch2/catch.hpp>

#include "registry_env.h"
#include "support/trust_session.h"
#include "trustctl/keystore/keystore.h"
#include "trustctl/keystore/passphrase.h"
#include "trustctl/truststore/oci_store.h"

using namespace trustctl;
using namespace trustctl::testing;

namespace {

// A registry with the lab's images in secure-app, a client for it, and a clock to move.
struct World {
  TempDir tmp;
  std::unique_ptr<TestRegistry> reg = start_registry();
  std::unique_ptr<registry::RegistryClient> client;
  registry::Reference ref;
  std::unique_ptr<trust::RegistryManifests> manifests;
  std::int64_t now = 1'800'000'000;
  World() {
    REQUIRE(push_fixtures(*reg, "secure-app").ok());
    client = client_for(*reg, tmp.path);
    ref = registry::Reference::parse(reg->host_port() + "/secure-app").value();
    manifests = std::make_unique<trust::RegistryManifests>(*client, ref);
  }
};

// One party: a trust dir with its key store and its own view of the repository.
struct Party {
  keystore::FixedPassphraseSource passphrase{"a-long-passphrase"};
  std::unique_ptr<keystore::KeyStore> keys;
  std::unique_ptr<truststore::BlobCache> cache;
  std::unique_ptr<truststore::OciTrustStore> store;
  std::unique_ptr<TrustSession> trust;
  std::string trust_dir;
  std::vector<std::string> notices;

  // A trust dir named `name` in the world's scratch folder, on the world's clock.
  Party(World& w, const std::string& name) : trust_dir(w.tmp.path + "/" + name) {
    crypto::KdfParams fast_kdf;
    fast_kdf.pbkdf2_iterations = 1000;
    keys = std::make_unique<keystore::KeyStore>(trust_dir, passphrase,
                                                keystore::KeyStoreOptions{fast_kdf, {}});
    SessionOptions options;
    options.trust_dir = trust_dir;
    options.clock = [&w] { return w.now; };
    options.publish.protocol.settle = std::chrono::milliseconds(100);
    options.notice = [this](const std::string& m) { notices.push_back(m); };
    cache = std::make_unique<truststore::BlobCache>(trust::TrustDir(trust_dir).blob_cache());
    store = std::make_unique<truststore::OciTrustStore>(*w.client, w.ref.repository, cache.get());
    trust =
        std::make_unique<TrustSession>(*store, *w.manifests, *w.manifests, *keys, w.ref, options);
  }
  // Trusts the repository's root key like `trustctl trust pin`.
  void pin(const registry::Reference& ref, const std::string& root_keyid) {
    REQUIRE(trust::TrustDir(trust_dir).save_pins({{ref.name(), {root_keyid}}}).ok());
  }
  crypto::PublicKey new_key(const std::string& role) {
    auto info = keys->generate(crypto::KeyType::kEcdsaP256, role, "");
    REQUIRE(info.ok());
    return *info->public_key;
  }
  std::string verified_digest(const std::string& tag) {
    auto r = trust->verify_tag(tag);
    INFO((r.ok() ? "" : r.error().message()));
    REQUIRE(r.ok());
    return r->digest;
  }
  int verify_exit(const std::string& tag) {
    auto r = trust->verify_tag(tag);
    return r.ok() ? 0 : r.error().exit_code();
  }
};

std::vector<std::string> role_keyids(const trust::TrustedView& view, const std::string& role) {
  for (const auto& r : view.roles)
    if (r.name == role) return r.keyids;
  return {};
}

const trust::SignerInfo* find_signer(const trust::TrustedView& view, const std::string& name) {
  for (const auto& s : view.signers)
    if (s.name == name) return &s;
  return nullptr;
}

// Every file of the current trust manifest, for an attacker who rewrites it.
std::map<std::string, std::string> all_files(truststore::OciTrustStore& store) {
  auto state = store.read();
  REQUIRE(state.ok());
  REQUIRE(state->has_value());
  std::map<std::string, std::string> files;
  for (const auto& [name, f] : (*state)->files) {
    auto bytes = store.file(**state, name, 1 << 22);
    REQUIRE(bytes.ok());
    files[name] = *bytes;
  }
  return files;
}

}  // namespace

TEST_CASE("a 2-of-3 signer: one signature waits, two are published, removed keys stop counting") {
  World w;
  auto& client = w.client;
  auto& ref = w.ref;

  Party admin(w, "admin");
  REQUIRE(admin.trust->sign({{"app", ""}}, true).ok());
  auto admin_view = admin.trust->refresh();
  REQUIRE(admin_view.ok());
  const std::string root_keyid = role_keyids(*admin_view, "root").front();

  Party b(w, "b"), c(w, "c"), d(w, "d");
  for (Party* p : {&b, &c, &d}) p->pin(ref, root_keyid);
  auto kb = b.new_key("release"), kc = c.new_key("release"), kd = d.new_key("release");

  // Threshold above the number of keys is refused, and nothing is published.
  auto too_high = admin.trust->add_signer("release", {kb, kc}, 3);
  REQUIRE_FALSE(too_high.ok());
  CHECK(too_high.error().exit_code() == 2);
  REQUIRE(admin.trust->add_signer("release", {kb, kc, kd}, 2).ok());
  auto view = admin.trust->refresh();
  REQUIRE(view.ok());
  REQUIRE(find_signer(*view, "release") != nullptr);
  CHECK(find_signer(*view, "release")->keyids.size() == 3);
  CHECK(find_signer(*view, "release")->threshold == 2);
  CHECK(find_signer(*view, "release")->version == 0);

  // One signature: waiting in the trust data, not trusted by anyone.
  auto first = b.trust->sign_as("release", {{"signed", ""}}, false, false);
  INFO((first.ok() ? "" : first.error().message()));
  REQUIRE(first.ok());
  CHECK_FALSE(first->published);
  CHECK(first->version.signed_by == std::vector<std::string>{kb.key_id()});
  CHECK(first->version.threshold == 2);
  CHECK(admin.verify_exit("signed") == 10);
  CHECK(b.verify_exit("signed") == 10);
  view = admin.trust->refresh();
  REQUIRE(view.ok());
  REQUIRE(view->pending.size() == 1);
  CHECK(view->pending[0].signer == "release");
  CHECK(view->pending[0].adds.count("signed") == 1);
  CHECK(view->pending[0].waiting_for.size() == 2);
  CHECK_FALSE(view->pending[0].ready());
  // The publisher's refresh does not publish a version short of its threshold.
  REQUIRE(admin.trust->renew().ok());
  CHECK(admin.verify_exit("signed") == 10);

  // The same signer signing again adds nothing.
  auto again = b.trust->sign_as("release", {{"signed", ""}}, false, false);
  REQUIRE(again.ok());
  CHECK(again->version.signed_by.size() == 1);

  // Another change while one waits is refused unless replaced.
  auto other = c.trust->sign_as("release", {{"app", ""}}, false, false);
  REQUIRE_FALSE(other.ok());
  CHECK(other.error().exit_code() == 2);
  CHECK(other.error().message().find("pending version 1") != std::string::npos);

  {
    // Someone with push rights swaps in a waiting version with the same tag plus a nested
    // delegation to a key of theirs: a co-signer never signs more than its own change.
    truststore::OciTrustStore store(*client, ref.repository, nullptr);
    auto files = all_files(store);
    auto waiting = tuf::Metadata<tuf::Targets>::from_bytes(files.at("pending.release.json"));
    REQUIRE(waiting.ok());
    auto evil = crypto::PrivateKey::generate(crypto::KeyType::kEcdsaP256);
    REQUIRE(evil.ok());
    tuf::DelegatedRole nested;
    nested.name = "evil";
    nested.paths = std::vector<std::string>{"*"};
    waiting->mutate().add_delegation(nested, {evil->public_key()});
    waiting->mutable_signatures().clear();
    REQUIRE(waiting->sign(*evil).ok());
    files["pending.release.json"] = waiting->to_bytes().value();
    REQUIRE(store.write(files).ok());
  }
  auto tricked = c.trust->sign_as("release", {{"signed", ""}}, false, false);
  REQUIRE_FALSE(tricked.ok());
  CHECK(tricked.error().exit_code() == 2);
  auto restarted = c.trust->sign_as("release", {{"signed", ""}}, false, /*replace=*/true);
  REQUIRE(restarted.ok());
  CHECK(restarted->version.signed_by == std::vector<std::string>{kc.key_id()});

  // The second distinct key meets the threshold; B holds no snapshot key, so the version is
  // ready and waits for the publisher's refresh.
  auto second = b.trust->sign_as("release", {{"signed", ""}}, false, false);
  REQUIRE(second.ok());
  CHECK(second->version.signed_by.size() == 2);
  CHECK(second->version.ready());
  CHECK_FALSE(second->published);
  CHECK(admin.verify_exit("signed") == 10);
  REQUIRE(admin.trust->renew().ok());
  const std::string signed_digest = admin.verified_digest("signed");
  CHECK(b.verified_digest("signed") == signed_digest);
  trust::TrustedView after;
  REQUIRE(d.trust->verify_tag("signed", "", &after).ok());
  REQUIRE(find_signer(after, "release") != nullptr);
  CHECK(find_signer(after, "release")->version == 1);
  CHECK(after.pending.empty());
  for (const auto& t : after.tags)
    if (t.tag == "signed") CHECK(t.signers == std::vector<std::string>{"release"});

  // Key D is removed from the signer: a version signed by B and D does not count.
  REQUIRE(admin.trust->remove_signer("release", {kd.key_id().substr(0, 8)}).ok());
  auto refused = d.trust->sign_as("release", {{"app", ""}}, false, false);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().exit_code() == 4);  // D holds none of the signer's keys now
  auto by_b = b.trust->sign_as("release", {{"app", ""}}, false, false);
  REQUIRE(by_b.ok());
  CHECK_FALSE(by_b->published);
  {
    // D forges its signature onto the waiting version in the registry.
    truststore::OciTrustStore store(*client, ref.repository, nullptr);
    auto files = all_files(store);
    auto pending = tuf::Metadata<tuf::Targets>::from_bytes(files.at("pending.release.json"));
    REQUIRE(pending.ok());
    auto dkey = d.keys->load(kd.key_id());
    REQUIRE(dkey.ok());
    REQUIRE(pending->sign(*dkey).ok());
    files["pending.release.json"] = pending->to_bytes().value();
    REQUIRE(store.write(files).ok());
  }
  view = admin.trust->refresh();
  REQUIRE(view.ok());
  REQUIRE(view->pending.size() == 1);
  CHECK(view->pending[0].signed_by == std::vector<std::string>{kb.key_id()});
  REQUIRE(admin.trust->renew().ok());
  CHECK(admin.verify_exit("app") == 0);  // still signed by the repository key only
  view = admin.trust->refresh();
  REQUIRE(view.ok());
  CHECK(find_signer(*view, "release")->version == 1);

  // The whole signer is removed: its tags stop counting and its signatures are refused.
  REQUIRE(admin.trust->remove_signer("release", {}).ok());
  CHECK(admin.verify_exit("signed") == 10);
  CHECK(d.verify_exit("signed") == 10);
  auto gone = b.trust->sign_as("release", {{"signed", ""}}, false, false);
  REQUIRE_FALSE(gone.ok());
  CHECK(gone.error().exit_code() == 12);
  CHECK(gone.error().message().find("not a signer") != std::string::npos);
}

TEST_CASE("a signer with its own snapshot and timestamp keys publishes at its threshold") {
  World w;
  auto& client = w.client;
  auto& ref = w.ref;
  auto& now = w.now;
  Party admin(w, "admin");
  REQUIRE(admin.trust->init().ok());
  auto k1 = admin.new_key("ci");
  REQUIRE(admin.trust->add_signer("ci", {k1}, std::nullopt).ok());
  auto out = admin.trust->sign_as("ci", {{"signed", ""}}, false, false);
  REQUIRE(out.ok());
  CHECK(out->published);
  trust::TrustedView view;
  REQUIRE(admin.trust->verify_tag("signed", "", &view).ok());
  // A plain revoke is the repository key's: it names the signer to revoke as instead.
  auto not_mine = admin.trust->revoke({"signed"}, false);
  REQUIRE_FALSE(not_mine.ok());
  CHECK(not_mine.error().exit_code() == 2);
  CHECK(not_mine.error().message().find("revoke --signer ci") != std::string::npos);
  // Signed by both: revoking the repository key's binding leaves the signer's, and says so.
  REQUIRE(admin.trust->sign({{"signed", ""}}, false).ok());
  admin.notices.clear();
  REQUIRE(admin.trust->revoke({"signed"}, false).ok());
  bool told = false;
  for (const auto& n : admin.notices)
    told |= n.find("still signed by signer ci") != std::string::npos;
  CHECK(told);
  REQUIRE(admin.trust->verify_tag("signed", "", &view).ok());
  for (const auto& t : view.tags)
    if (t.tag == "signed") CHECK(t.signers == std::vector<std::string>{"ci"});
  // Revoking as the signer publishes its next version without the tag.
  auto revoked = admin.trust->sign_as("ci", {{"signed", ""}}, true, false);
  REQUIRE(revoked.ok());
  CHECK(revoked->published);
  CHECK(revoked->version.removes == std::vector<std::string>{"signed"});
  CHECK(admin.verify_exit("signed") == 10);
  {
    // Leftovers a pusher put in the manifest: a proposal of a non-signer, and one for a version
    // the signer already has. Readers ignore them; the next publication drops both.
    truststore::OciTrustStore store(*client, ref.repository, nullptr);
    auto files = all_files(store);
    files["pending.ghost.json"] = files.at("2.ci.json");
    files["pending.ci.json"] = files.at("2.ci.json");  // ci is at version 2 already
    REQUIRE(store.write(files).ok());
    auto listed = admin.trust->refresh();
    REQUIRE(listed.ok());
    CHECK(listed->pending.empty());
    REQUIRE(admin.trust->renew().ok());
    auto after = all_files(store);
    CHECK(after.count("pending.ghost.json") == 0);
    CHECK(after.count("pending.ci.json") == 0);
  }
  // A signer's metadata expires like any role: warned, then refused (the repository key's own
  // targets are renewed meanwhile by a top-level sign).
  REQUIRE(admin.trust->sign_as("ci", {{"signed", ""}}, false, false).ok());
  now += 3LL * 365 * 86400 - 3 * 86400;
  REQUIRE(admin.trust->sign({{"app", ""}}, false).ok());
  REQUIRE(admin.trust->verify_tag("signed", "", &view).ok());
  bool warned = false;
  for (const auto& warning : view.warnings)
    warned |= warning.find("signer ci") != std::string::npos;
  CHECK(warned);
  now += 4 * 86400;
  auto renewed = admin.trust->renew();
  INFO((renewed.ok() ? "" : renewed.error().message()));
  REQUIRE(renewed.ok());
  CHECK(admin.verify_exit("signed") == 13);
  CHECK(admin.verify_exit("app") == 0);
}

TEST_CASE("rotations are followed by a client that saw the old state, forged roots are refused") {
  World w;
  auto& client = w.client;
  auto& ref = w.ref;

  Party admin(w, "admin");
  REQUIRE(admin.trust->sign({{"signed", ""}}, true).ok());
  auto first = admin.trust->refresh();
  REQUIRE(first.ok());
  const std::string old_root = role_keyids(*first, "root").front();
  Party client_old(w, "client");
  client_old.pin(ref, old_root);
  const std::string digest = client_old.verified_digest("signed");

  std::int64_t root_version = 1;
  for (const std::string role : {"targets", "snapshot", "timestamp", "root"}) {
    INFO("rotating " << role);
    const auto before = role_keyids(*admin.trust->refresh(), role);
    auto rotated = admin.trust->rotate(role, "");
    INFO((rotated.ok() ? "" : rotated.error().message()));
    REQUIRE(rotated.ok());
    CHECK(*rotated != before.front());
    ++root_version;
    trust::TrustedView view;
    REQUIRE(client_old.trust->verify_tag("signed", "", &view).ok());
    CHECK(view.roles.front().version == root_version);
    CHECK(role_keyids(view, role) == std::vector<std::string>{*rotated});
    CHECK(view.tags.front().digest == digest);
  }
  // A client that never saw the repository, pinned to the first root key, walks the chain.
  Party newcomer(w, "newcomer");
  newcomer.pin(ref, old_root);
  CHECK(newcomer.verified_digest("signed") == digest);
  // The rotated-out key no longer signs for the repository.
  auto current = admin.trust->refresh();
  REQUIRE(current.ok());
  CHECK(role_keyids(*current, "root") != std::vector<std::string>{old_root});

  truststore::OciTrustStore store(*client, ref.repository, nullptr);
  auto forge_root = [&](const std::vector<const crypto::PrivateKey*>& signers,
                        const crypto::PublicKey& new_root_key) {
    auto files = all_files(store);
    const std::string latest = std::to_string(root_version) + ".root.json";
    auto root = tuf::Metadata<tuf::Root>::from_bytes(files.at(latest));
    REQUIRE(root.ok());
    tuf::Root& body = root->mutate();
    for (const auto& id : body.roles["root"].keyids) body.remove_key("root", id);
    body.add_key("root", new_root_key);
    body.version = root_version + 1;
    root->mutable_signatures().clear();
    for (const auto* k : signers) REQUIRE(root->sign(*k).ok());
    files[std::to_string(root_version + 1) + ".root.json"] = root->to_bytes().value();
    REQUIRE(store.write(files).ok());
  };
  auto attacker_key = crypto::PrivateKey::generate(crypto::KeyType::kEcdsaP256);
  REQUIRE(attacker_key.ok());
  SECTION("a root rotation signed by the new key only is refused") {
    forge_root({&*attacker_key}, attacker_key->public_key());
  }
  SECTION("a root rotation signed by the rotated-out root key is refused") {
    auto old_key = admin.keys->load(old_root);
    REQUIRE(old_key.ok());
    forge_root({&*old_key, &*attacker_key}, attacker_key->public_key());
  }
  auto refused = client_old.trust->verify_tag("signed");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().exit_code() == 12);
  Party fresh(w, "fresh");
  fresh.pin(ref, old_root);
  CHECK(fresh.verify_exit("signed") == 12);
}
