// trustctl copy on real registries: signed tags with their images and their trust data, to a
// second registry (TLS and token auth) and to another path of the same registry, without
// re-signing; a fresh trust dir pinned to the root verifies and pulls the copy; what does not
// verify at the source is not copied, and trust data already at the destination is never rolled
// back or taken over (docs/image-transfer.md, "copy").
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "trust_cli_env.h"
#include "trustctl/core/fs.h"

using namespace trustctl;
using namespace trustctl::testing;
using nlohmann::json;
namespace stdfs = std::filesystem;

namespace {

// A source registry with the fixtures, signed by `owner`, and a destination registry over TLS
// with token auth that `owner` may push to.
struct CopyScene {
  std::unique_ptr<TestRegistry> src = start_registry();
  std::unique_ptr<TestRegistry> dst = [] {
    RegistryOptions o;
    o.tls = true;
    o.token = Credentials{"alice", "t0ken-pass"};
    return start_registry(o);
  }();
  TempDir scratch;
  std::unique_ptr<User> owner;
  std::string from;  // src/secure-app
  std::string to;    // dst/secure-app
  std::string root_key;

  CopyScene() {
    REQUIRE(push_fixtures(*src, "secure-app").ok());
    owner = std::make_unique<User>(*src);
    make_certs_root(*dst, owner->home.path + "/.docker");
    owner->login(*dst);
    from = src->host_port() + "/secure-app";
    to = dst->host_port() + "/secure-app";
    auto signed_ =
        owner->run({"sign", "--init", from + ":signed", from + ":multi", from + ":v1-docker"});
    INFO(signed_.err);
    REQUIRE(signed_.exit_status == 0);
    root_key =
        json::parse(owner->run({"inspect", from}).out)[0]["AdministrativeKeys"][0]["Keys"][0]["ID"]
            .get<std::string>();
  }
  ProcessOutput copy(std::vector<std::string> args) const {
    args.insert(args.begin(), {"copy", "-o", "json"});
    return owner->run(args);
  }
  // A user of the destination only, who trusts nothing but the pinned root key.
  std::unique_ptr<User> fresh_user_at(const TestRegistry& reg, const std::string& repo) const {
    auto u = std::make_unique<User>(reg);
    u->login(reg);
    auto pinned = u->run({"trust", "pin", repo, "--fingerprint", root_key});
    INFO(pinned.err);
    REQUIRE(pinned.exit_status == 0);
    return u;
  }
  bool has_trust_data(const TestRegistry& reg, const std::string& path) const {
    auto client = client_for(reg, scratch.path);
    return client->head_manifest(path, std::string(truststore::kReservedTag)).ok();
  }
};

}  // namespace

TEST_CASE("copy to a second registry: a fresh trust dir pinned to the root verifies and pulls") {
  CopyScene s;
  auto r = s.copy({s.from + ":signed", "--tag", "multi", s.to});
  INFO(r.err);
  REQUIRE(r.exit_status == 0);
  auto j = json::parse(r.out);
  CHECK(j["trust_data"] == "written");
  CHECK(j["trust_repository"].is_null());
  CHECK(j["root_keys"][0] == s.root_key);
  REQUIRE(j["tags"].size() == 2);
  CHECK(j["tags"][0]["digest"] == fixture_digest::kSecureApp);
  CHECK(j["tags"][1]["digest"] == fixture_digest::kMulti);
  CHECK(j["blobs_transferred"].get<int>() >= 4);  // the image's and both platforms' blobs
  CHECK(r.err.find("trustctl trust pin " + s.to + " --fingerprint " + s.root_key) ==
        std::string::npos);  // -o json: the hint is not printed

  auto user = s.fresh_user_at(*s.dst, s.to);
  auto signed_ = user->run({"verify", s.to + ":signed"});
  INFO(signed_.err);
  CHECK(digest_line(signed_) == fixture_digest::kSecureApp);
  auto multi = user->run({"verify", s.to + ":multi"});  // every child checked there too
  INFO(multi.err);
  CHECK(digest_line(multi) == fixture_digest::kMulti);
  const std::string layout = s.scratch.path + "/pulled";
  auto pulled = user->run({"pull", s.to + ":multi", "oci:" + layout + ":multi"});
  INFO(pulled.err);
  CHECK(pulled.exit_status == 0);
  // Signed at the source but not copied: the trust data names it, the registry lacks it (11).
  CHECK(user->run({"verify", s.to + ":v1-docker"}).exit_status == 11);

  // The same copy again moves nothing and leaves the trust data as it is.
  auto again = s.copy({s.from + ":signed", "-t", "multi", s.to});
  REQUIRE(again.exit_status == 0);
  auto k = json::parse(again.out);
  CHECK(k["trust_data"] == "unchanged");
  CHECK(k["blobs_transferred"] == 0);

  // A newer state at the source (one more signed tag) is promoted with --all-tags, and the
  // pinned user follows it.
  REQUIRE(s.owner->run({"sign", s.from + ":v1"}).exit_status == 0);
  auto all = s.copy({"--all-tags", s.from, s.to});
  INFO(all.err);
  REQUIRE(all.exit_status == 0);
  CHECK(json::parse(all.out)["trust_data"] == "written");
  CHECK(json::parse(all.out)["tags"].size() == 4);
  CHECK(digest_line(user->run({"verify", s.to + ":v1"})) == fixture_digest::kV1);
  CHECK(digest_line(user->run({"verify", s.to + ":v1-docker"})) == fixture_digest::kV1Docker);
}

