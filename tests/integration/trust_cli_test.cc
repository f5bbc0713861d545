// Content trust on a real registry:2 through the trustctl binary: sign, verify, inspect,
// revoke, pinning and TOFU, an attacker with push rights, and concurrent signers.
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "registry_env.h"
#include "trust_cli_env.h"
#include "trustctl/core/subprocess.h"
#include "trustctl/truststore/oci_store.h"

using namespace trustctl;
using namespace trustctl::testing;
using nlohmann::json;

TEST_CASE("the lab's Task 2: unsigned refused, sign, inspect, verify, revoke") {
  for (bool secure : {false, true}) {
    SECTION(secure ? "TLS + token auth" : "plain HTTP") {
      RegistryOptions o;
      if (secure) {
        o.tls = true;
        o.token = Credentials{"alice", "pa55word"};
      }
      auto reg = start_registry(o);
      REQUIRE(push_fixtures(*reg, "secure-app").ok());
      User owner(*reg);
      owner.login(*reg);
      const std::string repo = reg->host_port() + "/secure-app";

      auto unsigned_tag = owner.run({"verify", repo + ":signed"});
      CHECK(unsigned_tag.exit_status == 10);
      CHECK(unsigned_tag.err.find("no trust data") != std::string::npos);

      auto no_init = owner.run({"sign", repo + ":signed"});
      CHECK(no_init.exit_status == 10);
      CHECK(no_init.err.find("--init") != std::string::npos);

      auto signed_ = owner.run({"sign", "--init", repo + ":signed"});
      INFO(signed_.err);
      REQUIRE(signed_.exit_status == 0);
      CHECK(signed_.out.find(fixture_digest::kSecureApp) != std::string::npos);

      auto verified = owner.run({"verify", repo + ":signed"});
      INFO(verified.err);
      REQUIRE(verified.exit_status == 0);
      CHECK(digest_line(verified) == fixture_digest::kSecureApp);

      auto as_json = owner.run({"verify", "-o", "json", repo + ":signed"});
      REQUIRE(as_json.exit_status == 0);
      auto j = json::parse(as_json.out);
      CHECK(j["verified"] == true);
      CHECK(j["digest"] == fixture_digest::kSecureApp);
      CHECK(j["root_origin"] == "created");
      CHECK(j["checks"].size() >= 4);

      auto by_digest = owner.run({"verify", repo + "@" + fixture_digest::kSecureApp});
      CHECK(by_digest.exit_status == 0);
      CHECK(owner.run({"verify", repo + "@" + std::string(fixture_digest::kV1)}).exit_status == 10);

      // The other tag of the same image is not signed.
      CHECK(owner.run({"verify", repo + ":app"}).exit_status == 10);

      auto inspect = owner.run({"inspect", repo});
      REQUIRE(inspect.exit_status == 0);
      auto ij = json::parse(inspect.out);
      REQUIRE(ij.size() == 1);
      CHECK(ij[0]["Name"] == repo);
      REQUIRE(ij[0]["SignedTags"].size() == 1);
      CHECK(ij[0]["SignedTags"][0]["SignedTag"] == "signed");
      CHECK(ij[0]["SignedTags"][0]["Digest"] == std::string(fixture_digest::kSecureApp).substr(7));
      CHECK(ij[0]["AdministrativeKeys"][0]["Name"] == "Root");
      CHECK(ij[0]["AdministrativeKeys"][1]["Name"] == "Repository");
      auto pretty = owner.run({"inspect", "--pretty", repo + ":signed"});
      CHECK(pretty.out.find("SIGNED TAG") != std::string::npos);
      CHECK(pretty.out.find("Root Key:") != std::string::npos);

      // Signing two more tags in one publish, then revoking one.
      auto two = owner.run({"sign", repo + ":v1", repo + ":multi"});
      INFO(two.err);
      REQUIRE(two.exit_status == 0);
      CHECK(digest_line(owner.run({"verify", repo + ":multi"})) == fixture_digest::kMulti);
      auto revoked = owner.run({"revoke", repo + ":v1"});
      REQUIRE(revoked.exit_status == 0);
      CHECK(owner.run({"verify", repo + ":v1"}).exit_status == 10);
      CHECK(owner.run({"verify", repo + ":signed"}).exit_status == 0);
      CHECK(owner.run({"revoke", "--all", repo}).exit_status == 2);  // needs --yes without TTY
    }
  }
}

