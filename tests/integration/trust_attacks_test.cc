// What a registry pusher (push rights, no signing keys) tries against content trust on a real
// registry:2, through the trustctl binary: forged roots aimed at a pin, fingerprints that belong
// to another key, old states replayed to publishers without saved state, revived proposals, a
// bricked trust manifest. One test case per attack, named after it (docs/security-model.md).
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "trust_cli_env.h"
#include "trustctl/core/fs.h"
#include "trustctl/crypto/keys.h"
#include "trustctl/trust/trust_dir.h"
#include "trustctl/truststore/oci_store.h"
#include "trustctl/tuf/metadata.h"

using namespace trustctl;
using namespace trustctl::testing;
using nlohmann::json;

namespace {

constexpr std::int64_t kYear = 365LL * 86400;

crypto::PrivateKey new_key() {
  auto k = crypto::PrivateKey::generate(crypto::KeyType::kEcdsaP256);
  REQUIRE(k.ok());
  return std::move(k).value();
}

std::int64_t now() { return static_cast<std::int64_t>(::time(nullptr)); }

// Signs with `key` but files the signature under `keyid` (the ID the attacker wants counted).
void sign_as(tuf::Metadata<tuf::Root>& md, const crypto::PrivateKey& key,
             const std::string& keyid) {
  REQUIRE(md.sign(key).ok());
  md.mutable_signatures().back().keyid = keyid;
}

// A complete trust data set: the given (signed) root, then targets binding `tag` to the
// manifest `m`, snapshot and timestamp, all signed by `online` (whatever key ID root lists it
// under for those roles).
std::map<std::string, std::string> forged_files(const tuf::Metadata<tuf::Root>& root,
                                                const crypto::PrivateKey& online,
                                                const std::string& online_id,
                                                const std::string& tag,
                                                const registry::Manifest& m) {
  std::map<std::string, std::string> files;
  files["1.root.json"] = root.to_bytes().value();
  auto sign = [&](auto& md) {
    md.mutable_signatures().clear();
    REQUIRE(md.sign(online).ok());
    md.mutable_signatures().back().keyid = online_id;
    return md.to_bytes().value();
  };
  tuf::Targets targets;
  targets.expires = now() + kYear;
  tuf::TargetFile f;
  f.length = static_cast<std::int64_t>(m.bytes.size());
  f.hashes["sha256"] = m.descriptor.digest.substr(7);
  f.custom = json{{"mediaType", m.descriptor.media_type}};
  targets.targets[tag] = f;
  tuf::Metadata<tuf::Targets> targets_md(targets);
  files["1.targets.json"] = sign(targets_md);
  tuf::Snapshot snapshot;
  snapshot.expires = now() + kYear;
  snapshot.meta["targets.json"] = tuf::MetaFile::of(1, files["1.targets.json"]);
  tuf::Metadata<tuf::Snapshot> snapshot_md(snapshot);
  files["1.snapshot.json"] = sign(snapshot_md);
  tuf::Timestamp timestamp;
  timestamp.expires = now() + 14 * 86400;
  timestamp.snapshot_meta = tuf::MetaFile::of(1, files["1.snapshot.json"]);
  tuf::Metadata<tuf::Timestamp> timestamp_md(timestamp);
  files["timestamp.json"] = sign(timestamp_md);
  return files;
}

// A root for repository "secure-app" with the given keys; roles other than root use `online`.
tuf::Root root_body(const std::map<std::string, json>& keys, std::vector<std::string> root_ids,
                    std::int64_t threshold, const std::string& online_id) {
  tuf::Root root;
  root.version = 1;
  root.expires = now() + kYear;
  root.consistent_snapshot = true;
  root.unrecognized["x-trustctl-repository"] = "secure-app";
  for (const auto& [id, k] : keys) root.keys[id] = k;
  root.roles["root"] = {std::move(root_ids), threshold, json::object()};
  for (const char* role : {"targets", "snapshot", "timestamp"})
    root.roles[role] = {{online_id}, 1, json::object()};
  return root;
}

struct Scene {
  std::unique_ptr<TestRegistry> reg;
  TempDir scratch;
  std::unique_ptr<Attacker> attacker;
  std::unique_ptr<User> owner;
  std::string repo;
  std::string root_key;  // the owner's root key ID

