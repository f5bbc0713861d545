// The network as the attacker (issue 11): trustctl talks to a real registry:2 through a
// HostileProxy that redirects, rewrites, injects statuses and drips bodies. Each test is named
// after the attack and checks what the attacker must not get: credentials, a hang, a wrong exit
// class, a crash. trustctl is given the proxy's 127.0.0.1:PORT as the registry.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>

#include "registry_env.h"
#include "support/hostile_proxy.h"
#include "support/loopback_server.h"
#include "trustctl/core/encoding.h"
#include "trustctl/core/fs.h"
#include "trustctl/core/subprocess.h"
#include "trustctl/registry/digest.h"

using namespace trustctl;
using namespace trustctl::testing;
using nlohmann::json;
using registry::Digest;

namespace {

constexpr const char* kTrustTagPath = "/v2/secure-app/manifests/_trustctl";
// Hang guard for every trustctl run: far above what any of these commands needs on a loaded
// machine; a run that reaches it fails its exit-code check (124) instead of hanging the suite.
constexpr int kHangGuardSeconds = 240;

std::string trustctl_bin() {
  // TRUSTCTL_TEST_BIN runs these attacks against another build (e.g. the code before a fix).
  const char* other = std::getenv("TRUSTCTL_TEST_BIN");
  return other != nullptr && *other != '\0' ? other : TRUSTCTL_BIN;
}

std::unique_ptr<HostileProxy> start_proxy(const TestRegistry& reg) {
  auto proxy = HostileProxy::start(reg.url(), reg.ca_file());
  INFO((proxy.ok() ? std::string() : proxy.error().message()));
  REQUIRE(proxy.ok());
  return std::move(proxy).value();
}

struct Run {
  ProcessOutput out;
  double seconds = 0;
};

// One trustctl user: a home (docker config) and a trust dir; never a TTY.
struct User {
  TempDir home;
  std::vector<std::string> env = {"HOME=" + home.path, "TRUSTCTL_TRUST_DIR=" + home.path + "/trust",
                                  "TRUSTCTL_ROOT_PASSPHRASE=root-secret-1",
                                  "TRUSTCTL_REPOSITORY_PASSPHRASE=repo-secret-1",
                                  "TRUSTCTL_TOFU=0"};

  Run run(const std::vector<std::string>& args, const std::string& input = "",
          const std::vector<std::string>& extra_env = {}) const {
    std::vector<std::string> argv = {"timeout",
                                     "--kill-after=10",
                                     std::to_string(kHangGuardSeconds),
                                     "env",
                                     "-u",
                                     "DOCKER_CONFIG",
                                     "-u",
                                     "TRUSTCTL_TIMEOUT"};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.insert(argv.end(), extra_env.begin(), extra_env.end());
    argv.push_back(trustctl_bin());
    argv.insert(argv.end(), args.begin(), args.end());
    const auto start = std::chrono::steady_clock::now();
    auto r = run_process(argv, input);
    REQUIRE(r.ok());
    Run out{*r, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()};
    std::string line;
    for (const auto& a : args) line += " " + a;
    UNSCOPED_INFO("trustctl" << line << ": exit " << out.out.exit_status << " after " << out.seconds
                             << " s; stderr: " << out.out.err);
    return out;
  }

  void login(const std::string& host, const std::string& user, const std::string& password) {
    auto r = run({"login", "-u", user, "--password-stdin", host}, password + "\n");
    REQUIRE(r.out.exit_status == 0);
  }

