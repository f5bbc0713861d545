#include "trustctl/auth/credentials.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "support/temp_dir.h"
#include "trustctl/core/fs.h"

using namespace trustctl;
using namespace trustctl::auth;
using trustctl::testing::TempDir;
using Json = nlohmann::json;

namespace {

// Sets an environment variable for the lifetime of the object.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// Fake docker-credential-<name> helpers in a temp bin folder put first in PATH. A helper answers
// `get` from the file creds/<name>/<address with / and : as _> (printed as is), says
// "credentials not found" otherwise, fails for the address "broken.example", records `store`
// input in <name>.stored and every call in <name>.log.
class FakeHelpers {
 public:
  FakeHelpers() : path_env_("PATH", dir_.path + "/bin:" + current_path()) {
    std::filesystem::create_directories(dir_.path + "/bin");
  }

  void add(const std::string& name) {
    std::filesystem::create_directories(dir_.path + "/creds/" + name);
    std::string script =
        "#!/bin/sh\n"
        "d='" +
        dir_.path + "'\nn='" + name + "'\n" + R"SH(
input=$(cat)
printf '%s %s\n' "$1" "$input" >> "$d/$n.log"
case "$1" in
  get)
    if [ "$input" = "broken.example" ]; then echo "keychain locked" >&2; exit 2; fi
    f="$d/creds/$n/$(printf %s "$input" | tr '/:' '__')"
    if [ -f "$f" ]; then cat "$f"; exit 0; fi
    echo "credentials not found in native keychain"; exit 1 ;;
  store) printf %s "$input" > "$d/$n.stored" ;;
  erase) exit 0 ;;
  *) exit 3 ;;
esac
)SH";
    std::string file = dir_.path + "/bin/docker-credential-" + name;
    REQUIRE(fs::write_file_atomic(file, script, 0755).ok());
  }

  void set(const std::string& name, std::string address, const std::string& json) {
    for (char& c : address)
      if (c == '/' || c == ':') c = '_';
    REQUIRE(fs::write_file_atomic(dir_.path + "/creds/" + name + "/" + address, json).ok());
  }

  std::string log(const std::string& name) const { return read(name + ".log"); }
  std::string stored(const std::string& name) const { return read(name + ".stored"); }

 private:
  static std::string current_path() {
    const char* p = std::getenv("PATH");
    return p ? p : "/usr/bin:/bin";
  }
  std::string read(const std::string& file) const {
    auto r = fs::read_file(dir_.path + "/" + file);
    return r.ok() ? *r : std::string();
  }

  TempDir dir_;
  ScopedEnv path_env_;
};

std::string write_config(const TempDir& dir, const std::string& text) {
  std::string path = dir.path + "/config.json";
  REQUIRE(fs::write_file_atomic(path, text, 0600).ok());
  return path;
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

Json read_json(const std::string& path) { return Json::parse(fs::read_file(path).value()); }

}  // namespace

TEST_CASE("normalize_config_key reduces config.json keys to host[:port]") {
  CHECK(normalize_config_key("https://index.docker.io/v1/") == "docker.io");
  CHECK(normalize_config_key("index.docker.io") == "docker.io");
  CHECK(normalize_config_key("registry-1.docker.io") == "docker.io");
  CHECK(normalize_config_key("docker.io") == "docker.io");
  CHECK(normalize_config_key("https://Reg.Example:5000/v2/") == "reg.example:5000");
  CHECK(normalize_config_key("http://127.0.0.1:5000") == "127.0.0.1:5000");
  CHECK(normalize_config_key("127.0.0.1:5000") == "127.0.0.1:5000");
  CHECK(normalize_config_key("reg.example/some/path") == "reg.example");
  CHECK(normalize_config_key("[::1]:5000") == "[::1]:5000");
}

TEST_CASE("config_key_for uses docker's key for Docker Hub and host[:port] otherwise") {
  CHECK(config_key_for("docker.io") == "https://index.docker.io/v1/");
  CHECK(config_key_for("registry-1.docker.io") == "https://index.docker.io/v1/");
  CHECK(config_key_for("127.0.0.1:5000") == "127.0.0.1:5000");
  CHECK(config_key_for("https://reg.example:5000") == "reg.example:5000");
}

TEST_CASE("default_path follows DOCKER_CONFIG, else HOME") {
  {
    ScopedEnv env("DOCKER_CONFIG", "/some/dir");
    CHECK(DockerConfig::default_path() == "/some/dir/config.json");
  }
  ScopedEnv unset("DOCKER_CONFIG", "");
  ScopedEnv home("HOME", "/home/someone");
  CHECK(DockerConfig::default_path() == "/home/someone/.docker/config.json");
}

