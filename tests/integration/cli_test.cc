// The trustctl binary end to end: exit codes, stdout/stderr, -o json, login/logout and resolve
// against real registries.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "registry_env.h"
#include "trustctl/core/subprocess.h"

using namespace trustctl;
using namespace trustctl::testing;
using nlohmann::json;

namespace {

// Runs trustctl with HOME (and so ~/.docker, ~/.trustctl) inside `home`.
ProcessOutput run_cli(const std::string& home, std::vector<std::string> args,
                      const std::string& input = "", const std::vector<std::string>& env = {}) {
  std::vector<std::string> argv = {"env",         "-u", "DOCKER_CONFIG", "-u", "TRUSTCTL_TRUST_DIR",
                                   "HOME=" + home};
  argv.insert(argv.end(), env.begin(), env.end());
  argv.push_back(TRUSTCTL_BIN);
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run_process(argv, input);
  REQUIRE(r.ok());
  return *r;
}

void trust_ca(const TestRegistry& reg, const std::string& home) {
  make_certs_root(reg, home + "/.docker");
}

}  // namespace

TEST_CASE("help, version and usage errors") {
  TempDir home;
  auto help = run_cli(home.path, {"--help"});
  CHECK(help.exit_status == 0);
  CHECK(help.out.find("resolve") != std::string::npos);
  CHECK(help.out.find("Exit codes") != std::string::npos);

  auto none = run_cli(home.path, {});
  CHECK(none.exit_status == 2);
  CHECK(none.err.find("Usage") != std::string::npos);

  auto unknown = run_cli(home.path, {"frobnicate"});
  CHECK(unknown.exit_status == 2);
  CHECK(unknown.err.find("unknown command 'frobnicate'") != std::string::npos);

  auto flag = run_cli(home.path, {"resolve", "--no-such-flag", "x"});
  CHECK(flag.exit_status == 2);

  auto format = run_cli(home.path, {"version", "-o", "yaml"});
  CHECK(format.exit_status == 2);
  CHECK(format.err.find("unknown output format 'yaml'") != std::string::npos);

  auto version = run_cli(home.path, {"-o", "json", "version"});
  REQUIRE(version.exit_status == 0);
  auto j = json::parse(version.out);
  CHECK(j["version"].get<std::string>().size() > 0);
  CHECK(j["openssl"].get<std::string>().find("OpenSSL 3") == 0);

  auto cmd_help = run_cli(home.path, {"resolve", "--help"});
  CHECK(cmd_help.exit_status == 0);
  CHECK(cmd_help.out.find("unverified") != std::string::npos);
  CHECK(cmd_help.out.find("--insecure-registry") != std::string::npos);
  // One usage line: the command's own, not cxxopts' generic one as well.
  auto signer_help = run_cli(home.path, {"signer", "add", "--help"});
  CHECK(signer_help.exit_status == 0);
  CHECK(signer_help.out.find("Usage: trustctl signer add NAME REPO") != std::string::npos);
  CHECK(signer_help.out.find("[OPTION...]") == std::string::npos);
}

TEST_CASE("env lists every variable and never shows a sensitive value") {
  TempDir home;
  auto r = run_process({"env", "TRUSTCTL_ROOT_PASSPHRASE=hunter2-secret",
                        "TRUSTCTL_TRUST_DIR=/tmp/td", TRUSTCTL_BIN, "env", "-o", "json"});
  REQUIRE(r.ok());
  REQUIRE(r->exit_status == 0);
  CHECK(r->out.find("hunter2-secret") == std::string::npos);
  auto j = json::parse(r->out);
  bool saw_root = false, saw_dir = false;
  for (const auto& row : j) {
    if (row["name"] == "TRUSTCTL_ROOT_PASSPHRASE") {
      saw_root = true;
      CHECK(row["set"] == true);
      CHECK(row["sensitive"] == true);
      CHECK_FALSE(row.contains("value"));
    }
    if (row["name"] == "TRUSTCTL_TRUST_DIR") {
      saw_dir = true;
      CHECK(row["value"] == "/tmp/td");
    }
  }
  CHECK(saw_root);
  CHECK(saw_dir);
}