  Scene() {
    reg = start_registry();
    REQUIRE(push_fixtures(*reg, "secure-app").ok());
    attacker = std::make_unique<Attacker>(*reg, scratch.path);
    owner = std::make_unique<User>(*reg);
    repo = reg->host_port() + "/secure-app";
    auto signed_ = owner->run({"sign", "--init", repo + ":signed"});
    INFO(signed_.err);
    REQUIRE(signed_.exit_status == 0);
    root_key =
        json::parse(owner->run({"inspect", repo}).out)[0]["AdministrativeKeys"][0]["Keys"][0]["ID"]
            .get<std::string>();
  }
  registry::Manifest manifest(const std::string& ref) {
    auto m = attacker->client->get_manifest("secure-app", ref);
    REQUIRE(m.ok());
    return *m;
  }
  // The owner's root public key as root lists it.
  json owner_root_key_object() {
    auto m = attacker->trust_manifest("secure-app");
    for (const auto& l : m.layers) {
      if (l.annotations.at(std::string(truststore::kFileNameAnnotation)) != "1.root.json") continue;
      auto bytes = attacker->client->fetch_blob("secure-app", l.digest, 1 << 20);
      REQUIRE(bytes.ok());
      return json::parse(*bytes)["signed"]["keys"][root_key];
    }
    FAIL("no 1.root.json");
    return {};
  }
  void replace_trust_data(const std::map<std::string, std::string>& files) {
    truststore::OciTrustStore store(*attacker->client, "secure-app", nullptr);
    REQUIRE(store.write(files).ok());
  }
  void put_back(const registry::Manifest& m) {
    REQUIRE(attacker->client
                ->put_manifest("secure-app", std::string(truststore::kReservedTag),
                               m.descriptor.media_type, m.bytes)
                .ok());
  }
  std::string key_file(const std::string& role) {
    auto list = json::parse(owner->run({"key", "list", "-o", "json"}).out);
    for (const auto& k : list)
      if (k["role"] == role && k["repository"] == repo) return k["path"];
    FAIL("no " + role + " key");
    return "";
  }
};

// A deploy gate with an empty trust dir runs `admit` with a policy whose `roots` pin the
// owner's root key: the exit code, and the signature finding's message.
std::pair<int, std::string> admit_with_policy_root(const Scene& s) {
  User gate(*s.reg);
  const std::string policy = s.scratch.path + "/admit-policy.yaml";
  const std::string compose = s.scratch.path + "/admit-compose.yml";
  REQUIRE(fs::write_file_atomic(
              policy,
              "version: 1\nrules:\n  - images: \"**\"\n    roots: [\"" + s.root_key + "\"]\n", 0644)
              .ok());
  REQUIRE(fs::write_file_atomic(
              compose, "services:\n  app:\n    image: " + s.repo + ":signed\n    user: app\n", 0644)
              .ok());
  auto r = gate.run({"admit", "-o", "json", "--policy", policy, compose});
  INFO(r.out << r.err);
  CHECK_FALSE(has_trusted_root(gate, s.repo));  // nothing of the attacker's saved as trusted
  const json report = json::parse(r.out);
  std::string message;
  for (const auto& f : report["findings"])
    if (f["check"] == "signature") message = f["message"].get<std::string>();
  return {r.exit_status, message};
}

}  // namespace

TEST_CASE("attack: a forged root listing the pinned key ID with the attacker's key") {
  Scene s;
  auto genuine = s.attacker->trust_manifest("secure-app");
  auto evil = new_key();
  const std::string evil_id = evil.public_key().key_id();
  // keys[K] is the attacker's key: the root "lists the pinned key" and is signed under its ID.
  tuf::Metadata<tuf::Root> forged(root_body(
      {{s.root_key, evil.public_key().to_tuf_json()}, {evil_id, evil.public_key().to_tuf_json()}},
      {s.root_key}, 1, evil_id));
  sign_as(forged, evil, s.root_key);
  s.replace_trust_data(forged_files(forged, evil, evil_id, "signed", s.manifest("v1")));

  User ci(*s.reg);  // the CI runner the docs tell to pin
  REQUIRE(ci.run({"trust", "pin", s.repo, "--fingerprint", s.root_key}).exit_status == 0);
  for (const std::vector<std::string>& cmd :
       {std::vector<std::string>{"verify", s.repo + ":signed"},
        std::vector<std::string>{"inspect", s.repo},
        std::vector<std::string>{"repo", "export", s.repo, s.scratch.path + "/export-ci"}}) {
    auto r = ci.run(cmd);
    INFO(cmd[0] << ": " << r.err);
    CHECK(r.exit_status == 12);
    CHECK(r.err.find("lists a key under the ID " + s.root_key) != std::string::npos);
  }
  CHECK_FALSE(has_trusted_root(ci, s.repo));  // nothing of the attacker's saved as trusted
  // Nor does an admission policy's root pin let it through.
  auto [admit_exit, admit_message] = admit_with_policy_root(s);
  CHECK(admit_exit == 14);
  CHECK(admit_message.find("lists a key under the ID " + s.root_key) != std::string::npos);
  // The owner, who holds state, refuses it too.
  CHECK(s.owner->run({"verify", s.repo + ":signed"}).exit_status == 12);
  // Once the genuine trust data is back, the pinned runner verifies the genuine binding.
  s.put_back(genuine);
  auto ok = ci.run({"verify", s.repo + ":signed"});
  INFO(ok.err);
  CHECK(ok.exit_status == 0);
  CHECK(digest_line(ok) == fixture_digest::kSecureApp);
}

