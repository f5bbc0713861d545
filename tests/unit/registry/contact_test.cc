// The registry client's contact memo (docs/registry-client.md, "What the client remembers"),
// over a fake transport: what a second process skips, and what a memo must never make it do.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <functional>
#include <string>
#include <vector>

#include "support/temp_dir.h"
#include "trustctl/core/fs.h"
#include "trustctl/registry/client.h"

using namespace trustctl;
using trustctl::testing::TempDir;

namespace {

constexpr const char* kDigest =
    "sha256:5a5f596f95ccf38b57db31f0405dcf9b1c4d6065acbdee852ce3f468dcb42008";

// A registry that answers by URL, and records what was asked. `plain` decides how it speaks:
// HTTPS (a plain-HTTP attempt gets a 400 as from a Go TLS port) or plain HTTP (a TLS attempt
// fails the handshake). With `token` it wants a bearer token from its realm.
class FakeRegistry : public http::HttpClient {
 public:
  bool plain = false;
  bool token = false;
  int tokens_issued = 0;
  std::vector<std::string> asked;  // "METHOD URL [auth]"

  Result<http::Response> send(const http::Request& r) override {
    failure_ = http::TransportFailure::kNone;
    const auto auth = r.headers.get("Authorization");
    asked.push_back(r.method + " " + r.url + (auth ? " [" + *auth + "]" : ""));
    const bool https = r.url.rfind("https://", 0) == 0;
    http::Response resp;
    if (r.url.find("/token") != std::string::npos) {
      ++tokens_issued;
      resp.status = 200;
      resp.body = R"({"token":"tok-)" + std::to_string(tokens_issued) + R"(","expires_in":300})";
      return resp;
    }
    if (https && plain) {
      failure_ = http::TransportFailure::kTlsHandshake;
      return Error(ErrorCode::kNetwork, "TLS handshake failed (fake)");
    }
    if (!https && !plain) {
      resp.status = 400;
      resp.body = "Client sent an HTTP request to an HTTPS server.";
      return resp;
    }
    resp.headers.set("Docker-Distribution-Api-Version", "registry/2.0");
    const std::string origin = std::string(https ? "https" : "http") + "://" + host;
    if (token && (!auth || auth->rfind("Bearer tok-", 0) != 0)) {
      resp.status = 401;
      resp.headers.set("WWW-Authenticate", "Bearer realm=\"" + origin +
                                               "/token\",service=\"fake\",scope=\"repository:"
                                               "app:pull\"");
      return resp;
    }
    resp.status = 200;
    if (r.method == "HEAD") {
      resp.headers.set("Docker-Content-Digest", kDigest);
      resp.headers.set("Content-Type", "application/vnd.oci.image.manifest.v1+json");
      resp.headers.set("Content-Length", "401");
    }
    return resp;
  }
  http::TransportFailure last_failure() const override { return failure_; }
  std::string host = "127.0.0.1:5000";

 private:
  http::TransportFailure failure_ = http::TransportFailure::kNone;
};

struct Memo {
  TempDir tmp;
  std::string dir() const { return tmp.path + "/cache/registries"; }
  registry::RegistryOptions options(FakeRegistry& fake, auth::CredentialSource creds = {}) const {
    registry::RegistryOptions o;
    o.transport = &fake;
    o.contact_dir = dir();
    o.contact_base = tmp.path;
    o.certs_dirs = {tmp.path + "/no-certs"};
    o.credentials =
        creds ? creds : [](const std::string&) -> Result<std::optional<auth::Credentials>> {
      return std::optional<auth::Credentials>();
    };
    return o;
  }
  // One "process": a client that HEADs the trust data once and goes away.
  std::vector<std::string> run(FakeRegistry& fake, auth::CredentialSource creds = {}) const {
    fake.asked.clear();
    auto client = registry::RegistryClient::create(fake.host, options(fake, std::move(creds)));
    auto d = client->head_manifest("app", "_trustctl");
    INFO((d.ok() ? std::string() : d.error().message()));
    REQUIRE(d.ok());
    client.reset();
    return fake.asked;
  }
};

auth::CredentialSource user(const std::string& name, const std::string& password) {
  return [=](const std::string&) -> Result<std::optional<auth::Credentials>> {
    auth::Credentials c;
    c.username = name;
    c.password = password;
    return std::optional<auth::Credentials>(c);
  };
}

}  // namespace