TEST_CASE("lookup reads every auths form") {
  TempDir dir;
  auto path = write_config(dir, R"({
    "auths": {
      "127.0.0.1:5000": {"auth": "YWxpY2U6czNjcmV0", "email": "a@example"},
      "https://reg.example:5000/v1/": {"username": "bob", "password": "pw:with:colons"},
      "https://index.docker.io/v1/": {"auth": "aHViOmh1YnB3"},
      "id.example": {"auth": "Ym9iOg==", "identitytoken": "refresh-me"},
      "rt.example": {"registrytoken": "reg-token"},
      "empty.example": {}
    },
    "psFormat": "table"
  })");
  DockerConfig config(path);
  CHECK(config.path() == path);

  auto a = config.lookup("127.0.0.1:5000");
  REQUIRE(a.ok());
  REQUIRE(a->has_value());
  CHECK((*a)->username == "alice");
  CHECK((*a)->password == "s3cret");
  CHECK((*a)->identity_token.empty());

  auto b = config.lookup("reg.example:5000");
  REQUIRE(b.ok());
  REQUIRE(b->has_value());
  CHECK((*b)->username == "bob");
  CHECK((*b)->password == "pw:with:colons");

  for (const char* hub : {"docker.io", "registry-1.docker.io", "index.docker.io"}) {
    auto h = config.lookup(hub);
    REQUIRE(h.ok());
    REQUIRE(h->has_value());
    CHECK((*h)->username == "hub");
    CHECK((*h)->password == "hubpw");
  }

  auto i = config.lookup("id.example");
  REQUIRE(i.ok());
  REQUIRE(i->has_value());
  CHECK((*i)->username == "bob");
  CHECK((*i)->identity_token == "refresh-me");

  auto r = config.lookup("rt.example");
  REQUIRE(r.ok());
  REQUIRE(r->has_value());
  CHECK((*r)->registry_token == "reg-token");
  CHECK((*r)->username.empty());

  CHECK_FALSE(config.lookup("empty.example")->has_value());
  CHECK_FALSE(config.lookup("unknown.example")->has_value());
  CHECK_FALSE(config.lookup("127.0.0.1:5001")->has_value());
}

TEST_CASE("lookup of a missing or empty config finds nothing") {
  TempDir dir;
  auto missing = DockerConfig(dir.path + "/nope/config.json").lookup("reg.example");
  REQUIRE(missing.ok());
  CHECK_FALSE(missing->has_value());
  auto empty = DockerConfig(write_config(dir, "\n")).lookup("reg.example");
  REQUIRE(empty.ok());
  CHECK_FALSE(empty->has_value());
}

TEST_CASE("a malformed config.json is kIo naming the file, without echoing secrets") {
  TempDir dir;
  SECTION("syntax") {
    auto path = write_config(dir, "{\"auths\": {\"h\": {\"auth\": \"c2VjcmV0");
    auto r = DockerConfig(path).lookup("h");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == ErrorCode::kIo);
    CHECK(r.error().message().find(path) != std::string::npos);
    CHECK(r.error().message().find("line 1") != std::string::npos);
    CHECK(r.error().message().find("c2VjcmV0") == std::string::npos);
  }
  SECTION("shapes") {
    for (const char* text :
         {"[]", R"({"auths": []})", R"({"credsStore": 1})", R"({"credHelpers": "x"})",
          R"({"auths": {"h": "x"}})", R"({"auths": {"h": {"auth": 5}}})",
          R"({"auths": {"h": {"auth": "%%%"}}})",
          R"({"auths": {"h": {"auth": "bm9jb2xvbg=="}}})"}) {
      INFO(text);
      auto path = write_config(dir, text);
      auto r = DockerConfig(path).lookup("h");
      REQUIRE_FALSE(r.ok());
      CHECK(r.error().code() == ErrorCode::kIo);
      CHECK(r.error().message().find(path) != std::string::npos);
    }
  }
  SECTION("store and erase leave a malformed file untouched") {
    const std::string text = "{not json";
    auto path = write_config(dir, text);
    Credentials c;
    c.username = "u";
    c.password = "p";
    CHECK(DockerConfig(path).store("h", c).error().code() == ErrorCode::kIo);
    CHECK(DockerConfig(path).erase("h").error().code() == ErrorCode::kIo);
    CHECK(fs::read_file(path).value() == text);
  }
}