TEST_CASE(
    "attack: a forged root listing the real pinned key beside the attacker's at threshold 1") {
  Scene s;
  auto evil = new_key();
  const std::string evil_id = evil.public_key().key_id();
  // The owner's real key material under its real ID, and the attacker's key, threshold 1:
  // self-consistent, but the pinned key never signed it.
  tuf::Metadata<tuf::Root> forged(root_body(
      {{s.root_key, s.owner_root_key_object()}, {evil_id, evil.public_key().to_tuf_json()}},
      {s.root_key, evil_id}, 1, evil_id));
  REQUIRE(forged.sign(evil).ok());
  s.replace_trust_data(forged_files(forged, evil, evil_id, "signed", s.manifest("v1")));

  User ci(*s.reg);
  REQUIRE(ci.run({"trust", "pin", s.repo, "--fingerprint", s.root_key}).exit_status == 0);
  auto r = ci.run({"verify", s.repo + ":signed"});
  CHECK(r.exit_status == 12);
  CHECK(r.err.find("no root in " + s.repo + " is signed by the pinned root key(s) " + s.root_key) !=
        std::string::npos);
  CHECK_FALSE(has_trusted_root(ci, s.repo));
  CHECK(ci.run({"inspect", s.repo}).exit_status == 12);
  auto [admit_exit, admit_message] = admit_with_policy_root(s);
  CHECK(admit_exit == 14);
  CHECK(admit_message.find("is signed by the policy's root key(s) " + s.root_key) !=
        std::string::npos);

  SECTION("offline, from an export folder the attacker wrote") {
    const std::string dir = s.scratch.path + "/forged-export";
    REQUIRE(fs::make_dirs(dir).ok());
    for (const auto& [name, bytes] :
         forged_files(forged, evil, evil_id, "signed", s.manifest("v1")))
      REQUIRE(fs::write_file_atomic(dir + "/" + name, bytes, 0644).ok());
    User offline(*s.reg);
    REQUIRE(offline.run({"trust", "pin", s.repo, "--fingerprint", s.root_key}).exit_status == 0);
    auto o = offline.run({"verify", "--offline", "--from", dir, s.repo + ":signed"});
    CHECK(o.exit_status == 12);
    CHECK(o.err.find("signed by the pinned root key") != std::string::npos);
    CHECK_FALSE(has_trusted_root(offline, s.repo));
  }
}

TEST_CASE("attack: the fingerprint shown for an unknown root is one that signed it") {
  Scene s;
  auto evil = new_key();
  const std::string evil_id = evil.public_key().key_id();
  SECTION("the owner's ID over the attacker's key: refused outright, never suggested") {
    tuf::Metadata<tuf::Root> forged(root_body(
        {{s.root_key, evil.public_key().to_tuf_json()}, {evil_id, evil.public_key().to_tuf_json()}},
        {s.root_key}, 1, evil_id));
    sign_as(forged, evil, s.root_key);
    s.replace_trust_data(forged_files(forged, evil, evil_id, "signed", s.manifest("v1")));
    User newcomer(*s.reg);
    auto r = newcomer.run({"verify", s.repo + ":signed"});
    CHECK(r.exit_status == 12);
    CHECK(r.err.find("--fingerprint " + s.root_key) == std::string::npos);
    CHECK(r.err.find("but that key's ID is " + evil_id) != std::string::npos);
    auto tofu = newcomer.run({"verify", "--tofu", s.repo + ":signed"});
    CHECK(tofu.exit_status == 12);
    CHECK_FALSE(has_trusted_root(newcomer, s.repo));
  }
  SECTION("the owner's real key listed but not signing: the key that signed is the one shown") {
    tuf::Metadata<tuf::Root> forged(root_body(
        {{s.root_key, s.owner_root_key_object()}, {evil_id, evil.public_key().to_tuf_json()}},
        {s.root_key, evil_id}, 1, evil_id));
    REQUIRE(forged.sign(evil).ok());
    s.replace_trust_data(forged_files(forged, evil, evil_id, "signed", s.manifest("v1")));
    User newcomer(*s.reg);
    auto r = newcomer.run({"verify", s.repo + ":signed"});
    CHECK(r.exit_status == 12);
    CHECK(r.err.find("signed by root key " + evil_id + ")") != std::string::npos);
    CHECK(r.err.find("--fingerprint " + evil_id) != std::string::npos);
    CHECK(r.err.find(s.root_key) == std::string::npos);  // checking it with the owner fails
    auto tofu = newcomer.run({"verify", "--tofu", s.repo + ":signed"});
    CHECK(tofu.err.find("on first use: signed by root key " + evil_id) != std::string::npos);
  }
}