  // Signs secure-app:signed through `host` (the proxy) and checks that it verifies.
  void sign_and_verify(const std::string& host) {
    auto s = run({"sign", "--init", host + "/secure-app:signed"});
    REQUIRE(s.out.exit_status == 0);
    auto v = run({"verify", host + "/secure-app:signed"});
    REQUIRE(v.out.exit_status == 0);
  }
};

// The registry with the fixtures behind a HostileProxy, and one user; `sign`: the user has
// signed secure-app:signed through the proxy and verified it.
struct World {
  std::unique_ptr<TestRegistry> reg;
  std::unique_ptr<HostileProxy> proxy;
  std::string host;  // the proxy's 127.0.0.1:PORT: the registry as trustctl sees it
  User user;
  explicit World(bool sign = true, RegistryOptions options = {})
      : reg(start_registry(std::move(options))) {
    REQUIRE(push_fixtures(*reg, "secure-app").ok());
    proxy = start_proxy(*reg);
    host = proxy->host_port();
    if (sign) user.sign_and_verify(host);
  }
};

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

// The registry's own answer for a manifest, straight from it (not through the proxy).
registry::Manifest manifest_from(const TestRegistry& reg, const std::string& reference) {
  TempDir scratch;
  auto client = client_for(reg, scratch.path);
  auto m = client->get_manifest("secure-app", reference);
  REQUIRE(m.ok());
  return *m;
}

// Answers for a hostile registry that serves `body` as the trust data: HEAD of the trust tag
// names body's digest, and a GET of that digest serves it. A registry may do exactly this: the
// digest matches, so only what the bytes say can be refused.
HostileProxy::Before serve_as_trust_data(const std::string& body, const std::string& type) {
  const std::string digest = Digest::of(body).string();
  return [body, type, digest](const ProxyRequest& r) -> std::optional<ProxyAnswer> {
    if (r.path == kTrustTagPath || r.path == "/v2/secure-app/manifests/" + digest) {
      ProxyAnswer a = ProxyAnswer::text(200, body, type);
      a.set_header("Docker-Content-Digest", digest);
      a.set_header("Docker-Distribution-Api-Version", "registry/2.0");
      return a;
    }
    return std::nullopt;
  };
}

// Rewrites what the registry answers for GET `path` with `edit(body)`, and keeps the registry's
// own Docker-Content-Digest consistent with the new bytes (the attacker controls both).
HostileProxy::After rewrite_body(const std::string& path,
                                 std::function<std::string(const std::string&)> edit) {
  return [path, edit](const ProxyRequest& r, ProxyAnswer& a) {
    if (r.method != "GET" || r.path != path || a.status != 200) return;
    a.body = edit(a.body);
    a.set_header("Docker-Content-Digest", Digest::of(a.body).string());
  };
}

}  // namespace

TEST_CASE("network attacker: a blob redirect to an origin that asks for credentials gets none") {
  RegistryOptions o;
  o.htpasswd = Credentials{"alice", "s3cret-pw"};
  World w(false, o);

  // The attacker's origin: 401 with a Bearer realm on itself, and a token server that would
  // hand out a token to whoever sends it credentials. It records every Authorization it sees.
  std::mutex mu;
  std::vector<std::string> seen_auth;
  int token_requests = 0;
  LoopbackServer evil;
  const std::string evil_host = evil.host();
  evil.server().Get(".*", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu);
    if (req.has_header("Authorization")) seen_auth.push_back(req.get_header_value("Authorization"));
    if (req.path == "/token") {
      ++token_requests;
      res.set_content(R"({"token":"evil-token","expires_in":300})", "application/json");
      return;
    }
    res.status = 401;
    res.set_header("WWW-Authenticate",
                   "Bearer realm=\"http://" + evil_host + "/token\",service=\"evil\"");
    res.set_content(R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})",
                    "application/json");
  });

  w.user.login(w.host, "alice", "s3cret-pw");
  w.user.sign_and_verify(w.host);

  // Storage-style redirect of every blob GET to the attacker's origin.
  w.proxy->before([&](const ProxyRequest& r) -> std::optional<ProxyAnswer> {
    if (r.method == "GET" && contains(r.path, "/blobs/sha256:"))
      return ProxyAnswer::redirect(evil.url(r.path));
    return std::nullopt;
  });
  const std::string basic = "Basic " + encoding::base64_encode(std::string("alice:") + "s3cret-pw");

  // resolve reads the config blob.
  auto r = w.user.run({"resolve", w.host + "/secure-app:v1"});
  CHECK(r.out.exit_status == 4);
  CHECK(contains(r.out.err, evil_host));
  CHECK(contains(r.out.err, "no other origin"));
  // verify reads the trust data blobs: a fresh trust dir must fetch them (the first has them
  // cached).
  User fresh;
  fresh.login(w.host, "alice", "s3cret-pw");
  auto v = fresh.run({"verify", "--tofu", w.host + "/secure-app:signed"});
  CHECK(v.out.exit_status == 4);
  CHECK(contains(v.out.err, evil_host));
  std::lock_guard<std::mutex> lock(mu);
  CHECK(token_requests == 0);
  for (const auto& a : seen_auth) CHECK(a != basic);
  CHECK(seen_auth.empty());
}

