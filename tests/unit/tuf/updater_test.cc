// One test per attack the TUF specification names (section 1.5.2), plus the client workflow
// details, against an in-memory repository and an injected clock.
#include <catch2/catch.hpp>
#include <limits>

#include "repository_simulator.h"

namespace trustctl::tuf {
namespace {

using testing::Client;
using testing::kNow;
using testing::new_key;
using testing::RepositorySimulator;

constexpr std::int64_t kDay = 86400;

TEST_CASE("refresh: trusted state persisted byte for byte, target found") {
  RepositorySimulator sim;
  sim.repo.add_target("targets", "v1", "manifest bytes", nlohmann::json{{"mediaType", "x"}});
  sim.publish();
  Client client(sim);
  auto info = client.lookup("v1");
  REQUIRE(info.ok());
  CHECK(info->length == 14);
  CHECK(info->verify("manifest bytes", "v1").ok());
  CHECK((*info->custom)["mediaType"] == "x");
  CHECK(client.local("timestamp") == sim.repo.files().at("timestamp.json"));
  CHECK(client.local("snapshot") == sim.repo.files().at("1.snapshot.json"));
  CHECK(client.local("targets") == sim.repo.files().at("1.targets.json"));
  // consistent snapshot: versioned names are fetched
  CHECK(std::count(sim.fetched.begin(), sim.fetched.end(), "1.snapshot.json") == 1);
  CHECK(std::count(sim.fetched.begin(), sim.fetched.end(), "1.targets.json") == 1);
  auto missing = client.lookup("v2");
  REQUIRE_FAILS_WITH(missing, ErrorCode::kNotFound, "target 'v2' is not in the trusted metadata");

  SECTION("unchanged repository: the cached snapshot and targets are used") {
    sim.fetched.clear();
    REQUIRE(client.refresh().ok());
    CHECK(sim.fetched == std::vector<std::string>{"2.root.json", "timestamp.json"});
  }
}

TEST_CASE("non-consistent snapshot repository uses plain names") {
  RepositoryOptions o{kNow};
  o.consistent_snapshot = false;
  RepositorySimulator sim(o);
  sim.publish();
  Client client(sim);
  REQUIRE(client.refresh().ok());
  CHECK(std::count(sim.fetched.begin(), sim.fetched.end(), "snapshot.json") == 1);
  CHECK(std::count(sim.fetched.begin(), sim.fetched.end(), "targets.json") == 1);
}

TEST_CASE("attack: arbitrary software (bad signature, wrong key)") {
  RepositorySimulator sim;
  sim.publish();
  Client client(sim);
  SECTION("targets signed by an unauthorised key") {
    sim.repo.clear_signers("targets");
    sim.repo.add_signer("targets", new_key());
    sim.repo.add_target("targets", "evil", "malware");
    sim.publish();
    auto s = client.refresh();
    REQUIRE_FAILS_WITH(s, ErrorCode::kVerification,
                       "targets version 2 (delegated by root): role 'targets': 0 valid");
    CHECK(s.error().exit_code() == 12);
  }
  SECTION("timestamp signature over other bytes") {
    auto j = nlohmann::json::parse(sim.repo.files()["timestamp.json"]);
    j["signed"]["version"] = 7;
    sim.serve("timestamp.json", j.dump());
    REQUIRE_FAILS_WITH(client.refresh(), ErrorCode::kVerification,
                       "timestamp version 7: role 'timestamp': 0 valid signature(s)");
  }
}

TEST_CASE("attack: rollback of every role") {
  RepositorySimulator sim;
  sim.publish();
  Client client(sim);
  REQUIRE(client.refresh().ok());

  SECTION("timestamp") {
    const std::string old_ts = sim.repo.files()["timestamp.json"];
    sim.publish_timestamp();
    REQUIRE(client.refresh().ok());
    CHECK(client.local_version("timestamp") == 2);
    sim.serve("timestamp.json", old_ts);
    auto s = client.refresh();
    REQUIRE_FAILS_WITH(s, ErrorCode::kFreshness,
                       "timestamp rollback: version 1 is older than the trusted version 2");
    CHECK(s.error().exit_code() == 13);
    CHECK(client.local_version("timestamp") == 2);  // nothing half-written
  }
  SECTION("snapshot (timestamp lists an older snapshot)") {
    sim.publish_snapshot();  // snapshot 2, timestamp 2
    REQUIRE(client.refresh().ok());
    sim.repo.snapshot().mutate().version = 0;  // next publish_snapshot makes it 1 again
    sim.repo.timestamp().mutate().snapshot_meta.version = 1;
    auto& ts = sim.repo.timestamp().mutate();
    ts.version = 3;
    ts.snapshot_meta = MetaFile::of(1, sim.repo.files()["1.snapshot.json"]);
    auto bytes = sim.repo.sign_only("timestamp");
    REQUIRE(bytes.ok());
    sim.serve("timestamp.json", *bytes);
    REQUIRE_FAILS_WITH(client.refresh(), ErrorCode::kFreshness,
                       "lists snapshot version 1, older than the trusted snapshot version 2");
  }
  SECTION("targets (new snapshot lists an older targets version)") {
    sim.publish_targets();  // targets 2
    sim.publish_snapshot();
    REQUIRE(client.refresh().ok());
    sim.repo.snapshot().mutate().meta["targets.json"] =
        MetaFile::of(1, sim.repo.files()["1.targets.json"]);
    sim.repo.snapshot().mutate().version = 3;
    auto snap = sim.repo.sign_only("snapshot");
    REQUIRE(snap.ok());
    sim.serve("3.snapshot.json", *snap);
    auto& ts = sim.repo.timestamp().mutate();
    ts.version = 3;
    ts.snapshot_meta = MetaFile::of(3, *snap);
    auto tsb = sim.repo.sign_only("timestamp");
    REQUIRE(tsb.ok());
    sim.serve("timestamp.json", *tsb);
    REQUIRE_FAILS_WITH(client.refresh(), ErrorCode::kFreshness,
                       "snapshot version 3 lists targets.json version 1, older than the trusted "
                       "version 2 (rollback)");
  }
  SECTION("targets (served file older than the snapshot says)") {
    RepositoryOptions o{kNow};
    o.meta_hashes = false;  // version is then the only binding
    RepositorySimulator sim2(o);
    sim2.publish();
    Client c2(sim2);
    const std::string v1 = sim2.repo.files()["1.targets.json"];
    sim2.publish_targets();
    sim2.publish_snapshot();
    sim2.serve("2.targets.json", v1);
    REQUIRE_FAILS_WITH(c2.refresh(), ErrorCode::kFreshness,
                       "targets version 1 is not the version 2 snapshot version 2 lists");
  }
  SECTION("delegated targets") {
    auto dk = new_key();
    DelegatedRole r;
    r.name = "releases";
    r.paths = std::vector<std::string>{"*"};
    sim.repo.add_delegation("targets", r, {dk});
    sim.repo.add_target("releases", "v1", "one");
    sim.publish();
    REQUIRE(client.lookup("v1").ok());
    sim.repo.add_target("releases", "v1", "two");
    sim.publish();
    REQUIRE(client.lookup("v1").ok());
    CHECK(client.local_version("releases") == 2);
    // A newer snapshot (and timestamp) listing the delegated role back at version 1.
    auto& sn = sim.repo.snapshot().mutate();
    sn.version += 1;
    sn.meta["releases.json"] = MetaFile::of(1, sim.repo.files()["1.releases.json"]);
    auto snap = sim.repo.sign_only("snapshot");
    REQUIRE(snap.ok());
    sim.serve(std::to_string(sn.version) + ".snapshot.json", *snap);
    auto& ts = sim.repo.timestamp().mutate();
    ts.version += 1;
    ts.snapshot_meta = MetaFile::of(sn.version, *snap);
    auto tsb = sim.repo.sign_only("timestamp");
    REQUIRE(tsb.ok());
    sim.serve("timestamp.json", *tsb);
    REQUIRE_FAILS_WITH(client.lookup("v1"), ErrorCode::kFreshness,
                       "lists releases.json version 1, older than the trusted version 2");
  }
  SECTION("root") {
    // 2.root.json that is really version 1 (validly signed)
    sim.serve("2.root.json", sim.repo.files()["1.root.json"]);
    REQUIRE_FAILS_WITH(client.refresh(), ErrorCode::kFreshness,
                       "root version 1 does not follow the trusted root version 1 (expected 2)");
  }
}

TEST_CASE("attack: indefinite freeze (expired metadata with an injected clock)") {
  RepositorySimulator sim;
  sim.publish();
  Client client(sim);
  SECTION("timestamp") {
    client.now = kNow + 15 * kDay;
    auto s = client.refresh();
    REQUIRE_FAILS_WITH(s, ErrorCode::kExpired, "timestamp version 1 expired at");
    CHECK(s.error().exit_code() == 13);
  }
  SECTION("snapshot") {
    sim.repo.snapshot().mutate().expires = kNow + 10;
    sim.publish_snapshot();
    client.now = kNow + 11;
    REQUIRE_FAILS_WITH(client.refresh(), ErrorCode::kExpired, "snapshot version 2 expired at");
  }
  SECTION("targets") {
    sim.repo.targets().mutate().expires = kNow + 10;
    sim.publish_targets();
    sim.publish_snapshot();
    client.now = kNow + 11;
    REQUIRE_FAILS_WITH(client.refresh(), ErrorCode::kExpired, "targets version 2 expired at");
  }
  SECTION("root") {
    client.now = kNow + 11 * 365 * kDay;
    REQUIRE_FAILS_WITH(client.refresh(), ErrorCode::kExpired, "root version 1 expired at");
  }
  SECTION("an expired intermediate root is fine when the final one is valid") {
    sim.repo.root().mutate().expires = kNow + 10;
    sim.publish_root();  // v2, expires soon
    sim.repo.root().mutate().expires = kNow + 100 * kDay;
    sim.publish_root();  // v3
    client.now = kNow + 20;
    REQUIRE(client.refresh().ok());
    CHECK(client.local_version("root") == 3);
  }
}

TEST_CASE("attack: endless data (more bytes than the limit)") {
  RepositorySimulator sim;
  sim.publish();
  Client client(sim);
  SECTION("timestamp over the per-role cap") {
    client.limits.timestamp_max_length = 100;
    REQUIRE_FAILS_WITH(client.refresh(), ErrorCode::kIntegrity,
                       "fetching timestamp.json: timestamp.json exceeds the limit of 100 bytes");
  }
  SECTION("snapshot longer than the timestamp says") {
    auto j = nlohmann::json::parse(sim.repo.files()["1.snapshot.json"]);
    j["padding"] = std::string(4096, 'x');
    sim.serve("1.snapshot.json", j.dump());
    REQUIRE_FAILS_WITH(client.refresh(), ErrorCode::kIntegrity, "exceeds the limit of");
  }
  SECTION("root over the cap") {
    client.limits.root_max_length = 10;
    sim.publish_root();
    REQUIRE_FAILS_WITH(client.refresh(), ErrorCode::kIntegrity, "fetching 2.root.json");
  }
}

TEST_CASE("attack: mix-and-match") {
  RepositorySimulator sim;
  sim.publish();
  Client client(sim);
  SECTION("snapshot whose hash is not the one timestamp lists") {
    const std::string s1 = sim.repo.files()["1.snapshot.json"];
    sim.publish_snapshot();  // snapshot 2 listed by timestamp 2
    REQUIRE(s1.size() == sim.repo.files()["2.snapshot.json"].size());
    sim.serve("2.snapshot.json", s1);  // same length, another hash
    auto s = client.refresh();
    REQUIRE_FAILS_WITH(s, ErrorCode::kIntegrity,
                       "snapshot (as listed in timestamp version 2): sha256 is");
    CHECK(s.error().exit_code() == 12);
  }
  SECTION("snapshot of another version than timestamp lists") {
    RepositoryOptions o{kNow};
    o.meta_hashes = false;
    RepositorySimulator sim2(o);
    sim2.publish();
    Client c2(sim2);
    const std::string s1 = sim2.repo.files()["1.snapshot.json"];
    sim2.publish_snapshot();
    sim2.serve("2.snapshot.json", s1);
    REQUIRE_FAILS_WITH(c2.refresh(), ErrorCode::kFreshness,
                       "snapshot version 1 is not the version 2 the timestamp lists");
  }
}

TEST_CASE("attack: fast-forward, recovered by rotating the timestamp key") {
  RepositorySimulator sim;
  sim.publish();
  Client client(sim);
  // An attacker holding the timestamp key pushes the client to timestamp version 1000.
  sim.repo.timestamp().mutate().version = 1000;
  sim.publish_timestamp();
  REQUIRE(client.refresh().ok());
  CHECK(client.local_version("timestamp") == 1000);
  // The owner publishes timestamp version 2 again.
  auto restart = [&] {
    sim.repo.timestamp().mutate().version = 2;
    auto b = sim.repo.sign_only("timestamp");
    REQUIRE(b.ok());
    sim.serve("timestamp.json", *b);
  };

  SECTION("without a key rotation the lower version is a rollback") {
    restart();
    REQUIRE_FAILS_WITH(client.refresh(), ErrorCode::kFreshness,
                       "timestamp rollback: version 2 is older than the trusted version 1000");
  }
  SECTION("after rotating the timestamp key the client accepts the restarted versions") {
    sim.repo.remove_key("timestamp", sim.keys["timestamp"]->public_key().key_id());
    sim.repo.add_key("timestamp", new_key());
    sim.publish_root();
    restart();
    REQUIRE(client.refresh().ok());
    CHECK(client.local_version("root") == 2);
    CHECK(client.local_version("timestamp") == 2);
  }
}

TEST_CASE("attack: malicious mirror serving inconsistent metadata") {
  RepositorySimulator sim;
  sim.repo.add_target("targets", "v1", "good");
  sim.publish();
  Client client(sim);
  // The mirror keeps the snapshot but swaps in another validly signed targets of the same
  // version (e.g. from a fork of the repository).
  sim.repo.add_target("targets", "v1", "evil");
  auto other = sim.repo.sign_only("targets");
  REQUIRE(other.ok());
  sim.serve("1.targets.json", *other);
  REQUIRE_FAILS_WITH(client.refresh(), ErrorCode::kIntegrity,
                     "targets (as listed in snapshot version 1): sha256 is");
}

TEST_CASE("attack: key compromise below threshold (2 of 3, one valid signature)") {
  RepositorySimulator sim;
  auto k2 = new_key();
  auto k3 = new_key();
  sim.repo.add_key("targets", k2);
  sim.repo.add_key("targets", k3);
  sim.repo.root().mutate().roles["targets"].threshold = 2;
  sim.publish();
  Client client(sim);
  REQUIRE(client.refresh().ok());  // 3 of 3 signatures
  sim.repo.clear_signers("targets");
  sim.repo.add_signer("targets", k2);         // the compromised key
  sim.repo.add_signer("targets", new_key());  // attacker's own key
  sim.repo.add_target("targets", "v1", "evil");
  sim.publish();
  REQUIRE_FAILS_WITH(client.refresh(), ErrorCode::kVerification,
                     "role 'targets': 1 valid signature(s) by distinct authorised keys, "
                     "threshold is 2");
}

TEST_CASE("attack: wrong software (target length/hash mismatch)") {
  RepositorySimulator sim;
  auto tf = sim.repo.add_target("targets", "v1", "the real manifest");
  sim.publish();
  Client client(sim);
  auto info = client.lookup("v1");
  REQUIRE(info.ok());
  auto len = info->verify("other", "v1");
  REQUIRE_FAILS_WITH(len, ErrorCode::kIntegrity, "target 'v1': length 5 bytes, expected 17");
  auto hash = info->verify("the fake manifest", "v1");
  REQUIRE_FAILS_WITH(hash, ErrorCode::kIntegrity, "target 'v1': sha256 is");
  CHECK(info->verify("the real manifest", "v1").ok());
}

TEST_CASE("duplicate signatures by one key do not reach a threshold of 2") {
  RepositorySimulator sim;
  auto k2 = new_key();
  sim.repo.add_key("timestamp", k2);
  sim.repo.root().mutate().roles["timestamp"].threshold = 2;
  sim.publish();
  Client client(sim);
  REQUIRE(client.refresh().ok());
  sim.repo.clear_signers("timestamp");
  sim.repo.add_signer("timestamp", sim.keys["timestamp"]);
  sim.publish_timestamp();
  auto j = nlohmann::json::parse(sim.repo.files()["timestamp.json"]);
  j["signatures"].push_back(j["signatures"][0]);
  sim.serve("timestamp.json", j.dump());
  REQUIRE_FAILS_WITH(client.refresh(), ErrorCode::kVerification, "two signatures by key ID");
}

TEST_CASE("a key revoked by root rotation no longer signs") {
  RepositorySimulator sim;
  sim.publish();
  Client client(sim);
  auto old_targets = sim.keys["targets"];
  sim.repo.remove_key("targets", old_targets->public_key().key_id());
  sim.repo.add_key("targets", new_key());
  sim.publish_root();
  sim.publish_targets();  // re-signed with the new key
  sim.publish_snapshot();
  REQUIRE(client.refresh().ok());
  CHECK(client.local_version("root") == 2);
  CHECK(client.local_version("targets") == 2);
  sim.repo.clear_signers("targets");
  sim.repo.add_signer("targets", old_targets);
  sim.repo.add_target("targets", "v1", "evil");
  sim.publish();
  REQUIRE_FAILS_WITH(client.refresh(), ErrorCode::kVerification, "role 'targets': 0 valid");
}

TEST_CASE("wrong _type and malformed JSON are refused") {
  RepositorySimulator sim;
  sim.publish();
  Client client(sim);
  SECTION("timestamp served as snapshot") {
    RepositoryOptions o{kNow};
    o.meta_hashes = false;
    RepositorySimulator s2(o);
    s2.publish();
    Client c2(s2);
    s2.serve("1.snapshot.json", s2.repo.files()["timestamp.json"]);
    REQUIRE_FAILS_WITH(c2.refresh(), ErrorCode::kVerification,
                       "_type is 'timestamp', expected 'snapshot'");
  }
  SECTION("malformed timestamp") {
    sim.serve("timestamp.json", "{\"signed\":");
    auto s = client.refresh();
    REQUIRE_FAILS_WITH(s, ErrorCode::kVerification, "timestamp metadata");
  }
}

TEST_CASE("root rotation: both thresholds, and the rotation cap") {
  RepositorySimulator sim;
  sim.publish();
  Client client(sim);
  SECTION("a chain of roots is followed") {
    for (int i = 0; i < 4; ++i) {
      auto k = new_key();
      sim.repo.remove_key("root", sim.keys["root"]->public_key().key_id());
      sim.repo.add_key("root", k);
      sim.keys["root"] = k;
      sim.publish_root();
    }
    REQUIRE(client.refresh().ok());
    CHECK(client.local_version("root") == 5);
  }
  SECTION("the cap stops the walk") {
    for (int i = 0; i < 4; ++i) sim.publish_root();
    client.limits.max_root_rotations = 2;
    REQUIRE(client.refresh().ok());
    CHECK(client.local_version("root") == 3);
  }
  SECTION("new root not signed by the old root keys") {
    auto k = new_key();
    sim.repo.remove_key("root", sim.keys["root"]->public_key().key_id());
    sim.repo.add_key("root", k);
    sim.publish_root();
    auto j = nlohmann::json::parse(sim.repo.files()["2.root.json"]);
    auto& sigs = j["signatures"];
    for (auto it = sigs.begin(); it != sigs.end(); ++it) {
      if ((*it)["keyid"] == sim.keys["root"]->public_key().key_id()) {
        sigs.erase(it);
        break;
      }
    }
    sim.serve("2.root.json", j.dump());
    REQUIRE_FAILS_WITH(client.refresh(), ErrorCode::kVerification,
                       "root version 2 is not signed by the trusted root 1's keys");
  }
  SECTION("new root not signed by its own keys") {
    sim.repo.remove_key("root", sim.keys["root"]->public_key().key_id());
    sim.repo.add_key("root", new_key());
    sim.repo.clear_signers("root");  // only the previous root signs
    sim.publish_root();
    REQUIRE_FAILS_WITH(client.refresh(), ErrorCode::kVerification,
                       "root version 2 is not signed by its own root keys");
  }
  SECTION("a network error other than not-found fails the refresh") {
    sim.serve("2.root.json", std::string(600 * 1024, ' '));
    REQUIRE_FAILS_WITH(client.refresh(), ErrorCode::kIntegrity, "fetching 2.root.json");
  }
}

TEST_CASE("local metadata that does not verify is ignored") {
  RepositorySimulator sim;
  sim.publish();
  Client client(sim);
  REQUIRE(client.refresh().ok());
  REQUIRE(fs::write_file_atomic(client.dir + "/timestamp.json", "garbage").ok());
  REQUIRE(fs::write_file_atomic(client.dir + "/targets.json", "{}").ok());
  REQUIRE(client.refresh().ok());
  CHECK(client.local("timestamp") == sim.repo.files()["timestamp.json"]);
  CHECK(client.local("targets") == sim.repo.files()["1.targets.json"]);
}

TEST_CASE("delegations: preorder walk, paths, hash prefixes, terminating, visit cap") {
  RepositorySimulator sim;
  auto ka = new_key();
  auto kb = new_key();
  auto kc = new_key();
  DelegatedRole a;
  a.name = "a";
  a.paths = std::vector<std::string>{"apps/*"};
  DelegatedRole b;
  b.name = "b/with slash";
  b.paths = std::vector<std::string>{"apps/*", "docs/*"};
  DelegatedRole c;
  c.name = "c";
  c.path_hash_prefixes = std::vector<std::string>{crypto::sha256_hex("hashed").substr(0, 1)};
  sim.repo.add_delegation("targets", a, {ka});
  sim.repo.add_delegation("targets", b, {kb});
  sim.repo.add_delegation("targets", c, {kc});
  sim.repo.add_target("a", "apps/x", "from a");
  sim.repo.add_target("b/with slash", "apps/x", "from b");
  sim.repo.add_target("b/with slash", "apps/y", "only b");
  sim.repo.add_target("b/with slash", "docs/z", "doc");
  sim.repo.add_target("c", "hashed", "by hash");
  sim.repo.add_target("a", "hashed", "not delegated to a");
  sim.publish();
  Client client(sim);

  auto x = client.lookup("apps/x");
  REQUIRE(x.ok());
  CHECK(x->verify("from a", "apps/x").ok());  // first listed delegation wins
  auto y = client.lookup("apps/y");
  REQUIRE(y.ok());
  CHECK(y->verify("only b", "apps/y").ok());
  CHECK(client.local("b/with slash") == sim.repo.files()["b%2Fwith%20slash.json"]);
  auto h = client.lookup("hashed");
  REQUIRE(h.ok());
  CHECK(h->verify("by hash", "hashed").ok());
  REQUIRE_FAILS_WITH(client.lookup("apps/deep/x"), ErrorCode::kNotFound, "apps/deep/x");

  SECTION("a terminating role stops the search") {
    sim.repo.targets().mutate().delegations->roles[0].terminating = true;
    sim.publish_targets();
    sim.publish_snapshot();
    REQUIRE_FAILS_WITH(client.lookup("apps/y"), ErrorCode::kNotFound, "apps/y");
  }
  SECTION("visit cap") {
    client.limits.max_delegations = 2;  // targets and "a" only
    REQUIRE_FAILS_WITH(client.lookup("apps/y"), ErrorCode::kNotFound, "apps/y");
    client.limits.max_delegations = 3;
    REQUIRE(client.lookup("apps/y").ok());
  }
  SECTION("delegated role signed by the wrong key") {
    sim.repo.clear_signers("a");
    sim.repo.add_signer("a", kb);
    sim.repo.add_target("a", "apps/x", "evil");
    sim.publish();
    REQUIRE_FAILS_WITH(client.lookup("apps/x"), ErrorCode::kVerification,
                       "delegated role 'a' version 2 (delegated by targets): role 'a': 0 valid");
  }
}

TEST_CASE("a delegated role the snapshot does not list (never published) is skipped") {
  RepositorySimulator sim;
  auto ka = new_key();
  auto kb = new_key();
  DelegatedRole b;
  b.name = "b";
  b.paths = std::vector<std::string>{"*"};
  sim.repo.add_delegation("targets", b, {kb});
  sim.repo.add_target("b", "app", "from b");
  sim.publish();
  // "a" is delegated before "b" but has published nothing: no file, not in the snapshot.
  DelegatedRole a;
  a.name = "a";
  a.paths = std::vector<std::string>{"*"};
  a.keyids = {ka->public_key().key_id()};
  Targets& top = sim.repo.targets().mutate();
  top.delegations->keys[a.keyids[0]] = ka->public_key().to_tuf_json();
  top.delegations->roles.insert(top.delegations->roles.begin(), a);
  sim.publish_targets();
  sim.publish_snapshot();
  sim.publish_timestamp();
  Client client(sim);
  auto found = client.lookup("app");
  REQUIRE(found.ok());
  CHECK(found->verify("from b", "app").ok());
  REQUIRE_FAILS_WITH(client.lookup("other"), ErrorCode::kNotFound, "other");
}

TEST_CASE(
    "attack: a role delegated by two parents does not inherit one's authority for the other") {
  // The conformance suite's diamond: parent-a and parent-b both delegate "release", each to its
  // own key; release is signed by parent-a's key only. Reached through parent-b it must fail.
  RepositorySimulator sim;
  DelegatedRole a;
  a.name = "parent-a";
  a.paths = std::vector<std::string>{"team-a/*"};
  DelegatedRole b;
  b.name = "parent-b";
  b.paths = std::vector<std::string>{"team-b/*"};
  sim.repo.add_delegation("targets", a, {new_key()});
  sim.repo.add_delegation("targets", b, {new_key()});
  auto key_a = new_key();
  auto key_b = new_key();
  DelegatedRole release_a;
  release_a.name = "release";
  release_a.paths = std::vector<std::string>{"team-a/*"};
  DelegatedRole release_b = release_a;
  release_b.paths = std::vector<std::string>{"team-b/*"};
  sim.repo.add_delegation("parent-a", release_a, {key_a});
  sim.repo.add_delegation("parent-b", release_b, {key_b});
  sim.repo.clear_signers("release");
  sim.repo.add_signer("release", key_a);
  sim.repo.add_target("release", "team-a/app", "trusted A");
  sim.repo.add_target("release", "team-b/app", "malicious B");
  sim.publish();
  Client client(sim);
  auto updater = client.updater();
  REQUIRE(updater.refresh().ok());
  auto good = updater.get_targetinfo("team-a/app");
  REQUIRE(good.ok());
  CHECK(good->verify("trusted A", "team-a/app").ok());
  // The same updater, release already loaded through parent-a: parent-b's keys must decide.
  REQUIRE_FAILS_WITH(updater.get_targetinfo("team-b/app"), ErrorCode::kVerification,
                     "delegated role 'release' version 1 (delegated by parent-b)");
  SECTION("and in a fresh updater that finds release in its local cache") {
    auto again = client.updater();
    REQUIRE(again.refresh().ok());
    REQUIRE_FAILS_WITH(again.get_targetinfo("team-b/app"), ErrorCode::kVerification,
                       "delegated by parent-b");
  }
}

TEST_CASE("attack: a key listed under another key's ID (computed key IDs only)") {
  RepositorySimulator sim;
  sim.publish();
  auto owner = sim.keys["root"]->public_key().key_id();
  auto attacker = new_key();
  // Root version 2 lists the attacker's key under the owner's root key ID. With opaque key IDs
  // (the TUF specification) the ID is only a name; trustctl's own data refuses it.
  Root& root = sim.repo.root().mutate();
  root.keys[owner] = attacker->public_key().to_tuf_json();
  sim.repo.clear_signers("root");
  sim.repo.add_signer("root", attacker);
  Client client(sim);
  client.key_ids = KeyIds::kComputed;
  sim.publish_root();
  REQUIRE_FAILS_WITH(client.refresh(), ErrorCode::kVerification,
                     "root version 2 lists a key under the ID " + owner);
  SECTION("as the trusted root itself") {
    REQUIRE(fs::write_file_atomic(client.dir + "/root.json", sim.repo.files()["2.root.json"]).ok());
    REQUIRE_FAILS_WITH(client.refresh(), ErrorCode::kVerification,
                       "trusted root version 2 lists a key under the ID " + owner);
  }
}

TEST_CASE("attack: a delegation listing a key under another key's ID (computed key IDs)") {
  RepositorySimulator sim;
  auto signer = new_key();
  DelegatedRole release;
  release.name = "release";
  release.paths = std::vector<std::string>{"*"};
  sim.repo.add_delegation("targets", release, {signer});
  sim.publish();
  Client client(sim);
  client.key_ids = KeyIds::kComputed;
  REQUIRE(client.refresh().ok());
  auto& keys = sim.repo.targets().mutate().delegations->keys;
  keys.begin()->second = new_key()->public_key().to_tuf_json();
  sim.publish_targets();
  sim.publish_snapshot();
  REQUIRE_FAILS_WITH(client.refresh(), ErrorCode::kVerification,
                     "targets version 2 (delegations) lists a key under the ID");
  client.key_ids = KeyIds::kOpaque;  // a plain TUF client: the ID is only a name
  CHECK(client.refresh().ok());
}

TEST_CASE("attack: a file the trusted metadata lists is missing (tampering, not 'not found')") {
  RepositorySimulator sim;
  auto signer = new_key();
  DelegatedRole release;
  release.name = "release";
  release.paths = std::vector<std::string>{"*"};
  sim.repo.add_delegation("targets", release, {signer});
  sim.repo.add_target("release", "v1", "bytes");
  sim.publish();
  Client client(sim);
  SECTION("timestamp.json") {
    sim.repo.files().erase("timestamp.json");
    REQUIRE_FAILS_WITH(client.refresh(), ErrorCode::kVerification,
                       "the repository has no timestamp.json");
  }
  SECTION("the snapshot the timestamp lists") {
    sim.repo.files().erase("1.snapshot.json");
    REQUIRE_FAILS_WITH(client.refresh(), ErrorCode::kVerification,
                       "has no 1.snapshot.json, although timestamp version 1 lists it");
  }
  SECTION("a delegated role the snapshot lists") {
    sim.repo.files().erase("1.release.json");
    REQUIRE_FAILS_WITH(client.lookup("v1"), ErrorCode::kVerification,
                       "has no 1.release.json, although snapshot version 1 lists it");
  }
  SECTION("the top-level targets the snapshot lists") {
    sim.repo.files().erase("1.targets.json");
    REQUIRE_FAILS_WITH(client.refresh(), ErrorCode::kVerification, "has no 1.targets.json");
  }
}

TEST_CASE("a root at the largest version does not overflow the rotation walk") {
  RepositorySimulator sim;
  sim.publish();
  const std::string max = std::to_string(std::numeric_limits<std::int64_t>::max());
  sim.repo.root().mutate().version = std::numeric_limits<std::int64_t>::max();
  sim.publish_root();
  REQUIRE(sim.repo.files().count(max + ".root.json") == 1);
  sim.serve("2.root.json", sim.repo.files()[max + ".root.json"]);
  Client client(sim);
  // Served as the successor of version 1: refused, no overflow.
  REQUIRE_FAILS_WITH(client.refresh(), ErrorCode::kFreshness,
                     "root version " + max + " does not follow the trusted root version 1");
  // Trusted as the local root: the walk stops at once, there is no version after it.
  REQUIRE(fs::write_file_atomic(client.dir + "/root.json", sim.repo.files()["2.root.json"]).ok());
  sim.fetched.clear();
  (void)client.refresh();
  CHECK(std::count_if(sim.fetched.begin(), sim.fetched.end(), [](const std::string& n) {
          return n.find("root") != std::string::npos;
        }) == 0);
}

}  // namespace
}  // namespace trustctl::tuf