TEST_CASE("attack: an old state replayed to a publisher with no saved state is not re-signed") {
  Scene s;
  REQUIRE(s.owner->run({"sign", s.repo + ":v1"}).exit_status == 0);
  auto before_revoke = s.attacker->trust_manifest("secure-app");
  REQUIRE(s.owner->run({"revoke", s.repo + ":v1"}).exit_status == 0);
  auto after_revoke = s.attacker->trust_manifest("secure-app");
  // The pusher puts back the state from before the revocation (still validly signed).
  s.put_back(before_revoke);

  // The owner's freshness job: a fresh CI trust dir with the online keys and a pin.
  User ci(*s.reg);
  REQUIRE(ci.run({"trust", "pin", s.repo, "--fingerprint", s.root_key}).exit_status == 0);
  for (const char* role : {"snapshot", "timestamp", "targets"})
    REQUIRE(ci.run({"key", "import", s.key_file(role)}).exit_status == 0);
  auto refresh = ci.run({"repo", "refresh", s.repo});
  INFO(refresh.err);
  CHECK(refresh.exit_status == 13);
  CHECK(refresh.err.find("vouches for none of its states") != std::string::npos);
  CHECK(refresh.err.find("--accept-state") != std::string::npos);
  auto sign = ci.run({"sign", s.repo + ":app"});
  CHECK(sign.exit_status == 13);
  auto wrong = ci.run({"repo", "refresh", "--accept-state", "99", s.repo});
  CHECK(wrong.exit_status == 13);
  CHECK(wrong.err.find("--accept-state 99 does not match") != std::string::npos);
  // Nothing was published: the registry still shows the replayed manifest.
  CHECK(s.attacker->trust_manifest("secure-app").descriptor.digest ==
        before_revoke.descriptor.digest);
  // The owner's own trust dir has seen the revocation: the replay is a rollback to it.
  CHECK(s.owner->run({"repo", "refresh", s.repo}).exit_status == 13);
  CHECK(s.owner->run({"sign", s.repo + ":app"}).exit_status == 13);

  SECTION("once the operator accepted the real state, the kept trust dir refuses replays") {
    s.put_back(after_revoke);
    auto status = json::parse(s.owner->run({"repo", "status", "-o", "json", s.repo}).out);
    std::string version;
    for (const auto& r : status["roles"])
      if (r["role"] == "timestamp") version = std::to_string(r["version"].get<std::int64_t>());
    auto accepted = ci.run({"repo", "refresh", "--accept-state", version, s.repo});
    INFO(accepted.err);
    REQUIRE(accepted.exit_status == 0);
    CHECK(ci.run({"repo", "refresh", s.repo}).exit_status == 0);  // vouched for from now on
    s.put_back(before_revoke);
    CHECK(ci.run({"repo", "refresh", s.repo}).exit_status == 13);  // rollback
    CHECK(s.owner->run({"verify", s.repo + ":v1"}).exit_status != 0);
  }
}

TEST_CASE("attack: trust pin of the key already trusted keeps the rollback state") {
  Scene s;
  auto old_state = s.attacker->trust_manifest("secure-app");
  REQUIRE(s.owner->run({"sign", s.repo + ":v1"}).exit_status == 0);
  User ci(*s.reg);
  REQUIRE(ci.run({"trust", "pin", s.repo, "--fingerprint", s.root_key}).exit_status == 0);
  REQUIRE(ci.run({"verify", s.repo + ":v1"}).exit_status == 0);
  // The natural CI step, again: pin, then verify, with a kept trust dir.
  auto repin = ci.run({"trust", "pin", s.repo, "--fingerprint", s.root_key});
  REQUIRE(repin.exit_status == 0);
  CHECK(repin.err.find("forgot") == std::string::npos);
  s.put_back(old_state);
  auto r = ci.run({"verify", s.repo + ":signed"});
  CHECK(r.exit_status == 13);  // still a rollback: the state was kept
  // Pinning another key does forget the state (the pin decides from the chain).
  auto other = ci.run({"trust", "pin", s.repo, "--fingerprint", std::string(64, 'a')});
  CHECK(other.err.find("forgot") != std::string::npos);
  CHECK_FALSE(has_trusted_root(ci, s.repo));
}