TEST_CASE("network attacker: a body dripping at 2 bytes per second ends the command with exit 3") {
  World w;

  // Every manifest body (the trust data's, the image's) at 2 bytes/s: a 1 KiB manifest would
  // take over 8 minutes, and the old low-speed floor (1 byte/s) never tripped.
  w.proxy->after([](const ProxyRequest& r, ProxyAnswer& a) {
    if (r.method == "GET" && contains(r.path, "/manifests/")) a.drip_bytes_per_second = 2;
  });
  // 3 attempts of 3 s stalls plus back-off is about 10 s; the bound only catches a hang.
  constexpr double kBoundSeconds = 120;

  auto v = w.user.run({"verify", "--timeout", "3", w.host + "/secure-app:signed"});
  CHECK(v.out.exit_status == 3);
  CHECK(contains(v.out.err, w.host + " was too slow"));
  CHECK(contains(v.out.err, "timed out"));
  CHECK(v.seconds < kBoundSeconds);
  WARN("verify --timeout 3 against a 2 bytes/s drip failed after " << v.seconds << " s");
  // The environment variable does the same.
  auto r = w.user.run({"resolve", w.host + "/secure-app:v1"}, "", {"TRUSTCTL_TIMEOUT=3"});
  CHECK(r.out.exit_status == 3);
  CHECK(contains(r.out.err, w.host + " was too slow"));
  CHECK(r.seconds < kBoundSeconds);
}

TEST_CASE("network attacker: 503 twice on the first GET /v2/ is retried like any request") {
  World w(false);

  SECTION("a burst passes") {
    w.proxy->before([](const ProxyRequest& r) -> std::optional<ProxyAnswer> {
      if (r.method == "GET" && r.path == "/v2/" && r.seen <= 2)
        return ProxyAnswer::registry_error(503, "UNAVAILABLE", "service unavailable");
      return std::nullopt;
    });
    auto r = w.user.run({"resolve", w.host + "/secure-app:v1"});
    CHECK(r.out.exit_status == 0);
    CHECK(contains(r.out.out, fixture_digest::kV1));
    CHECK(w.proxy->count("GET", "/v2/") >= 3);
  }
  SECTION("a registry that keeps failing is exit 3, named as failing, not as no registry") {
    w.proxy->before([](const ProxyRequest& r) -> std::optional<ProxyAnswer> {
      if (r.method == "GET" && r.path == "/v2/")
        return ProxyAnswer::registry_error(503, "UNAVAILABLE", "service unavailable");
      return std::nullopt;
    });
    auto r = w.user.run({"resolve", w.host + "/secure-app:v1"});
    CHECK(r.out.exit_status == 3);
    CHECK(contains(r.out.err, "HTTP 503"));
    CHECK(contains(r.out.err, "failing"));
    CHECK_FALSE(contains(r.out.err, "not an OCI"));
    CHECK(w.proxy->count("GET", "/v2/") == 3);
  }
}