TEST_CASE("an unknown root is refused without a TTY, a pin or --tofu trusts it") {
  auto reg = start_registry();
  REQUIRE(push_fixtures(*reg, "secure-app").ok());
  User owner(*reg);
  const std::string repo = reg->host_port() + "/secure-app";
  REQUIRE(owner.run({"sign", "--init", repo + ":signed"}).exit_status == 0);
  auto root_key =
      json::parse(owner.run({"inspect", repo}).out)[0]["AdministrativeKeys"][0]["Keys"][0]["ID"]
          .get<std::string>();

  User ci(*reg);  // a fresh CI runner: no TTY, no state
  auto refused = ci.run({"verify", repo + ":signed"});
  CHECK(refused.exit_status == 12);
  CHECK(refused.err.find("trustctl trust pin " + repo + " --fingerprint " + root_key) !=
        std::string::npos);

  User pinned(*reg);
  REQUIRE(pinned.run({"trust", "pin", repo, "--fingerprint", root_key}).exit_status == 0);
  CHECK(pinned.run({"trust", "list"}).out.find(root_key) != std::string::npos);
  auto ok = pinned.run({"verify", repo + ":signed"});
  INFO(ok.err);
  CHECK(ok.exit_status == 0);
  CHECK(json::parse(pinned.run({"verify", "-o", "json", repo + ":signed"}).out)["root_origin"] ==
        "pinned");

  User wrong_pin(*reg);
  REQUIRE(
      wrong_pin.run({"trust", "pin", repo, "--fingerprint", std::string(64, 'a')}).exit_status ==
      0);
  CHECK(wrong_pin.run({"verify", repo + ":signed"}).exit_status == 12);

  auto tofu = ci.run({"verify", "--tofu", repo + ":signed"});
  CHECK(tofu.exit_status == 0);
  CHECK(tofu.err.find("on first use") != std::string::npos);
  // A pin set after a root was learned on first use replaces that trust: a wrong pin now fails.
  REQUIRE(ci.run({"trust", "pin", repo, "--fingerprint", std::string(64, 'b')}).exit_status == 0);
  CHECK(ci.run({"verify", repo + ":signed"}).exit_status == 12);
  REQUIRE(ci.run({"trust", "pin", repo, "--fingerprint", root_key}).exit_status == 0);
  CHECK(ci.run({"verify", repo + ":signed"}).exit_status == 0);
}