TEST_CASE("lookup order: credHelpers, then credsStore, then auths") {
  TempDir dir;
  FakeHelpers helpers;
  helpers.add("trustctl-test");
  helpers.add("trustctl-test-store");
  auto path = write_config(dir, R"({
    "auths": {"reg.example:5000": {"auth": "ZmlsZTpmaWxlcHc="},
              "https://index.docker.io/v1/": {}},
    "credsStore": "trustctl-test-store",
    "credHelpers": {"https://reg.example:5000": "trustctl-test"}
  })");
  DockerConfig config(path);

  SECTION("credHelpers wins") {
    helpers.set("trustctl-test", "reg.example:5000",
                R"({"ServerURL":"reg.example:5000","Username":"helper","Secret":"hpw"})");
    helpers.set("trustctl-test-store", "reg.example:5000",
                R"({"ServerURL":"reg.example:5000","Username":"store","Secret":"spw"})");
    auto r = config.lookup("reg.example:5000");
    REQUIRE(r.ok());
    REQUIRE(r->has_value());
    CHECK((*r)->username == "helper");
    CHECK((*r)->password == "hpw");
    CHECK(helpers.log("trustctl-test") == "get reg.example:5000\n");
    CHECK(helpers.log("trustctl-test-store").empty());
  }
  SECTION("then credsStore") {
    helpers.set("trustctl-test-store", "reg.example:5000",
                R"({"ServerURL":"reg.example:5000","Username":"<token>","Secret":"idtok"})");
    auto r = config.lookup("reg.example:5000");
    REQUIRE(r.ok());
    REQUIRE(r->has_value());
    CHECK((*r)->identity_token == "idtok");
    CHECK((*r)->username.empty());
    CHECK((*r)->password.empty());
    CHECK(helpers.log("trustctl-test") == "get reg.example:5000\n");
    CHECK(helpers.log("trustctl-test-store") == "get reg.example:5000\n");
  }
  SECTION("then auths") {
    auto r = config.lookup("reg.example:5000");
    REQUIRE(r.ok());
    REQUIRE(r->has_value());
    CHECK((*r)->username == "file");
    CHECK((*r)->password == "filepw");
  }
  SECTION("Docker Hub goes to credsStore with docker's key, and may find nothing") {
    auto r = config.lookup("registry-1.docker.io");
    REQUIRE(r.ok());
    CHECK_FALSE(r->has_value());
    CHECK(helpers.log("trustctl-test").empty());
    CHECK(helpers.log("trustctl-test-store") == "get https://index.docker.io/v1/\n");
  }
}

TEST_CASE("a failing or missing helper is an error naming it") {
  TempDir dir;
  FakeHelpers helpers;
  helpers.add("trustctl-test");
  SECTION("failing get is kAuth") {
    auto path = write_config(dir, R"({"credHelpers": {"broken.example": "trustctl-test"}})");
    auto r = DockerConfig(path).lookup("broken.example");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == ErrorCode::kAuth);
    CHECK(r.error().message() ==
          "credential helper docker-credential-trustctl-test get failed (exit status 2): "
          "keychain locked");
  }
  SECTION("missing program is kIo") {
    auto path = write_config(dir, R"({"credsStore": "trustctl-no-such-helper"})");
    auto r = DockerConfig(path).lookup("reg.example");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == ErrorCode::kIo);
    CHECK(r.error().message().find("docker-credential-trustctl-no-such-helper") !=
          std::string::npos);
  }
  SECTION("a helper name cannot be a path") {
    auto path = write_config(dir, R"({"credsStore": "../../bin/sh"})");
    auto r = DockerConfig(path).lookup("reg.example");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == ErrorCode::kIo);
  }
  SECTION("malformed helper output is kProtocol") {
    helpers.set("trustctl-test", "reg.example", "not json");
    auto path = write_config(dir, R"({"credsStore": "trustctl-test"})");
    auto r = DockerConfig(path).lookup("reg.example");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == ErrorCode::kProtocol);
  }
}