TEST_CASE("registry:2 racing writers: MANIFEST_BLOB_UNKNOWN on the trust manifest PUT is retried") {
  World w(false);
  const std::string empty_config = "\"" + Digest::of("{}").string() + "\"";

  SECTION("two refusals, then the PUT goes through") {
    w.proxy->before([&](const ProxyRequest& r) -> std::optional<ProxyAnswer> {
      if (r.method == "PUT" && r.path == kTrustTagPath && r.seen <= 2)
        return ProxyAnswer::registry_error(400, "MANIFEST_BLOB_UNKNOWN", "blob unknown to registry",
                                           empty_config);
      return std::nullopt;
    });
    auto s = w.user.run({"sign", "--init", w.host + "/secure-app:signed"});
    CHECK(s.out.exit_status == 0);
    CHECK(w.proxy->count("PUT", kTrustTagPath) >= 3);
    w.proxy->clear_hooks();
    CHECK(w.user.run({"verify", w.host + "/secure-app:signed"}).out.exit_status == 0);
  }
  SECTION("a refusal that persists ends after 4 attempts with the registry's answer") {
    w.proxy->before([&](const ProxyRequest& r) -> std::optional<ProxyAnswer> {
      if (r.method == "PUT" && r.path == kTrustTagPath)
        return ProxyAnswer::registry_error(400, "DIGEST_INVALID",
                                           "provided digest did not match uploaded content");
      return std::nullopt;
    });
    auto s = w.user.run({"sign", "--init", w.host + "/secure-app:signed"});
    CHECK(s.out.exit_status == 1);
    CHECK(contains(s.out.err, "DIGEST_INVALID"));
    CHECK(contains(s.out.err, "after 4 attempts"));
    CHECK(w.proxy->count("PUT", kTrustTagPath) == 4);
  }
}

TEST_CASE("registry client: every transient PUT refusal of registry 2.8 is retried") {
  World w(false);
  const auto v1 = manifest_from(*w.reg, "v1");
  for (const char* code : {"MANIFEST_BLOB_UNKNOWN", "BLOB_UNKNOWN", "DIGEST_INVALID"}) {
    INFO(code);
    std::string tag = std::string("copy-") + code;
    for (char& c : tag) c = c == '_' ? '-' : static_cast<char>(std::tolower(c));
    const std::string path = "/v2/secure-app/manifests/" + tag;
    const std::string detail = "\"" + v1.config.digest + "\"";
    w.proxy->before([path, code, detail](const ProxyRequest& r) -> std::optional<ProxyAnswer> {
      if (r.method == "PUT" && r.path == path && r.seen <= 3)
        return ProxyAnswer::registry_error(400, code, "blob unknown to registry", detail);
      return std::nullopt;
    });
    registry::RegistryOptions ro;
    ro.certs_dirs = {"/nonexistent"};
    ro.credentials = fixed_credentials("", "");
    ro.http.backoff_ms = 20;
    auto client = registry::RegistryClient::create(w.proxy->host_port(), ro);
    auto put = client->put_manifest("secure-app", tag, v1.descriptor.media_type, v1.bytes);
    INFO((put.ok() ? std::string() : put.error().message()));
    CHECK(put.ok());
    CHECK(w.proxy->count("PUT", path) == 4);
  }
}

TEST_CASE(
    "registry:2 racing a tag overwrite: a 500 on the trust tag is retried, never no trust data") {
  World w;
  // What 2.8 answers while the filesystem driver rewrites the tag's link file in place, to the
  // next `limit` reads of the trust tag.
  int injected = 0;
  auto race = [&injected](int limit) {
    return [&injected, limit](const ProxyRequest& r) -> std::optional<ProxyAnswer> {
      if (r.path != kTrustTagPath || (r.method != "HEAD" && r.method != "GET") || injected >= limit)
        return std::nullopt;
      ++injected;
      return ProxyAnswer::registry_error(500, "UNKNOWN", "unknown error",
                                         "\"invalid checksum digest format\"");
    };
  };

  // Two in a row, then the registry's own answer.
  w.proxy->before(race(2));
  auto v = w.user.run({"verify", w.host + "/secure-app:signed"});
  CHECK(v.out.exit_status == 0);
  CHECK(injected == 2);
  // Persistent: exit 3 for a verifier with saved state and for a fresh one alike.
  w.proxy->before(race(1000000));
  User fresh;
  for (const User* u : {&w.user, &fresh}) {
    auto failed = u->run({"verify", "--tofu", w.host + "/secure-app:signed"});
    CHECK(failed.out.exit_status == 3);
    CHECK(failed.out.exit_status != 10);
    CHECK(contains(failed.out.err, "HTTP 500"));
  }
}