TEST_CASE("resolve shows digest, type and platforms, errors carry their exit codes") {
  TempDir home;
  auto reg = start_registry();
  REQUIRE(push_fixtures(*reg, "secure-app").ok());
  const std::string repo = reg->host_port() + "/secure-app";

  auto text = run_cli(home.path, {"resolve", repo + ":signed"});
  INFO(text.err);
  REQUIRE(text.exit_status == 0);
  CHECK(text.out.find(fixture_digest::kSecureApp) != std::string::npos);
  CHECK(text.out.find("user:       appuser") != std::string::npos);
  CHECK(text.out.find("linux/amd64") != std::string::npos);

  auto index = run_cli(home.path, {"resolve", "-o", "json", repo + ":multi"});
  REQUIRE(index.exit_status == 0);
  auto j = json::parse(index.out);
  CHECK(j["digest"] == fixture_digest::kMulti);
  CHECK(j["mediaType"] == kOciIndex);
  REQUIRE(j["platforms"].size() == 2);
  CHECK(j["platforms"][1]["platform"] == "linux/arm64/v8");
  CHECK(j["manifest"]["schemaVersion"] == 2);

  auto by_digest =
      run_cli(home.path, {"resolve", "-o", "json", repo + "@" + fixture_digest::kV1Docker});
  REQUIRE(by_digest.exit_status == 0);
  CHECK(json::parse(by_digest.out)["mediaType"] == kDockerManifest);

  auto missing = run_cli(home.path, {"resolve", repo + ":no-such-tag"});
  CHECK(missing.exit_status == 11);
  CHECK(missing.err.find("secure-app:no-such-tag") != std::string::npos);
  CHECK(missing.out.empty());

  auto typo = run_cli(home.path, {"resolve", reg->host_port() + "/Secure-App:v1"});
  CHECK(typo.exit_status == 2);
  CHECK(typo.err.find("must be lower case") != std::string::npos);

  REQUIRE(reg->stop().ok());
  auto down = run_cli(home.path, {"resolve", repo + ":v1"});
  CHECK(down.exit_status == 3);
  CHECK(down.err.find("cannot connect") != std::string::npos);
}

TEST_CASE("login checks and stores credentials, resolve uses them, logout removes them") {
  for (bool token : {false, true}) {
    SECTION(token ? "TLS + token auth" : "TLS + htpasswd") {
      TempDir home;
      RegistryOptions o;
      o.tls = true;
      if (token)
        o.token = Credentials{"alice", "pa55word"};
      else
        o.htpasswd = Credentials{"alice", "pa55word"};
      auto reg = start_registry(o);
      REQUIRE(push_fixtures(*reg, "secure-app").ok());
      trust_ca(*reg, home.path);
      const std::string ref = reg->host_port() + "/secure-app:signed";

      auto anonymous = run_cli(home.path, {"resolve", ref});
      CHECK(anonymous.exit_status == 4);

      auto wrong =
          run_cli(home.path, {"login", "-u", "alice", "--password-stdin", reg->host_port()},
                  "not-the-password\n");
      CHECK(wrong.exit_status == 4);
      CHECK_FALSE(fs::exists(home.path + "/.docker/config.json"));

      auto login = run_cli(
          home.path, {"login", "-u", "alice", "--password-stdin", reg->host_port()}, "pa55word\n");
      INFO(login.err);
      REQUIRE(login.exit_status == 0);
      CHECK(login.out.find("Login succeeded") != std::string::npos);
      CHECK(login.err.find("pa55word") == std::string::npos);
      struct stat st {};
      REQUIRE(::stat((home.path + "/.docker/config.json").c_str(), &st) == 0);
      CHECK((st.st_mode & 0777) == 0600);
      auto config = json::parse(fs::read_file(home.path + "/.docker/config.json").value());
      CHECK(config["auths"].contains(reg->host_port()));

      auto resolved = run_cli(home.path, {"resolve", ref});
      INFO(resolved.err);
      CHECK(resolved.exit_status == 0);
      CHECK(resolved.out.find(fixture_digest::kSecureApp) != std::string::npos);

      auto logout = run_cli(home.path, {"logout", reg->host_port()});
      CHECK(logout.exit_status == 0);
      CHECK(run_cli(home.path, {"resolve", ref}).exit_status == 4);
    }
  }
}

TEST_CASE("a TLS registry whose CA is unknown is refused, --insecure-registry is explicit") {
  TempDir home;
  RegistryOptions o;
  o.tls = true;
  auto reg = start_registry(o);
  REQUIRE(push_fixtures(*reg, "secure-app").ok());
  const std::string ref = reg->host_port() + "/secure-app:v1";
  auto refused = run_cli(home.path, {"resolve", ref});
  CHECK(refused.exit_status == 3);
  CHECK(refused.err.find("not trusted") != std::string::npos);
  auto insecure = run_cli(home.path, {"resolve", "--insecure-registry", reg->host_port(), ref});
  INFO(insecure.err);
  CHECK(insecure.exit_status == 0);
  CHECK(insecure.out.find(fixture_digest::kV1) != std::string::npos);
  // System CAs are looked up in the hashed /etc/ssl/certs, which does not hold the test CA (the
  // refusal above); OpenSSL's SSL_CERT_FILE names another bundle, and only that one counts.
  auto by_bundle = run_cli(home.path, {"resolve", ref}, "", {"SSL_CERT_FILE=" + reg->ca_file()});
  INFO(by_bundle.err);
  CHECK(by_bundle.exit_status == 0);
  CHECK(by_bundle.out.find(fixture_digest::kV1) != std::string::npos);
  auto other_bundle = run_cli(home.path, {"resolve", ref}, "",
                              {"SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"});
  CHECK(other_bundle.exit_status == 3);
}