TEST_CASE("attack: one repository's pin or unpin never touches a nested repository's state") {
  auto reg = start_registry();
  REQUIRE(push_fixtures(*reg, "team").ok());
  REQUIRE(push_fixtures(*reg, "team/app").ok());
  REQUIRE(push_fixtures(*reg, "team/metadata").ok());
  User owner(*reg);
  const std::string team = reg->host_port() + "/team";
  for (const std::string& repo : {team, team + "/app", team + "/metadata"})
    REQUIRE(owner.run({"sign", "--init", repo + ":signed"}).exit_status == 0);
  User ci(*reg);
  std::map<std::string, std::string> keys;
  for (const std::string& repo : {team, team + "/app", team + "/metadata"}) {
    keys[repo] =
        json::parse(owner.run({"inspect", repo}).out)[0]["AdministrativeKeys"][0]["Keys"][0]["ID"];
    REQUIRE(ci.run({"trust", "pin", repo, "--fingerprint", keys[repo]}).exit_status == 0);
    REQUIRE(ci.run({"verify", repo + ":signed"}).exit_status == 0);
  }
  // A repository literally named team/metadata has its own folder, not team's metadata/.
  CHECK(fs::exists(ci.home.path + "/trust/tuf/" + reg->host_port() + "/team%2Fmetadata/metadata"));
  REQUIRE(ci.run({"trust", "unpin", team}).exit_status == 0);
  CHECK_FALSE(has_trusted_root(ci, team));
  CHECK(has_trusted_root(ci, team + "/app"));
  CHECK(has_trusted_root(ci, team + "/metadata"));
  REQUIRE(ci.run({"trust", "pin", team, "--fingerprint", std::string(64, 'b')}).exit_status == 0);
  CHECK(ci.run({"verify", team + "/app:signed"}).exit_status == 0);
  CHECK(ci.run({"verify", team + "/metadata:signed"}).exit_status == 0);

  SECTION("a trust dir of trustctl 0.1 (team/app kept inside team's folder) is moved, not lost") {
    const std::string base = ci.home.path + "/trust/tuf/" + reg->host_port();
    REQUIRE(fs::make_dirs(base + "/team/app").ok());
    for (const char* entry : {"metadata", "trust.json"})
      REQUIRE(::rename((base + "/team%2Fapp/" + entry).c_str(),
                       (base + "/team/app/" + entry).c_str()) == 0);
    std::remove((base + "/team%2Fapp/verified.cache").c_str());  // 0.1 had no cache
    REQUIRE(::rmdir((base + "/team%2Fapp").c_str()) == 0);
    CHECK(ci.run({"verify", team + "/app:signed"}).exit_status == 0);
    CHECK(fs::exists(base + "/team%2Fapp/metadata/root.json"));
    CHECK(trust::TrustDir(ci.home.path + "/trust")
              .root_origin(registry::Reference::parse(team + "/app").value()) ==
          trust::RootOrigin::kPinned);
  }
}

TEST_CASE("attack: verify REPO:TAG@DIGEST with another tag's digest") {
  Scene s;
  REQUIRE(s.owner->run({"sign", s.repo + ":v1"}).exit_status == 0);
  const std::string secure = fixture_digest::kSecureApp;
  // "app" has the same digest as "signed" but is not signed; "v1" is signed for another digest.
  auto unsigned_tag = s.owner->run({"verify", s.repo + ":app@" + secure});
  CHECK(unsigned_tag.exit_status == 10);
  auto other_digest = s.owner->run({"verify", s.repo + ":v1@" + secure});
  CHECK(other_digest.exit_status == 12);
  CHECK(other_digest.err.find("is signed for " + std::string(fixture_digest::kV1)) !=
        std::string::npos);
  auto missing_tag = s.owner->run({"verify", s.repo + ":nosuchtag@" + secure});
  CHECK(missing_tag.exit_status == 10);
  auto good = s.owner->run({"verify", "-o", "json", s.repo + ":signed@" + secure});
  INFO(good.err);
  REQUIRE(good.exit_status == 0);
  auto j = json::parse(good.out);
  bool manifest_checked = false;
  for (const auto& c : j["checks"]) manifest_checked = manifest_checked || c["check"] == "manifest";
  CHECK(manifest_checked);
  auto by_digest = json::parse(s.owner->run({"verify", "-o", "json", s.repo + "@" + secure}).out);
  manifest_checked = false;
  for (const auto& c : by_digest["checks"])
    manifest_checked = manifest_checked || c["check"] == "manifest";
  CHECK(manifest_checked);
}