TEST_CASE("copy within one registry mounts blobs, and at another path only the mapping verifies") {
  CopyScene s;
  const std::string mirror = s.src->host_port() + "/mirror/app";
  auto r = s.owner->run({"copy", s.from + ":signed", mirror});
  INFO(r.err);
  REQUIRE(r.exit_status == 0);
  CHECK(digest_line(r) == mirror + ":signed@" + fixture_digest::kSecureApp);
  // The next step is spelled out, mapping included.
  CHECK(r.err.find("trustctl trust pin " + mirror + " --fingerprint " + s.root_key) !=
        std::string::npos);
  CHECK(r.err.find("--trust-repository secure-app") != std::string::npos);
  auto j = json::parse(
      s.owner->run({"copy", "-o", "json", s.from + ":multi", s.src->host_port() + "/mirror/m"})
          .out);
  CHECK(j["blobs_transferred"] == 0);  // every blob mounted from secure-app
  CHECK(j["blobs_reused"].get<int>() >= 4);
  CHECK(j["trust_repository"] == "secure-app");

  auto user = s.fresh_user_at(*s.src, mirror);
  auto unmapped = user->run({"verify", mirror + ":signed"});
  CHECK(unmapped.exit_status == 12);
  CHECK(unmapped.err.find("secure-app") != std::string::npos);
  auto mapped = user->run({"verify", "--trust-repository", "secure-app", mirror + ":signed"});
  INFO(mapped.err);
  CHECK(digest_line(mapped) == fixture_digest::kSecureApp);
}

TEST_CASE("copy refuses what does not verify at the source and leaves the destination alone") {
  CopyScene s;
  // Usage: a tag rename, the same repository, a digest.
  CHECK(s.copy({s.from + ":signed", s.to + ":other"}).exit_status == 2);
  CHECK(s.copy({s.from + ":signed", s.from}).exit_status == 2);
  CHECK(s.copy({s.from + "@" + std::string(fixture_digest::kSecureApp), s.to}).exit_status == 2);
  CHECK(s.copy({"--all-tags", s.from + ":signed", s.to}).exit_status == 2);

  // An unsigned tag (`app` exists in the registry, unsigned): exit 10, nothing copied.
  auto unsigned_ = s.copy({s.from + ":app", s.to});
  CHECK(unsigned_.exit_status == 10);
  CHECK_FALSE(s.has_trust_data(*s.dst, "secure-app"));

  // A layer altered on the source registry's disk: exit 12 naming it, no trust data written.
  auto manifest = Attacker(*s.src, s.scratch.path).client->get_manifest("secure-app", "v1-docker");
  REQUIRE(manifest.ok());
  const auto& layer = manifest->layers.front();
  const std::string hex = layer.digest.substr(7);
  const std::string data = s.src->data_dir() + "/docker/registry/v2/blobs/sha256/" +
                           hex.substr(0, 2) + "/" + hex + "/data";
  REQUIRE(fs::write_file_atomic(data, std::string(static_cast<std::size_t>(layer.size), 'x'), 0644)
              .ok());
  auto tampered = s.copy({s.from + ":v1-docker", s.to});
  CHECK(tampered.exit_status == 12);
  CHECK(tampered.err.find(layer.digest) != std::string::npos);
  CHECK_FALSE(s.has_trust_data(*s.dst, "secure-app"));

  // The destination holds trust data of another root: not taken over (12), left as it was.
  REQUIRE(push_fixtures(*s.dst, "secure-app").ok());
  User other(*s.dst);
  other.login(*s.dst);
  REQUIRE(other.run({"sign", "--init", s.to + ":signed"}).exit_status == 0);
  auto before = Attacker(*s.dst, s.scratch.path).trust_manifest("secure-app").descriptor.digest;
  auto taken = s.copy({s.from + ":signed", s.to});
  CHECK(taken.exit_status == 12);
  CHECK(taken.err.find("another root") != std::string::npos);
  CHECK(Attacker(*s.dst, s.scratch.path).trust_manifest("secure-app").descriptor.digest == before);
  CHECK(digest_line(other.run({"verify", s.to + ":signed"})) == fixture_digest::kSecureApp);
}