TEST_CASE("hostile registry: a manifest whose Content-Type lies is exit 12") {
  World w;
  auto relabel = [](std::string type) {
    return [type](const ProxyRequest& r, ProxyAnswer& a) {
      if (contains(r.path, "/manifests/") && a.status == 200) a.set_header("Content-Type", type);
    };
  };

  // resolve: an image manifest served as an index.
  w.proxy->after(relabel(kOciIndex));
  auto image = w.user.run({"resolve", w.host + "/secure-app:v1"});
  CHECK(image.out.exit_status == 12);
  CHECK(contains(image.out.err, "served as application/vnd.oci.image.index.v1+json"));
  // resolve: an index served as an image manifest.
  w.proxy->after(relabel(kOciManifest));
  auto index = w.user.run({"resolve", w.host + "/secure-app:multi"});
  CHECK(index.out.exit_status == 12);
  CHECK(contains(index.out.err, "served as application/vnd.oci.image.manifest.v1+json"));
  // verify: the manifests it reads (trust data, signed image) served as a Docker manifest list.
  w.proxy->after(relabel(kDockerManifestList));
  auto v = w.user.run({"verify", w.host + "/secure-app:signed"});
  CHECK(v.out.exit_status == 12);
  CHECK(contains(v.out.err, "served as " + std::string(kDockerManifestList)));
}

TEST_CASE("hostile registry: a manifest with a negative layer size is exit 12") {
  World w;
  auto negative = [](const std::string& body) {
    json j = json::parse(body);
    j["layers"][0]["size"] = -4096;
    return j.dump();
  };

  w.proxy->after(rewrite_body("/v2/secure-app/manifests/v1", negative));
  auto r = w.user.run({"resolve", w.host + "/secure-app:v1"});
  CHECK(r.out.exit_status == 12);
  CHECK(contains(r.out.err, "layers[0] has a negative size (-4096)"));
  // verify: trust data whose digest matches (the registry names it) but whose size is negative.
  w.proxy->clear_hooks();
  const auto trust = manifest_from(*w.reg, "_trustctl");
  w.proxy->before(serve_as_trust_data(negative(trust.bytes), kOciManifest));
  User fresh;
  auto v = fresh.run({"verify", "--tofu", w.host + "/secure-app:signed"});
  CHECK(v.out.exit_status == 12);
  CHECK(contains(v.out.err, "negative size"));
}

TEST_CASE("hostile registry: malformed manifest JSON served for its own digest is exit 12") {
  World w;
  const std::string garbage = R"({"schemaVersion":2,"mediaType":")" + std::string(kOciManifest) +
                              R"(","config":{"digest":)";
  const std::string digest = Digest::of(garbage).string();

  w.proxy->before(serve_as_trust_data(garbage, kOciManifest));  // also serves it for its digest
  auto r = w.user.run({"resolve", w.host + "/secure-app@" + digest});
  CHECK(r.out.exit_status == 12);
  CHECK(contains(r.out.err, "not valid JSON"));
  auto v = w.user.run({"verify", w.host + "/secure-app:signed"});
  CHECK(v.out.exit_status == 12);
  CHECK(contains(v.out.err, "not valid JSON"));
}