TEST_CASE("contact memo: the second process skips the HTTPS attempt and the /v2/ ping") {
  Memo memo;
  FakeRegistry fake;
  fake.plain = true;
  auto first = memo.run(fake);
  REQUIRE(first.size() == 3);  // https /v2/ (handshake fails), http /v2/, HEAD
  CHECK(first[0] == "GET https://127.0.0.1:5000/v2/");
  CHECK(first[1] == "GET http://127.0.0.1:5000/v2/");
  const std::string file = memo.dir() + "/127.0.0.1_5000.json";
  REQUIRE(fs::exists(file));
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto second = memo.run(fake);
  REQUIRE(second.size() == 1);
  CHECK(second[0] == "HEAD http://127.0.0.1:5000/v2/app/manifests/_trustctl");
}

TEST_CASE("contact memo: a remembered scheme that stopped working is dropped and asked again") {
  Memo memo;
  FakeRegistry fake;
  fake.plain = true;
  memo.run(fake);
  fake.plain = false;  // the registry moved to TLS: plain HTTP now gets a Go TLS port's 400
  auto moved = memo.run(fake);
  REQUIRE(moved.size() == 3);
  CHECK(moved[0] == "HEAD http://127.0.0.1:5000/v2/app/manifests/_trustctl");
  CHECK(moved[1] == "GET https://127.0.0.1:5000/v2/");
  CHECK(moved[2] == "HEAD https://127.0.0.1:5000/v2/app/manifests/_trustctl");
  // and back to plain HTTP: the TLS handshake fails on the remembered https
  fake.plain = true;
  auto back = memo.run(fake);
  REQUIRE(back.size() == 4);
  CHECK(back[0] == "HEAD https://127.0.0.1:5000/v2/app/manifests/_trustctl");
  CHECK(back[3] == "HEAD http://127.0.0.1:5000/v2/app/manifests/_trustctl");
}

TEST_CASE("contact memo: a memo saying http never downgrades a registry that is not loopback") {
  Memo memo;
  FakeRegistry fake;
  fake.host = "registry.example:5000";
  REQUIRE(fs::make_dirs(memo.dir()).ok());
  // Whoever wrote this file (a stale copy, another tool): plain HTTP for a remote registry.
  REQUIRE(fs::write_file_atomic(memo.dir() + "/registry.example_5000.json",
                                R"({"format":1,"host":"registry.example:5000","scheme":"http",)"
                                R"("auth":{"preemptive":false,"tokens":[]}})")
              .ok());
  auto asked = memo.run(fake);
  REQUIRE(asked.size() == 2);
  CHECK(asked[0] == "GET https://registry.example:5000/v2/");
  CHECK(asked[1] == "HEAD https://registry.example:5000/v2/app/manifests/_trustctl");
  // A memo for another host, or a malformed one, is no memo either.
  REQUIRE(fs::write_file_atomic(memo.dir() + "/registry.example_5000.json",
                                R"({"format":1,"host":"other:5000","scheme":"https"})")
              .ok());
  CHECK(memo.run(fake).size() == 2);
  REQUIRE(fs::write_file_atomic(memo.dir() + "/registry.example_5000.json", "{\"format\":1,").ok());
  CHECK(memo.run(fake).size() == 2);
}

TEST_CASE("contact memo: a bearer token is reused while valid, by the same credentials only") {
  Memo memo;
  FakeRegistry fake;
  fake.token = true;
  auto first = memo.run(fake, user("alice", "s3cret"));
  CHECK(fake.tokens_issued == 1);
  REQUIRE(first.size() == 4);  // /v2/, HEAD 401, token, HEAD with the token
  // The memo holds the token, never the password.
  auto text = fs::read_file(memo.dir() + "/127.0.0.1_5000.json");
  REQUIRE(text.ok());
  CHECK(text->find("tok-1") != std::string::npos);
  CHECK(text->find("s3cret") == std::string::npos);
  CHECK(text->find("alice") == std::string::npos);

  auto warm = memo.run(fake, user("alice", "s3cret"));
  REQUIRE(warm.size() == 1);
  CHECK(warm[0] == "HEAD https://127.0.0.1:5000/v2/app/manifests/_trustctl [Bearer tok-1]");
  CHECK(fake.tokens_issued == 1);

  // Someone else logged in (or the password changed): alice's token is not theirs to use.
  auto other = memo.run(fake, user("mallory", "guess"));
  CHECK(fake.tokens_issued == 2);
  REQUIRE(other.size() == 3);
  CHECK(other[0] == "HEAD https://127.0.0.1:5000/v2/app/manifests/_trustctl");
  // Anonymous: no token of anyone.
  auto anonymous = memo.run(fake);
  CHECK(anonymous[0] == "HEAD https://127.0.0.1:5000/v2/app/manifests/_trustctl");
}