TEST_CASE("an attacker with push rights is caught") {
  auto reg = start_registry();
  REQUIRE(push_fixtures(*reg, "secure-app").ok());
  REQUIRE(push_fixtures(*reg, "other-app").ok());
  TempDir scratch;
  Attacker attacker(*reg, scratch.path);
  User owner(*reg);
  const std::string repo = reg->host_port() + "/secure-app";
  const std::string other = reg->host_port() + "/other-app";
  REQUIRE(owner.run({"sign", "--init", repo + ":signed"}).exit_status == 0);
  auto old_trust = attacker.trust_manifest("secure-app");
  REQUIRE(owner.run({"sign", repo + ":v1"}).exit_status == 0);
  REQUIRE(owner.run({"verify", repo + ":v1"}).exit_status == 0);

  SECTION("re-tagging the image does not move the signed tag") {
    auto v1 = attacker.client->get_manifest("secure-app", "v1-docker");
    REQUIRE(
        attacker.client->put_manifest("secure-app", "signed", v1->descriptor.media_type, v1->bytes)
            .ok());
    auto r = owner.run({"verify", repo + ":signed"});
    CHECK(r.exit_status == 0);
    CHECK(digest_line(r) == fixture_digest::kSecureApp);
  }
  SECTION("putting back an older trust manifest is a rollback (13)") {
    REQUIRE(attacker.client
                ->put_manifest("secure-app", std::string(truststore::kReservedTag),
                               old_trust.descriptor.media_type, old_trust.bytes)
                .ok());
    auto r = owner.run({"verify", repo + ":signed"});
    CHECK(r.exit_status == 13);
  }
  SECTION("deleting the reserved tag is an attack, not 'unsigned' (13)") {
    auto now = attacker.trust_manifest("secure-app");
    REQUIRE(attacker.client->delete_manifest("secure-app", now.descriptor.digest).ok());
    auto r = owner.run({"verify", repo + ":signed"});
    CHECK(r.exit_status == 13);
    CHECK(r.err.find("gone") != std::string::npos);
    // and a new sign refuses to mint a new root over it
    CHECK(owner.run({"sign", "--init", repo + ":signed"}).exit_status == 13);
  }
  SECTION("another repository's trust data copied in is refused (12)") {
    User other_owner(*reg);
    REQUIRE(other_owner.run({"sign", "--init", other + ":signed"}).exit_status == 0);
    attacker.put_trust_manifest("other-app", attacker.trust_manifest("other-app"), "secure-app");
    CHECK(owner.run({"verify", repo + ":signed"}).exit_status == 12);
    // A newcomer who trusts on first use still sees the wrong repository binding.
    User newcomer(*reg);
    auto r = newcomer.run({"verify", "--tofu", repo + ":signed"});
    CHECK(r.exit_status == 12);
    CHECK(r.err.find("made for repository 'other-app'") != std::string::npos);
  }
  SECTION("altered trust blobs are refused (12)") {
    auto now = attacker.trust_manifest("secure-app");
    for (const auto& l : now.layers) {
      if (l.annotations.at(std::string(truststore::kFileNameAnnotation)) != "timestamp.json")
        continue;
      std::string hex = l.digest.substr(7);
      std::string path = reg->data_dir() + "/docker/registry/v2/blobs/sha256/" + hex.substr(0, 2) +
                         "/" + hex + "/data";
      auto bytes = fs::read_file(path).value();
      bytes[bytes.size() / 2] ^= 1;
      REQUIRE(fs::write_file_atomic(path, bytes, 0644).ok());
    }
    User newcomer(*reg);
    CHECK(newcomer.run({"verify", "--tofu", repo + ":signed"}).exit_status == 12);
  }
  SECTION("a deleted trust blob is refused as tampering (12)") {
    auto now = attacker.trust_manifest("secure-app");
    for (const auto& l : now.layers)
      if (l.annotations.at(std::string(truststore::kFileNameAnnotation)) == "timestamp.json")
        REQUIRE(attacker.client->delete_blob("secure-app", l.digest).ok());
    User newcomer(*reg);
    auto r = newcomer.run({"verify", "--tofu", repo + ":signed"});
    CHECK(r.exit_status == 12);
    CHECK(r.err.find("tampered") != std::string::npos);
  }
  SECTION("another manifest served for the signed digest is refused (12)") {
    std::string hex = std::string(fixture_digest::kSecureApp).substr(7);
    std::string path = reg->data_dir() + "/docker/registry/v2/blobs/sha256/" + hex.substr(0, 2) +
                       "/" + hex + "/data";
    auto bytes = fs::read_file(path).value();
    // Still valid JSON, so the registry serves it: flip the last hex digit of a layer digest.
    auto at = bytes.rfind("sha256:") + 7 + 63;
    bytes[at] = bytes[at] == '0' ? '1' : '0';
    REQUIRE(fs::write_file_atomic(path, bytes, 0644).ok());
    auto r = owner.run({"verify", repo + ":signed"});
    CHECK(r.exit_status == 12);
    CHECK(r.err.find("do not match the digest") != std::string::npos);
  }
}