TEST_CASE("hostile registry: a manifest nested 100000 deep is exit 12, not a crash") {
  World w;
  auto deep = [](const std::string& body) {
    std::string b = body.substr(0, body.rfind('}'));
    return b + R"(,"x":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
  };

  // -o json resolve prints the manifest (nlohmann's dump recurses once per level).
  w.proxy->after(rewrite_body("/v2/secure-app/manifests/v1", deep));
  auto r = w.user.run({"-o", "json", "resolve", w.host + "/secure-app:v1"});
  CHECK(r.out.exit_status == 12);
  CHECK(contains(r.out.err, "nested deeper than 64 levels"));
  // verify reads the trust manifest.
  w.proxy->clear_hooks();
  const auto trust = manifest_from(*w.reg, "_trustctl");
  w.proxy->before(serve_as_trust_data(deep(trust.bytes), kOciManifest));
  auto v = w.user.run({"verify", w.host + "/secure-app:signed"});
  CHECK(v.out.exit_status == 12);
  CHECK(contains(v.out.err, "nested deeper than 64 levels"));
}

TEST_CASE(
    "the global --timeout flag and TRUSTCTL_TIMEOUT are validated, and trustctl env lists it") {
  User user;
  for (const char* bad : {"0", "-1", "abc", "3s", "100000"}) {
    INFO(bad);
    auto r = user.run({"resolve", "--timeout", bad, "127.0.0.1:1/secure-app:v1"});
    CHECK(r.out.exit_status == 2);
    CHECK(contains(r.out.err, "--timeout wants seconds"));
  }
  auto env_bad = user.run({"resolve", "127.0.0.1:1/secure-app:v1"}, "", {"TRUSTCTL_TIMEOUT=x"});
  CHECK(env_bad.out.exit_status == 2);
  CHECK(contains(env_bad.out.err, "TRUSTCTL_TIMEOUT wants seconds"));
  // The flag goes before the command word too (a value flag, not the command).
  auto before = user.run({"--timeout", "2.5", "version"});
  CHECK(before.out.exit_status == 0);
  auto listed = user.run({"env"});
  CHECK(listed.out.exit_status == 0);
  CHECK(contains(listed.out.out, "TRUSTCTL_TIMEOUT"));
}

TEST_CASE("network attacker: a layer altered in transit fails pull and copy with nothing partial") {
  World w;
  const auto manifest = manifest_from(*w.reg, "signed");
  REQUIRE_FALSE(manifest.layers.empty());
  const auto& layer = manifest.layers.back();
  const std::string blob_path = "/v2/secure-app/blobs/" + layer.digest;
  // Same length, one bit flipped in the middle: only the hash can tell.
  w.proxy->after([blob_path](const ProxyRequest& r, ProxyAnswer& a) {
    if (r.method == "GET" && r.path == blob_path && a.status == 200 && !a.body.empty())
      a.body[a.body.size() / 2] = static_cast<char>(a.body[a.body.size() / 2] ^ 0x01);
  });
  TempDir out;
  const std::string layout = out.path + "/layout";
  auto pulled = w.user.run({"pull", w.host + "/secure-app:signed", "oci:" + layout});
  CHECK(pulled.out.exit_status == 12);
  CHECK(contains(pulled.out.err, layer.digest));
  CHECK_FALSE(std::filesystem::exists(layout + "/blobs/sha256/" + layer.digest.substr(7)));
  int stray = 0;
  if (std::filesystem::exists(layout + "/blobs"))
    for (const auto& e : std::filesystem::recursive_directory_iterator(layout + "/blobs"))
      if (e.is_regular_file() && e.path().filename().string().size() != 64) ++stray;
  CHECK(stray == 0);
  if (std::filesystem::exists(layout + "/index.json"))
    CHECK(json::parse(fs::read_file(layout + "/index.json").value())["manifests"].empty());

  // copy from behind the proxy to a second registry: refused, and no trust data arrives there.
  auto second = start_registry();
  auto copied =
      w.user.run({"copy", w.host + "/secure-app:signed", second->host_port() + "/secure-app"});
  CHECK(copied.out.exit_status == 12);
  CHECK(contains(copied.out.err, layer.digest));
  TempDir scratch;
  CHECK_FALSE(client_for(*second, scratch.path)->head_manifest("secure-app", "_trustctl").ok());
  // The attack over, the same commands succeed.
  w.proxy->clear_hooks();
  CHECK(w.user.run({"pull", w.host + "/secure-app:signed", "oci:" + layout}).out.exit_status == 0);
}
