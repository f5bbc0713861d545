// Runs the built trustctl binary: `trustctl key ...` exit codes, files and outputs.
#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>

#include "trustctl/core/subprocess.h"
#include "unit/crypto/test_files.h"

using namespace trustctl;
using testing::fixture;
using testing::mode_of;
using testing::read_text;
using testing::TempDir;

namespace {

// Runs trustctl in a new session (no controlling terminal), stdin a pipe, with only `env` set.
ProcessOutput run_cli(const TempDir& home, std::vector<std::string> args,
                      std::vector<std::string> env = {}) {
  std::vector<std::string> argv = {"env", "-i", "PATH=/usr/bin:/bin", "HOME=" + home.path,
                                   "TRUSTCTL_TRUST_DIR=" + home / "trust"};
  argv.insert(argv.end(), env.begin(), env.end());
  argv.push_back("setsid");
  argv.push_back(TRUSTCTL_BIN);
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run_process(argv);
  REQUIRE(r.ok());
  return std::move(r).value();
}

}  // namespace

TEST_CASE("key cli: generate, list, export", "[cli][key]") {
  TempDir home;
  auto gen = run_cli(home, {"key", "generate", "ci-bot", "--type", "ed25519", "--dir", home.path},
                     {"TRUSTCTL_DELEGATION_PASSPHRASE=signer-pass-1"});
  INFO(gen.err);
  REQUIRE(gen.exit_status == 0);
  const std::string pub = read_text(home / "ci-bot.pub");
  CHECK(pub.rfind("-----BEGIN PUBLIC KEY-----\nrole: ci-bot\n\n", 0) == 0);

  auto list = run_cli(home, {"key", "list", "-o", "json"});
  REQUIRE(list.exit_status == 0);
  auto keys = nlohmann::json::parse(list.out);
  REQUIRE(keys.size() == 1);
  CHECK(keys[0]["role"] == "ci-bot");
  CHECK(keys[0]["type"] == "ed25519");
  CHECK(keys[0]["repository"] == "");
  const std::string id = keys[0]["id"];
  CHECK(mode_of(home / "trust/private/" + id + ".key") == 0600);
  CHECK(mode_of(home / "trust/private") == 0700);
  CHECK_THAT(gen.out, Catch::Contains(id));

  auto text = run_cli(home, {"key", "list"});
  CHECK_THAT(text.out, Catch::Contains(id + " ci-bot"));

  auto exported = run_cli(home, {"key", "export", "--public", id.substr(0, 10)});
  REQUIRE(exported.exit_status == 0);
  // The same key as NAME.pub, without the header; openssl reads it.
  CHECK(exported.out.substr(exported.out.find('\n')) == pub.substr(pub.find("\n\n") + 1));
  testing::write_text(home / "exported.pem", exported.out);
  CHECK(run_process({"openssl", "pkey", "-pubin", "-in", home / "exported.pem", "-noout"})
            ->exit_status == 0);

  // The same name again: NAME.pub exists.
  auto again = run_cli(home, {"key", "generate", "ci-bot", "--dir", home.path},
                       {"TRUSTCTL_DELEGATION_PASSPHRASE=signer-pass-1"});
  CHECK(again.exit_status == 2);
}

TEST_CASE("key cli: no passphrase and no terminal fails fast", "[cli][key]") {
  TempDir home;
  const auto start = std::chrono::steady_clock::now();
  auto r = run_cli(home, {"key", "generate", "bot", "--dir", home.path});
  const auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(r.exit_status == 4);
  // A hang guard, not a speed check: waiting for a prompt would never end. Generous, because
  // this also runs under ASan on a loaded 2-core machine.
  CHECK(elapsed < std::chrono::seconds(30));
  CHECK_THAT(r.err, Catch::Contains("no passphrase for the new bot key") &&
                        Catch::Contains("set TRUSTCTL_DELEGATION_PASSPHRASE"));
  CHECK_FALSE(testing::mode_of(home / "bot.pub"));  // nothing half-made
}