TEST_CASE("eight signers at once and a revoke racing a sign lose nothing (repeated)") {
  auto reg = start_registry();
  REQUIRE(push_fixtures(*reg, "secure-app").ok());
  User owner(*reg);
  const std::string repo = reg->host_port() + "/secure-app";
  REQUIRE(owner.run({"sign", "--init", repo + ":signed"}).exit_status == 0);
  // Eight more tags of the same image for the signers.
  TempDir scratch;
  auto client = client_for(*reg, scratch.path);
  auto image = client->get_manifest("secure-app", "signed");
  REQUIRE(image.ok());
  std::vector<std::string> tags;
  for (int i = 0; i < 8; ++i) {
    tags.push_back("t" + std::to_string(i));
    REQUIRE(
        client->put_manifest("secure-app", tags.back(), image->descriptor.media_type, image->bytes)
            .ok());
  }
  for (int round = 0; round < 3; ++round) {
    std::vector<ProcessOutput> results(tags.size() + 1);
    std::vector<std::thread> threads;
    for (size_t i = 0; i < tags.size(); ++i)
      threads.emplace_back([&, i] { results[i] = owner.run({"sign", repo + ":" + tags[i]}); });
    // Round 0: revoke races the signers; round 1: it is revoked again after a re-sign.
    threads.emplace_back([&] { results.back() = owner.run({"revoke", repo + ":signed"}); });
    for (auto& t : threads) t.join();
    for (const auto& r : results) {
      INFO(r.err);
      CHECK(r.exit_status == 0);
    }
    auto inspect = json::parse(owner.run({"inspect", repo}).out);
    std::set<std::string> signed_tags;
    for (const auto& t : inspect[0]["SignedTags"]) signed_tags.insert(t["SignedTag"]);
    for (const auto& t : tags) CHECK(signed_tags.count(t) == 1);
    CHECK(signed_tags.count("signed") == 0);
    CHECK(owner.run({"verify", repo + ":signed"}).exit_status == 10);
    // Put it back for the next round, and unsign the eight.
    REQUIRE(owner.run({"sign", repo + ":signed"}).exit_status == 0);
    std::vector<std::string> revoke_args = {"revoke"};
    for (const auto& t : tags) revoke_args.push_back(repo + ":" + t);
    REQUIRE(owner.run(revoke_args).exit_status == 0);
  }
}

TEST_CASE("repo init, pins and --digest over TLS with Basic auth") {
  RegistryOptions o;
  o.tls = true;
  o.htpasswd = Credentials{"bob", "b0b-secret"};
  auto reg = start_registry(o);
  REQUIRE(push_fixtures(*reg, "secure-app").ok());
  User owner(*reg);
  owner.login(*reg);
  const std::string repo = reg->host_port() + "/secure-app";

  auto init = owner.run({"repo", "init", repo});
  INFO(init.err);
  REQUIRE(init.exit_status == 0);
  CHECK(owner.run({"repo", "init", repo}).exit_status == 2);  // already initialised
  CHECK(owner.run({"repo", "init", repo + ":v1"}).exit_status == 2);

  // --digest pins what is signed: a tag that points elsewhere is refused.
  auto mismatch = owner.run({"sign", "--digest", fixture_digest::kV1, repo + ":signed"});
  CHECK(mismatch.exit_status == 12);
  CHECK(mismatch.err.find("refusing to sign") != std::string::npos);
  auto pinned = owner.run({"sign", "--digest", fixture_digest::kSecureApp, repo + ":signed"});
  INFO(pinned.err);
  REQUIRE(pinned.exit_status == 0);

  // The root's public key file pins it on another machine.
  auto keys = json::parse(owner.run({"key", "list", "-o", "json"}).out);
  std::string root_id;
  for (const auto& k : keys)
    if (k["role"] == "root") root_id = k["id"];
  REQUIRE_FALSE(root_id.empty());
  auto pem = owner.run({"key", "export", "--public", root_id});
  REQUIRE(pem.exit_status == 0);
  User other(*reg);
  other.login(*reg);
  REQUIRE(fs::write_file_atomic(other.home.path + "/root.pem", pem.out, 0644).ok());
  auto pin = other.run({"trust", "pin", repo, "--root-key", other.home.path + "/root.pem"});
  INFO(pin.err);
  REQUIRE(pin.exit_status == 0);
  CHECK(pin.out.find(root_id) != std::string::npos);
  auto verified = other.run({"verify", repo + ":signed"});
  INFO(verified.err);
  CHECK(verified.exit_status == 0);
  CHECK(digest_line(verified) == fixture_digest::kSecureApp);
  auto unpinned = other.run({"trust", "unpin", "-o", "json", repo});
  CHECK(unpinned.exit_status == 0);
  CHECK(json::parse(unpinned.out)["forgot_trusted_state"] == true);  // the pin had decided it
  CHECK(other.run({"trust", "unpin", repo}).exit_status == 11);
  CHECK(other.run({"trust", "list", "-o", "json"}).out.find(repo) == std::string::npos);
}