TEST_CASE("attack: a trust dir that is group-writable or holds a linked folder is refused") {
  Scene s;
  const std::string trust = s.owner->home.path + "/trust";
  REQUIRE(::chmod(trust.c_str(), 0770) == 0);
  auto r = s.owner->run({"verify", s.repo + ":signed"});
  CHECK(r.exit_status == 1);
  CHECK(r.err.find("writable by its group") != std::string::npos);
  CHECK(r.err.find("chmod go-w") != std::string::npos);
  REQUIRE(::chmod(trust.c_str(), 0700) == 0);
  // The registry's folder replaced by a link to a folder someone else controls.
  const std::string registry_dir = trust + "/tuf/" + s.reg->host_port();
  const std::string elsewhere = s.scratch.path + "/elsewhere";
  REQUIRE(::rename(registry_dir.c_str(), elsewhere.c_str()) == 0);
  REQUIRE(::symlink(elsewhere.c_str(), registry_dir.c_str()) == 0);
  auto linked = s.owner->run({"verify", s.repo + ":signed"});
  CHECK(linked.exit_status == 1);
  CHECK(linked.err.find("is a symbolic link") != std::string::npos);
}

TEST_CASE("attack: a withdrawn, fully signed signer version put back by a pusher stays dead") {
  Scene s;
  User alice(*s.reg);
  REQUIRE(alice.run({"trust", "pin", s.repo, "--fingerprint", s.root_key}).exit_status == 0);
  REQUIRE(s.owner->run({"key", "generate", "release", "--dir", s.owner->home.path}).exit_status ==
          0);
  REQUIRE(alice.run({"key", "generate", "release", "--dir", alice.home.path}).exit_status == 0);
  REQUIRE(
      s.owner
          ->run({"signer", "add", "release", s.repo, "--key", s.owner->home.path + "/release.pub",
                 "--key", alice.home.path + "/release.pub", "--threshold", "2"})
          .exit_status == 0);
  // A separate publisher (the freshness job) that vouches for the state it saw.
  User ci(*s.reg);
  REQUIRE(ci.run({"trust", "pin", s.repo, "--fingerprint", s.root_key}).exit_status == 0);
  for (const char* role : {"snapshot", "timestamp"})
    REQUIRE(ci.run({"key", "import", s.key_file(role)}).exit_status == 0);
  auto status = json::parse(s.owner->run({"repo", "status", "-o", "json", s.repo}).out);
  std::string version;
  for (const auto& r : status["roles"])
    if (r["role"] == "timestamp") version = std::to_string(r["version"].get<std::int64_t>());
  REQUIRE(ci.run({"repo", "refresh", "--accept-state", version, s.repo}).exit_status == 0);

  // Both release keys sign version 1 (v1): it is ready and waits for the publisher.
  REQUIRE(s.owner->run({"sign", "--signer", "release", s.repo + ":v1"}).exit_status == 0);
  auto cosigned = alice.run({"sign", "--signer", "release", s.repo + ":v1"});
  INFO(cosigned.err);
  REQUIRE(cosigned.exit_status == 0);
  CHECK(cosigned.out.find("2 of 2 signature(s), ready") != std::string::npos);
  truststore::OciTrustStore store(*s.attacker->client, "secure-app", nullptr);
  auto ready_state = store.read().value().value();
  const std::string ready = store.file(ready_state, "pending.release.json", 1 << 20).value();
  auto ready_manifest = s.attacker->trust_manifest("secure-app");

  // Alice cannot withdraw it alone: she holds no snapshot and timestamp keys.
  auto alone = alice.run({"sign", "--signer", "release", "--replace-pending", s.repo + ":multi"});
  CHECK(alone.exit_status == 4);
  CHECK(alone.err.find("anyone holding it can have it published") != std::string::npos);
  // The owner withdraws it (a new proposal for another change), recorded in the snapshot.
  auto replaced =
      s.owner->run({"sign", "--signer", "release", "--replace-pending", s.repo + ":multi"});
  INFO(replaced.err);
  REQUIRE(replaced.exit_status == 0);

  SECTION("the withdrawn version put back beside the current snapshot") {
    auto state = store.read().value().value();
    std::map<std::string, std::string> files;
    for (const auto& [name, f] : state.files)
      files[name] = store.file(state, name, 1 << 20).value();
    files["pending.release.json"] = ready;
    REQUIRE(store.write(files).ok());
    auto refresh = ci.run({"repo", "refresh", s.repo});
    INFO(refresh.err);
    CHECK(refresh.exit_status == 0);
    CHECK(refresh.err.find("published version") == std::string::npos);
    CHECK(s.owner->run({"verify", s.repo + ":v1"}).exit_status == 10);
    auto listed = json::parse(ci.run({"signer", "list", "-o", "json", s.repo}).out);
    CHECK(listed.dump().find("\"v1\"") == std::string::npos);  // not shown as waiting either
  }
  SECTION("the whole trust data from before the withdrawal put back") {
    s.put_back(ready_manifest);
    // A rollback for the trust dir that recorded the withdrawal (the one publisher of
    // docs/signers.md): it refuses to publish anything from it.
    CHECK(s.owner->run({"repo", "refresh", s.repo}).exit_status == 13);
    CHECK(s.owner->run({"verify", s.repo + ":v1"}).exit_status == 13);
  }
}