TEST_CASE("key cli: passwd, wrong passphrase, rm", "[cli][key]") {
  TempDir home;
  const std::string old_pass = "TRUSTCTL_DELEGATION_PASSPHRASE=old-passphrase";
  REQUIRE(run_cli(home, {"key", "generate", "rel", "--dir", home.path}, {old_pass}).exit_status ==
          0);
  const std::string id =
      nlohmann::json::parse(run_cli(home, {"key", "list", "-o", "json"}).out)[0]["id"];

  auto wrong = run_cli(
      home, {"key", "passwd", id},
      {"TRUSTCTL_DELEGATION_PASSPHRASE=bad-passphrase", "TRUSTCTL_NEW_PASSPHRASE=new-passphrase"});
  CHECK(wrong.exit_status == 4);
  CHECK_THAT(wrong.err, Catch::Contains("wrong passphrase for key " + id + " (role rel)"));
  CHECK(wrong.err.find("bad-passphrase") == std::string::npos);

  auto no_new = run_cli(home, {"key", "passwd", id}, {old_pass});
  CHECK(no_new.exit_status == 4);
  CHECK_THAT(no_new.err, Catch::Contains("TRUSTCTL_NEW_PASSPHRASE"));

  auto ok =
      run_cli(home, {"key", "passwd", id}, {old_pass, "TRUSTCTL_NEW_PASSPHRASE=new-passphrase"});
  CHECK(ok.exit_status == 0);
  CHECK(run_cli(home, {"key", "passwd", id}, {old_pass, "TRUSTCTL_NEW_PASSPHRASE=third-pass"})
            .exit_status == 4);
  CHECK(run_cli(
            home, {"key", "passwd", id},
            {"TRUSTCTL_DELEGATION_PASSPHRASE=new-passphrase", "TRUSTCTL_NEW_PASSPHRASE=third-pass"})
            .exit_status == 0);

  CHECK(run_cli(home, {"key", "rm", id}).exit_status == 2);  // no TTY, no --yes
  CHECK(mode_of(home / "trust/private/" + id + ".key") == 0600);
  CHECK(run_cli(home, {"key", "rm", id, "--yes"}).exit_status == 0);
  CHECK_FALSE(mode_of(home / "trust/private/" + id + ".key"));
  CHECK(run_cli(home, {"key", "rm", id, "--yes"}).exit_status == 11);
}

TEST_CASE("key cli: list -o json survives a key file with a bad header", "[cli][key]") {
  TempDir home;
  REQUIRE(run_cli(home, {"key", "generate", "bob", "--dir", home.path},
                  {"TRUSTCTL_DELEGATION_PASSPHRASE=signer-pass-1"})
              .exit_status == 0);
  const std::string id =
      nlohmann::json::parse(run_cli(home, {"key", "list", "-o", "json"}).out)[0]["id"];
  const std::string path = home / "trust/private/" + id + ".key";
  std::string text = read_text(path);
  text.replace(text.find("role: bob\n"), 10, "role: b\xffo\n");
  testing::write_text(path, text);
  auto list = run_cli(home, {"key", "list", "-o", "json"});
  INFO(list.err);
  CHECK(list.exit_status == 0);
  CHECK(nlohmann::json::parse(list.out, nullptr, false) == nlohmann::json::array());
  CHECK_THAT(list.err, Catch::Contains("skipping key file " + path));
}

TEST_CASE("key cli: import a notary trust dir", "[cli][key][notary]") {
  TempDir home;
  auto r = run_cli(
      home, {"key", "import", fixture("notary-keys/notary-trust-dir"), "-o", "json"},
      {"TRUSTCTL_ROOT_PASSPHRASE=rootpass123", "TRUSTCTL_REPOSITORY_PASSPHRASE=targetspass123",
       "TRUSTCTL_SNAPSHOT_PASSPHRASE=snappass123",
       "DOCKER_CONTENT_TRUST_DELEGATION_PASSPHRASE=delegpass123"});
  INFO(r.err);
  REQUIRE(r.exit_status == 0);
  auto keys = nlohmann::json::parse(r.out);
  REQUIRE(keys.size() == 7);
  for (const auto& k : keys) {
    const std::string source = k["source"];
    CHECK(source.substr(source.size() - 69) == "/" + k["notary_id"].get<std::string>() + ".key");
  }
  // Export by notary's ID works too.
  auto exported =
      run_cli(home, {"key", "export", "--public",
                     "91fba9aec2e34e307114fe740b0c0a568b64fe0d68be2ae2e1559aaa019fa500"});
  CHECK(exported.exit_status == 0);
  CHECK_THAT(exported.out, Catch::StartsWith("-----BEGIN PUBLIC KEY-----\n"));
}

TEST_CASE("key cli: usage, not found and I/O errors map to exit codes", "[cli][key]") {
  TempDir home;
  CHECK(run_cli(home, {"key"}).exit_status == 2);
  CHECK(run_cli(home, {"key", "frobnicate"}).exit_status == 2);
  CHECK(run_cli(home, {"key", "generate"}).exit_status == 2);
  CHECK(run_cli(home, {"key", "generate", "x", "--type", "dsa"}).exit_status == 2);
  CHECK(run_cli(home, {"key", "generate", "Bad Name"}).exit_status == 2);
  CHECK(run_cli(home, {"key", "generate", "targets"}).exit_status == 2);
  CHECK(run_cli(home, {"key", "export", "abcd1234"}).exit_status == 2);  // no --public
  CHECK(run_cli(home, {"key", "export", "--public", "abcd1234"}).exit_status == 11);
  CHECK(run_cli(home, {"key", "passwd", "abcd1234"}).exit_status == 11);
  CHECK(run_cli(home, {"key", "import", home / "missing.pem"}).exit_status == 1);
  CHECK(run_cli(home, {"key", "import", fixture("notary-keys/delegation-keys/rsa.pub")})
            .exit_status == 2);
  auto help = run_cli(home, {"key", "--help"});
  CHECK(help.exit_status == 0);
  CHECK_THAT(help.out, Catch::Contains("generate NAME"));
}