// The requests the registry itself logged (its access log) after byte `from` of the log.
std::vector<std::string> logged_requests(const TestRegistry& reg, std::size_t from) {
  auto log = fs::read_file(reg.log_file());
  REQUIRE(log.ok());
  std::vector<std::string> out;
  std::istringstream lines(log->substr(std::min(from, log->size())));
  for (std::string line; std::getline(lines, line);) {
    // 127.0.0.1 - - [date] "HEAD /v2/secure-app/manifests/_trustctl HTTP/1.1" 200 ...
    auto open = line.find("] \"");
    if (open == std::string::npos) continue;
    auto close = line.find(" HTTP/", open);
    if (close == std::string::npos) continue;
    out.push_back(line.substr(open + 3, close - open - 3));
  }
  return out;
}

std::size_t log_size(const TestRegistry& reg) {
  auto log = fs::read_file(reg.log_file());
  REQUIRE(log.ok());
  return log->size();
}

TEST_CASE(
    "a warm verify of an unchanged repository: one request for the trust data, none for /v2/") {
  RegistryOptions o;
  o.tls = true;
  o.token = Credentials{"alice", "t0ken-pass"};
  auto reg = start_registry(std::move(o));
  REQUIRE(push_fixtures(*reg, "secure-app").ok());
  User owner(*reg);
  owner.login(*reg);
  const std::string repo = reg->host_port() + "/secure-app";
  REQUIRE(owner.run({"sign", "--init", repo + ":signed"}).exit_status == 0);
  auto cold = owner.run({"verify", "-o", "json", repo + ":signed"});
  REQUIRE(cold.exit_status == 0);
  auto tokens_before = fs::read_file(reg->token_requests_file());
  REQUIRE(tokens_before.ok());

  const auto from = log_size(*reg);
  auto warm = owner.run({"--debug", "verify", "-o", "json", repo + ":signed"});
  INFO(warm.err);
  REQUIRE(warm.exit_status == 0);
  // Give the registry a moment to flush its access log line.
  std::vector<std::string> asked;
  for (int i = 0; i < 50 && asked.size() < 2; ++i) {
    asked = logged_requests(*reg, from);
    if (asked.size() < 2) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  INFO("registry log: " << reg->log_tail(10));
  // The HEAD of the trust data, then the image manifest by its signed digest: no GET /v2/, no
  // 401 round trip, no token request, no blob.
  REQUIRE(asked.size() == 2);
  CHECK(asked[0] == "HEAD /v2/secure-app/manifests/_trustctl");
  CHECK(asked[1] == "GET /v2/secure-app/manifests/" + std::string(fixture_digest::kSecureApp));
  auto tokens_after = fs::read_file(reg->token_requests_file());
  REQUIRE(tokens_after.ok());
  CHECK(*tokens_after == *tokens_before);
  CHECK(warm.err.find("unchanged since it was verified") != std::string::npos);

  // The caches are an optimisation only: without them, the same answer (and one more round of
  // requests). The JSON of verify and of inspect are compared whole.
  auto inspect_warm = owner.run({"inspect", repo});
  REQUIRE(inspect_warm.exit_status == 0);
  const std::string trust_dir = owner.home.path + "/trust";
  std::filesystem::remove_all(trust_dir + "/cache");
  std::filesystem::remove(trust_dir + "/tuf/" + reg->host_port() + "/secure-app/verified.cache");
  auto uncached = owner.run({"--debug", "verify", "-o", "json", repo + ":signed"});
  REQUIRE(uncached.exit_status == 0);
  CHECK(uncached.err.find("unchanged since it was verified") == std::string::npos);
  CHECK(json::parse(uncached.out) == json::parse(warm.out));
  CHECK(json::parse(cold.out) == json::parse(warm.out));
  std::filesystem::remove(trust_dir + "/tuf/" + reg->host_port() + "/secure-app/verified.cache");
  auto inspect_uncached = owner.run({"inspect", repo});
  REQUIRE(inspect_uncached.exit_status == 0);
  CHECK(inspect_uncached.out == inspect_warm.out);
}

TEST_CASE("the verified-state cache never hides a change, a rollback or an expiry") {
  auto reg = start_registry();
  REQUIRE(push_fixtures(*reg, "secure-app").ok());
  User owner(*reg);
  const std::string repo = reg->host_port() + "/secure-app";
  REQUIRE(owner.run({"sign", "--init", repo + ":signed"}).exit_status == 0);
  REQUIRE(owner.run({"verify", repo + ":signed"}).exit_status == 0);
  TempDir scratch;
  Attacker attacker(*reg, scratch.path);
  const auto old_state = attacker.trust_manifest("secure-app");

  // A new signature: the head moved, so the cache is not used and the new tag verifies.
  REQUIRE(owner.run({"sign", repo + ":v1"}).exit_status == 0);
  auto v1 = owner.run({"--debug", "verify", repo + ":v1"});
  INFO(v1.err);
  CHECK(v1.exit_status == 0);
  auto again = owner.run({"--debug", "verify", repo + ":v1"});
  CHECK(again.err.find("unchanged since it was verified") != std::string::npos);
  const auto new_state = attacker.trust_manifest("secure-app");

  // The attacker puts the older state back: a new head again, so the full TUF client runs and
  // sees the rollback (the cache held the newer state and is not consulted for this one).
  attacker.put_trust_manifest("secure-app", old_state, "secure-app");
  auto replayed = owner.run({"--debug", "verify", repo + ":signed"});
  INFO(replayed.err);
  CHECK(replayed.exit_status == 13);
  CHECK(replayed.err.find("unchanged since it was verified") == std::string::npos);

  // Time passes (faketime, the client's clock only): the timestamp expires 14 days after the
  // publish. Ten days on, within the 7-day warning period, the full verification runs and
  // warns; sixteen days on, it refuses as expired, as without a cache.
  attacker.put_trust_manifest("secure-app", new_state, "secure-app");  // the real head again
  auto restored = owner.run({"--debug", "verify", repo + ":v1"});
  INFO(restored.err);
  REQUIRE(restored.exit_status == 0);
  auto later = [&](const std::string& offset) {
    std::vector<std::string> argv = {"faketime", "-f", offset, "env", "-u", "DOCKER_CONFIG"};
    argv.insert(argv.end(), owner.env.begin(), owner.env.end());
    argv.insert(argv.end(), {TRUSTCTL_BIN, "--debug", "verify", repo + ":v1"});
    auto r = run_process(argv);
    REQUIRE(r.ok());
    return *r;
  };
  auto soon = later("+10d");
  INFO(soon.err);
  CHECK(soon.exit_status == 0);
  CHECK(soon.err.find("unchanged since it was verified") == std::string::npos);
  CHECK(soon.err.find("expires at") != std::string::npos);
  auto expired = later("+16d");
  INFO(expired.err);
  CHECK(expired.exit_status == 13);
  CHECK(expired.err.find("unchanged since it was verified") == std::string::npos);
}
TEST_CASE("repo status shows every role, repo refresh renews snapshot and timestamp") {
  auto reg = start_registry();
  REQUIRE(push_fixtures(*reg, "secure-app").ok());
  User owner(*reg);
  const std::string repo = reg->host_port() + "/secure-app";
  REQUIRE(owner.run({"sign", "--init", repo + ":signed"}).exit_status == 0);
  auto version_of = [&](const std::string& role) {
    auto status = owner.run({"repo", "status", "-o", "json", repo});
    REQUIRE(status.exit_status == 0);
    const json parsed = json::parse(status.out);
    for (const auto& r : parsed["roles"])
      if (r["role"] == role) return r["version"].get<std::int64_t>();
    FAIL("no role " << role);
    return std::int64_t{0};
  };
  auto text = owner.run({"repo", "status", repo});
  CHECK(text.out.find("timestamp") != std::string::npos);
  CHECK(text.out.find("THRESHOLD") != std::string::npos);
  const auto ts = version_of("timestamp"), sn = version_of("snapshot"), tg = version_of("targets");
  auto refreshed = owner.run({"repo", "refresh", repo});
  INFO(refreshed.err);
  REQUIRE(refreshed.exit_status == 0);
  CHECK(version_of("timestamp") == ts + 1);
  CHECK(version_of("snapshot") == sn + 1);
  CHECK(version_of("targets") == tg);
  CHECK(owner.run({"verify", repo + ":signed"}).exit_status == 0);
  CHECK(owner.run({"repo", "status", reg->host_port() + "/nothing-here"}).exit_status == 10);
}

TEST_CASE("signers on the command line: 2-of-2 release signers, inspect, status, rotation") {
  auto reg = start_registry();
  REQUIRE(push_fixtures(*reg, "secure-app").ok());
  const std::string repo = reg->host_port() + "/secure-app";
  User owner(*reg), alice(*reg), bob(*reg);
  REQUIRE(owner.run({"sign", "--init", repo + ":app"}).exit_status == 0);
  auto inspect = [&](const User& u) {
    auto r = u.run({"inspect", repo});
    INFO(r.err);
    REQUIRE(r.exit_status == 0);
    return json::parse(r.out)[0];
  };
  const std::string root_key = inspect(owner)["AdministrativeKeys"][0]["Keys"][0]["ID"];
  for (const User* u : {&alice, &bob}) {
    REQUIRE(u->run({"trust", "pin", repo, "--fingerprint", root_key}).exit_status == 0);
  }
  REQUIRE(alice.run({"key", "generate", "alice", "--dir", alice.home.path}).exit_status == 0);
  REQUIRE(bob.run({"key", "generate", "bob", "--dir", bob.home.path}).exit_status == 0);

  // Usage errors name what was wrong and publish nothing.
  auto bad_name =
      owner.run({"signer", "add", "Root", repo, "--key", alice.home.path + "/alice.pub"});
  CHECK(bad_name.exit_status == 2);
  CHECK(bad_name.err.find("invalid signer name") != std::string::npos);
  auto no_key = owner.run({"signer", "add", "release", repo, "--key", "/nonexistent.pub"});
  CHECK(no_key.exit_status == 2);
  // Only the holder of the repository key adds signers.
  auto not_admin =
      alice.run({"signer", "add", "release", repo, "--key", alice.home.path + "/alice.pub"});
  CHECK(not_admin.exit_status == 4);

  auto added = owner.run({"signer", "add", "release", repo, "--key", alice.home.path + "/alice.pub",
                          "--key", bob.home.path + "/bob.pub", "--threshold", "2", "-o", "json"});
  INFO(added.err);
  REQUIRE(added.exit_status == 0);
  CHECK(json::parse(added.out)["threshold"] == 2);
  CHECK(json::parse(added.out)["keyids"].size() == 2);

  auto first = alice.run({"sign", "--signer", "release", repo + ":signed"});
  INFO(first.err);
  REQUIRE(first.exit_status == 0);
  CHECK(first.out.find("1 of 2 signature(s), waiting for 1 more") != std::string::npos);
  auto not_yet = owner.run({"verify", repo + ":signed"});
  CHECK(not_yet.exit_status == 10);
  CHECK(not_yet.err.find("version 1 of signer release signs it and waits for 1 more") !=
        std::string::npos);
  auto status = owner.run({"repo", "status", "-o", "json", repo});
  REQUIRE(status.exit_status == 0);
  const json st = json::parse(status.out);
  REQUIRE(st["signers"].size() == 1);
  CHECK(st["signers"][0]["name"] == "release");
  CHECK(st["signers"][0]["pending"]["signed_by"].size() == 1);
  CHECK(st["signers"][0]["pending"]["waiting_for"].size() == 1);
  CHECK(st["signers"][0]["pending"]["adds"]["signed"] == fixture_digest::kSecureApp);
  auto status_text = owner.run({"repo", "status", repo});
  CHECK(status_text.out.find("Pending: signer release version 1, 1 of 2") != std::string::npos);

  auto second = bob.run({"sign", "--signer", "release", "-o", "json", repo + ":signed"});
  INFO(second.err);
  REQUIRE(second.exit_status == 0);
  CHECK(json::parse(second.out)["signatures"] == 2);
  CHECK(json::parse(second.out)["published"] == false);  // bob holds no snapshot key
  auto list = owner.run({"signer", "list", repo});
  CHECK(list.out.find("ready") != std::string::npos);
  REQUIRE(owner.run({"repo", "refresh", repo}).exit_status == 0);
  CHECK(digest_line(bob.run({"verify", repo + ":signed"})) == fixture_digest::kSecureApp);

  // inspect: the shape of docker trust inspect after `docker trust signer add`.
  const json view = inspect(bob);
  REQUIRE(view["Signers"].size() == 1);
  CHECK(view["Signers"][0]["Name"] == "release");
  CHECK(view["Signers"][0]["Keys"].size() == 2);
  for (const auto& t : view["SignedTags"]) {
    if (t["SignedTag"] == "signed") CHECK(t["Signers"] == json::array({"release"}));
    if (t["SignedTag"] == "app") CHECK(t["Signers"] == json::array({"Repo Admin"}));
  }
  auto pretty = bob.run({"inspect", "--pretty", repo});
  CHECK(pretty.out.find("List of signers and their keys for " + repo) != std::string::npos);

  // Rotating the root key: alice, who saw the old root, follows the chain.
  auto rotated = owner.run({"repo", "rotate", repo, "root", "-o", "json"});
  INFO(rotated.err);
  REQUIRE(rotated.exit_status == 0);
  CHECK(json::parse(rotated.out)["root_version"] == 2);
  CHECK(json::parse(rotated.out)["keyid"] != root_key);
  CHECK(digest_line(alice.run({"verify", repo + ":signed"})) == fixture_digest::kSecureApp);
  CHECK(inspect(alice)["AdministrativeKeys"][0]["Keys"][0]["ID"] ==
        json::parse(rotated.out)["keyid"]);
  CHECK(owner.run({"repo", "rotate", repo, "release"}).exit_status == 2);

  // A rotation to a key brought in a file (PKCS#8 PEM, as openssl writes it).
  const std::string key_file = owner.home.path + "/targets.pem";
  REQUIRE(run_process({"openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                       "ec_paramgen_curve:P-256", "-out", key_file})
              ->exit_status == 0);
  auto to_file = owner.run({"repo", "rotate", repo, "targets", "--key", key_file, "-o", "json"});
  INFO(to_file.err);
  REQUIRE(to_file.exit_status == 0);
  CHECK(inspect(bob)["AdministrativeKeys"][1]["Keys"][0]["ID"] ==
        json::parse(to_file.out)["keyid"]);
  CHECK(digest_line(bob.run({"verify", repo + ":signed"})) == fixture_digest::kSecureApp);
  // Without the root key a rotation fails, and the key it generated does not stay behind.
  auto keys_before = alice.run({"key", "list", "-o", "json"});
  auto no_root = alice.run({"repo", "rotate", repo, "timestamp"});
  CHECK(no_root.exit_status == 4);
  CHECK(alice.run({"key", "list", "-o", "json"}).out == keys_before.out);

  // Removing the signer: its tags stop counting for everyone.
  CHECK(owner.run({"signer", "remove", "release", repo}).exit_status == 2);  // needs --yes
  REQUIRE(owner.run({"signer", "remove", "--yes", "release", repo}).exit_status == 0);
  CHECK(alice.run({"verify", repo + ":signed"}).exit_status == 10);
  CHECK(alice.run({"sign", "--signer", "release", repo + ":signed"}).exit_status == 12);
}

TEST_CASE("a mirror under another path verifies only when mapped explicitly") {
  auto reg = start_registry();
  REQUIRE(push_fixtures(*reg, "secure-app").ok());
  REQUIRE(push_fixtures(*reg, "mirror/secure-app").ok());  // same images, same digests
  TempDir scratch;
  Attacker copier(*reg, scratch.path);
  User owner(*reg);
  const std::string repo = reg->host_port() + "/secure-app";
  const std::string mirror = reg->host_port() + "/mirror/secure-app";
  REQUIRE(owner.run({"sign", "--init", repo + ":signed"}).exit_status == 0);
  copier.put_trust_manifest("secure-app", copier.trust_manifest("secure-app"), "mirror/secure-app");

  User reader(*reg);
  auto unmapped = reader.run({"verify", "--tofu", mirror + ":signed"});
  CHECK(unmapped.exit_status == 12);
  CHECK(unmapped.err.find("made for repository 'secure-app'") != std::string::npos);
  auto mapped =
      reader.run({"verify", "--tofu", "--trust-repository", "secure-app", mirror + ":signed"});
  INFO(mapped.err);
  CHECK(mapped.exit_status == 0);
  CHECK(digest_line(mapped) == fixture_digest::kSecureApp);
}