TEST_CASE("attack: a file the trusted snapshot lists, removed from the trust manifest") {
  Scene s;
  User alice(*s.reg);
  REQUIRE(alice.run({"key", "generate", "release", "--dir", alice.home.path}).exit_status == 0);
  REQUIRE(
      s.owner->run({"signer", "add", "release", s.repo, "--key", alice.home.path + "/release.pub"})
          .exit_status == 0);
  REQUIRE(alice.run({"trust", "pin", s.repo, "--fingerprint", s.root_key}).exit_status == 0);
  for (const char* role : {"snapshot", "timestamp"})
    REQUIRE(alice.run({"key", "import", s.key_file(role)}).exit_status == 0);
  auto signed_ = alice.run({"sign", "--signer", "release", s.repo + ":v1"});
  INFO(signed_.err);
  // alice vouches for no state yet: her publication needs the operator's word.
  REQUIRE(signed_.exit_status == 13);
  auto status = json::parse(s.owner->run({"repo", "status", "-o", "json", s.repo}).out);
  std::string version;
  for (const auto& r : status["roles"])
    if (r["role"] == "timestamp") version = std::to_string(r["version"].get<std::int64_t>());
  REQUIRE(alice.run({"sign", "--signer", "release", "--accept-state", version, s.repo + ":v1"})
              .exit_status == 0);
  REQUIRE(s.owner->run({"verify", s.repo + ":v1"}).exit_status == 0);

  truststore::OciTrustStore store(*s.attacker->client, "secure-app", nullptr);
  auto drop = [&](const std::string& prefix_or_name) {
    auto state = store.read().value().value();
    std::map<std::string, std::string> files;
    for (const auto& [name, f] : state.files)
      if (name.find(prefix_or_name) == std::string::npos)
        files[name] = store.file(state, name, 1 << 20).value();
    REQUIRE(files.size() < state.files.size());
    REQUIRE(store.write(files).ok());
  };
  SECTION("the signer's role: its tags report tampering, not 'not signed'") {
    drop(".release.json");
    // (The owner verified the role before and keeps its verified copy: it still verifies.)
    User fresh(*s.reg);
    REQUIRE(fresh.run({"trust", "pin", s.repo, "--fingerprint", s.root_key}).exit_status == 0);
    auto r = fresh.run({"verify", s.repo + ":v1"});
    CHECK(r.exit_status == 12);
    CHECK(r.err.find("release.json, although snapshot version") != std::string::npos);
    CHECK(fresh.run({"verify", s.repo + ":signed"}).exit_status == 0);  // not the signer's tag
  }
  SECTION("the snapshot the timestamp lists") {
    drop(".snapshot.json");
    User fresh(*s.reg);
    REQUIRE(fresh.run({"trust", "pin", s.repo, "--fingerprint", s.root_key}).exit_status == 0);
    auto r = fresh.run({"verify", s.repo + ":signed"});
    CHECK(r.exit_status == 12);
    CHECK(r.err.find("snapshot.json, although timestamp version") != std::string::npos);
  }
}

