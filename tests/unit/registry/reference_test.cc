#include "trustctl/registry/reference.h"

#include <catch2/catch.hpp>

using trustctl::ErrorCode;
using trustctl::registry::is_loopback_host;
using trustctl::registry::Reference;

namespace {
Reference ok(const char* text) {
  auto r = Reference::parse(text);
  INFO(text << ": " << (r.ok() ? "" : r.error().message()));
  REQUIRE(r.ok());
  return *r;
}
std::string fails(const char* text) {
  auto r = Reference::parse(text);
  INFO(text);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == ErrorCode::kUsage);
  CHECK(r.error().exit_code() == 2);
  return r.error().message();
}
const char* kDigest = "sha256:1bea24d808736fe76011f29911075b4ba0f1206e8d6e0cb848bf813c6cd72340";
}  // namespace

TEST_CASE("references get docker's defaults") {
  auto r = ok("nginx");
  CHECK(r.registry == "docker.io");
  CHECK(r.repository == "library/nginx");
  CHECK(r.tag.empty());
  CHECK(r.reference_or("latest") == "latest");
  CHECK(r.api_host() == "registry-1.docker.io");
  CHECK(ok("index.docker.io/alice/app:1").registry == "docker.io");
  CHECK(ok("docker.io/alice/app").repository == "alice/app");
  CHECK(ok("alice/app").registry == "docker.io");
}

TEST_CASE("registry hosts with ports, localhost and IPv6") {
  auto r = ok("localhost:5000/secure-app:signed");
  CHECK(r.registry == "localhost:5000");
  CHECK(r.repository == "secure-app");
  CHECK(r.tag == "signed");
  CHECK(r.string() == "localhost:5000/secure-app:signed");
  CHECK(ok("localhost/app").registry == "localhost");
  CHECK(ok("127.0.0.1:41000/team/app/sub:v1.2").repository == "team/app/sub");
  auto v6 = ok("[::1]:5000/app:v1");
  CHECK(v6.registry == "[::1]:5000");
  CHECK(v6.tag == "v1");
  CHECK(ok("Registry.Example.com/app").registry == "Registry.Example.com");
  CHECK(ok("reg.example.com/a/b").api_host() == "reg.example.com");
}

TEST_CASE("digest and tag+digest forms") {
  auto r = ok((std::string("localhost:5000/app@") + kDigest).c_str());
  CHECK(r.digest == kDigest);
  CHECK(r.tag.empty());
  CHECK(r.reference_or("latest") == kDigest);
  auto both = ok((std::string("localhost:5000/app:v1@") + kDigest).c_str());
  CHECK(both.tag == "v1");
  CHECK(both.reference_or("latest") == kDigest);
  CHECK(both.string() == std::string("localhost:5000/app:v1@") + kDigest);
}

TEST_CASE("separators allowed in repository components") {
  CHECK(ok("a/b_c/d.e/f__g/h-i/j---k").repository == "a/b_c/d.e/f__g/h-i/j---k");
}

TEST_CASE("bad references are usage errors naming the problem") {
  CHECK(fails("").find("empty") != std::string::npos);
  CHECK(fails("localhost:5000/Secure-App").find("lower case") != std::string::npos);
  CHECK(fails("localhost:5000/app:bad tag").find("white space") != std::string::npos);
  CHECK(fails("localhost:5000/app:-v1").find("tag") != std::string::npos);
  CHECK(fails("localhost:5000/app@sha256:xyz").find("hex") != std::string::npos);
  CHECK(fails("localhost:5000/app@md5:d41d8cd98f00b204e9800998ecf8427e").find("md5") !=
        std::string::npos);
  CHECK(fails("https://localhost:5000/app").find("scheme") != std::string::npos);
  CHECK(fails("localhost:5000/").find("repository") != std::string::npos);
  CHECK(fails("localhost:99999/app").find("registry") != std::string::npos);
  CHECK(fails("a//b").find("repository") != std::string::npos);
  CHECK(fails("app_/x").find("repository") != std::string::npos);
  CHECK(fails("a/b___c").find("repository") != std::string::npos);
  fails((std::string("app:") + std::string(129, 'a')).c_str());
  fails(("x/" + std::string(260, 'a')).c_str());
  fails("[::1/app");
}

TEST_CASE("loopback hosts") {
  CHECK(is_loopback_host("localhost:5000"));
  CHECK(is_loopback_host("127.0.0.1:41000"));
  CHECK(is_loopback_host("127.8.9.10"));
  CHECK(is_loopback_host("[::1]:5000"));
  CHECK_FALSE(is_loopback_host("128.0.0.1:5000"));
  CHECK_FALSE(is_loopback_host("localhost.evil.com"));
  CHECK_FALSE(is_loopback_host("docker.io"));
}