TEST_CASE("store writes auths, keeps every other field, mode 0600 in a new 0700 folder") {
  TempDir dir;
  SECTION("new file") {
    std::string path = dir.path + "/docker/config.json";
    Credentials c;
    c.username = "alice";
    c.password = "s3cret";
    REQUIRE(DockerConfig(path).store("https://127.0.0.1:5000/", c).ok());
    CHECK(read_json(path) ==
          Json::parse(R"({"auths":{"127.0.0.1:5000":{"auth":"YWxpY2U6czNjcmV0"}}})"));
    CHECK(mode_of(path) == 0600);
    CHECK(mode_of(dir.path + "/docker") == 0700);
    auto back = DockerConfig(path).lookup("127.0.0.1:5000");
    REQUIRE(back.ok());
    REQUIRE(back->has_value());
    CHECK((*back)->username == "alice");
    CHECK((*back)->password == "s3cret");
  }
  SECTION("existing file") {
    auto path = write_config(dir, R"({
      "auths": {
        "other.example": {"auth": "b3RoZXI6cHc="},
        "https://reg.example:5000/v1/": {"password": "stale", "email": "old@example"},
        "reg.example:5000": {"username": "old", "password": "old", "email": "a@example",
                             "x-extra": [1, 2]}
      },
      "psFormat": "table",
      "proxies": {"default": {"httpProxy": "http://proxy:3128"}}
    })");
    ::chmod(path.c_str(), 0644);
    Credentials c;
    c.username = "alice";
    c.password = "s3cret";
    c.identity_token = "idtok";
    REQUIRE(DockerConfig(path).store("reg.example:5000", c).ok());
    CHECK(read_json(path) == Json::parse(R"({
      "auths": {
        "other.example": {"auth": "b3RoZXI6cHc="},
        "https://reg.example:5000/v1/": {"email": "old@example"},
        "reg.example:5000": {"email": "a@example", "x-extra": [1, 2],
                             "auth": "YWxpY2U6czNjcmV0", "identitytoken": "idtok"}
      },
      "psFormat": "table",
      "proxies": {"default": {"httpProxy": "http://proxy:3128"}}
    })"));
    CHECK(mode_of(path) == 0600);
    std::string text = fs::read_file(path).value();
    CHECK(text.find("psFormat") < text.find("proxies"));  // key order kept
    CHECK(text.find("stale") == std::string::npos);
  }
  SECTION("Docker Hub under docker's key") {
    auto path = write_config(dir, "{}");
    Credentials c;
    c.username = "hub";
    c.password = "hubpw";
    REQUIRE(DockerConfig(path).store("registry-1.docker.io", c).ok());
    CHECK(read_json(path) ==
          Json::parse(R"({"auths":{"https://index.docker.io/v1/":{"auth":"aHViOmh1YnB3"}}})"));
  }
}

TEST_CASE("store and erase go through the configured helper") {
  TempDir dir;
  FakeHelpers helpers;
  helpers.add("trustctl-test");
  auto path = write_config(dir, R"({
    "auths": {"reg.example:5000": {"auth": "b2xkOm9sZA==", "email": "e"}, "keep.example": {}},
    "credHelpers": {"reg.example:5000": "trustctl-test"},
    "currentContext": "default"
  })");
  DockerConfig config(path);
  Credentials c;
  c.username = "alice";
  c.password = "s3cret";
  REQUIRE(config.store("reg.example:5000", c).ok());
  CHECK(Json::parse(helpers.stored("trustctl-test")) ==
        Json::parse(R"({"ServerURL":"reg.example:5000","Username":"alice","Secret":"s3cret"})"));
  CHECK(read_json(path) == Json::parse(R"({
    "auths": {"reg.example:5000": {"email": "e"}, "keep.example": {}},
    "credHelpers": {"reg.example:5000": "trustctl-test"},
    "currentContext": "default"
  })"));
  CHECK(mode_of(path) == 0600);

  Credentials token;
  token.identity_token = "idtok";
  REQUIRE(config.store("reg.example:5000", token).ok());
  CHECK(Json::parse(helpers.stored("trustctl-test")) ==
        Json::parse(R"({"ServerURL":"reg.example:5000","Username":"<token>","Secret":"idtok"})"));

  REQUIRE(config.erase("https://reg.example:5000").ok());
  CHECK(helpers.log("trustctl-test").find("erase reg.example:5000\n") != std::string::npos);
  CHECK(read_json(path) == Json::parse(R"({
    "auths": {"keep.example": {}},
    "credHelpers": {"reg.example:5000": "trustctl-test"},
    "currentContext": "default"
  })"));
}

TEST_CASE("erase removes every key form of the host from auths and keeps the rest") {
  TempDir dir;
  auto path = write_config(dir, R"({
    "auths": {"reg.example:5000": {"auth": "YTpi"}, "https://reg.example:5000/v2/": {"auth": "YTpi"},
              "other.example": {"auth": "YzpkIg=="}},
    "psFormat": "table"
  })");
  REQUIRE(DockerConfig(path).erase("reg.example:5000").ok());
  CHECK(read_json(path) ==
        Json::parse(R"({"auths":{"other.example":{"auth":"YzpkIg=="}},"psFormat":"table"})"));
  CHECK(mode_of(path) == 0600);
  REQUIRE(DockerConfig(path).erase("reg.example:5000").ok());  // absent: not an error

  std::string missing = dir.path + "/none/config.json";
  REQUIRE(DockerConfig(missing).erase("reg.example").ok());
  CHECK_FALSE(fs::exists(missing));
}