TEST_CASE("attack: an export whose files are a FIFO or a link to /dev/zero") {
  Scene s;
  const std::string dir = s.scratch.path + "/export";
  auto exported = s.owner->run({"repo", "export", "--with-manifests", s.repo, dir});
  INFO(exported.err);
  REQUIRE(exported.exit_status == 0);
  User offline(*s.reg);
  REQUIRE(offline.run({"trust", "pin", s.repo, "--fingerprint", s.root_key}).exit_status == 0);
  SECTION("timestamp.json is a FIFO: refused at once, nothing blocks") {
    REQUIRE(::unlink((dir + "/timestamp.json").c_str()) == 0);
    REQUIRE(::mkfifo((dir + "/timestamp.json").c_str(), 0644) == 0);
    auto r = offline.run({"verify", "--offline", "--from", dir, s.repo + ":signed"});
    CHECK(r.exit_status == 12);
    CHECK(r.err.find("not a regular file") != std::string::npos);
  }
  SECTION("the exported manifest is a FIFO: refused at once, nothing blocks") {
    const std::string manifest =
        dir + "/targets/" + std::string(fixture_digest::kSecureApp).substr(7) + ".signed";
    REQUIRE(::unlink(manifest.c_str()) == 0);
    REQUIRE(::mkfifo(manifest.c_str(), 0644) == 0);
    auto r = offline.run({"verify", "--offline", "--from", dir, s.repo + ":signed"});
    CHECK(r.exit_status == 12);
    CHECK(r.err.find("not a regular file") != std::string::npos);
  }
  SECTION("the exported manifest is a link to /dev/zero") {
    const std::string manifest =
        dir + "/targets/" + std::string(fixture_digest::kSecureApp).substr(7) + ".signed";
    REQUIRE(fs::exists(manifest));
    REQUIRE(::unlink(manifest.c_str()) == 0);
    REQUIRE(::symlink("/dev/zero", manifest.c_str()) == 0);
    auto r = offline.run({"verify", "--offline", "--from", dir, s.repo + ":signed"});
    CHECK(r.exit_status == 12);
    CHECK(r.err.find("symbolic link") != std::string::npos);
  }
  SECTION("a metadata file larger than its cap") {
    std::string big(20 * 1024, ' ');
    REQUIRE(fs::write_file_atomic(dir + "/timestamp.json", big, 0644).ok());
    auto r = offline.run({"verify", "--offline", "--from", dir, s.repo + ":signed"});
    CHECK(r.exit_status == 12);
  }
}

TEST_CASE("attack: a garbage root version bricks publishing until repo repair") {
  Scene s;
  REQUIRE(s.owner->run({"sign", s.repo + ":v1"}).exit_status == 0);
  truststore::OciTrustStore store(*s.attacker->client, "secure-app", nullptr);
  auto state = store.read().value().value();
  std::map<std::string, std::string> files;
  for (const auto& [name, f] : state.files) files[name] = store.file(state, name, 1 << 20).value();
  files["2.root.json"] = "{\"signatures\":[],\"signed\":{\"_type\":\"root\"}}";
  REQUIRE(store.write(files).ok());
  CHECK(s.owner->run({"sign", s.repo + ":app"}).exit_status == 12);
  CHECK(s.owner->run({"verify", s.repo + ":v1"}).exit_status == 12);
  CHECK(s.owner->run({"repo", "repair", s.repo}).exit_status == 2);  // needs --yes (no TTY)
  auto repaired = s.owner->run({"repo", "repair", "--yes", "-o", "json", s.repo});
  INFO(repaired.err);
  REQUIRE(repaired.exit_status == 0);
  auto j = json::parse(repaired.out);
  CHECK(j["dropped"].dump().find("2.root.json") != std::string::npos);
  CHECK(j["signed_tags"] == 2);
  CHECK(digest_line(s.owner->run({"verify", s.repo + ":v1"})) == fixture_digest::kV1);
  User fresh(*s.reg);
  REQUIRE(fresh.run({"trust", "pin", s.repo, "--fingerprint", s.root_key}).exit_status == 0);
  CHECK(fresh.run({"verify", s.repo + ":v1"}).exit_status == 0);
  CHECK(s.owner->run({"sign", s.repo + ":app"}).exit_status == 0);  // publishing works again
  // Only a trust dir that vouches for its state may repair: a mere verifier may not.
  CHECK(fresh.run({"repo", "repair", "--yes", s.repo}).exit_status == 13);
}

TEST_CASE("attack: a manifest the signed index names, deleted from the registry") {
  Scene s;
  REQUIRE(s.owner->run({"sign", s.repo + ":multi"}).exit_status == 0);
  auto ok = s.owner->run({"verify", "-o", "json", s.repo + ":multi"});
  INFO(ok.err);
  REQUIRE(ok.exit_status == 0);
  CHECK(ok.out.find("\"index\"") != std::string::npos);
  auto index = s.manifest("multi");
  REQUIRE(index.is_index());
  REQUIRE(index.manifests.size() >= 2);
  const std::string child = index.manifests.back().digest;
  // The pusher deletes one platform's manifest: the signed index no longer verifies.
  REQUIRE(s.attacker->client->delete_manifest("secure-app", child).ok());
  auto gone = s.owner->run({"verify", s.repo + ":multi"});
  CHECK(gone.exit_status == 11);
  CHECK(gone.err.find(child) != std::string::npos);
  CHECK(gone.out.empty());  // no digest printed for a broken image
}
