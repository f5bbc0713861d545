// repo export, verify --offline --from DIR and repo delete, through the trustctl binary on a
// real registry:2: the export is a standard TUF repository (tuf-js, an independent client,
// refreshes from it over HTTP and downloads the signed manifests), offline verification opens
// no socket (strace) and works with the registry stopped, and a deleted repository is
// forgotten by the trust dir that deleted it but is an attack to one that had seen it.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "registry_env.h"
#include "support/loopback_server.h"
#include "trustctl/core/subprocess.h"
#include "trustctl/registry/digest.h"
#include "trustctl/truststore/oci_store.h"

using namespace trustctl;
using namespace trustctl::testing;
using nlohmann::json;

namespace {

const std::string kInterop = std::string(TRUSTCTL_SOURCE_DIR) + "/tests/interop/tuf-js";

// One user of trustctl: a home and a trust dir; never a TTY.
struct User {
  TempDir home;
  std::vector<std::string> env;
  User() {
    env = {"HOME=" + home.path,
           "TRUSTCTL_TRUST_DIR=" + home.path + "/trust",
           "TRUSTCTL_ROOT_PASSPHRASE=root-secret-1",
           "TRUSTCTL_REPOSITORY_PASSPHRASE=repo-secret-1",
           "TRUSTCTL_DELEGATION_PASSPHRASE=ci-secret-1",
           "TRUSTCTL_TOFU=0"};
  }
  std::vector<std::string> argv(const std::vector<std::string>& args) const {
    std::vector<std::string> a = {"env", "-u", "DOCKER_CONFIG"};
    a.insert(a.end(), env.begin(), env.end());
    a.push_back(TRUSTCTL_BIN);
    a.insert(a.end(), args.begin(), args.end());
    return a;
  }
  ProcessOutput run(const std::vector<std::string>& args) const {
    auto r = run_process(argv(args));
    REQUIRE(r.ok());
    return *r;
  }
  // Runs trustctl under strace; returns its output and the socket/connect calls it made.
  std::pair<ProcessOutput, std::string> traced(const std::vector<std::string>& args) const {
    const std::string trace = home.path + "/strace.txt";
    std::vector<std::string> a = {"strace", "-f", "-qq", "-e", "trace=socket,connect", "-o", trace};
    auto inner = argv(args);
    a.insert(a.end(), inner.begin(), inner.end());
    auto r = run_process(a);
    REQUIRE(r.ok());
    auto calls = fs::read_file(trace);
    REQUIRE(calls.ok());
    return {*r, *calls};
  }
  std::string trust_dir() const { return home.path + "/trust"; }
};

std::string line(const ProcessOutput& o) {
  std::string s = o.out;
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

std::string read(const std::string& path) {
  auto r = fs::read_file(path);
  INFO(path);
  REQUIRE(r.ok());
  return *r;
}

bool inet_socket(const std::string& strace_output) {
  return strace_output.find("AF_INET") != std::string::npos;  // AF_INET and AF_INET6
}

std::string root_key_of(const User& u, const std::string& repo) {
  auto inspect = u.run({"inspect", repo});
  REQUIRE(inspect.exit_status == 0);
  return json::parse(inspect.out)[0]["AdministrativeKeys"][0]["Keys"][0]["ID"].get<std::string>();
}

// Serves a folder on a free loopback port.
class FileServer : public trustctl::testing::LoopbackServer {
 public:
  explicit FileServer(const std::string& dir)
      : LoopbackServer([&](httplib::Server& s) { REQUIRE(s.set_mount_point("/", dir)); }) {}
};

// Flips one hex digit of the first signature in a metadata file.
void tamper_signature(const std::string& path) {
  std::string bytes = read(path);
  auto at = bytes.find("\"sig\":\"");
  REQUIRE(at != std::string::npos);
  char& c = bytes[at + 7];
  c = c == '0' ? '1' : '0';
  REQUIRE(fs::write_file_atomic(path, bytes, 0644).ok());
}

}  // namespace

TEST_CASE("repo export writes the verified trust data as a TUF repository tuf-js accepts") {
  auto node = run_process({"node", "--version"});
  INFO("node and tests/interop/tuf-js/install.sh are required");
  REQUIRE(node.ok());
  REQUIRE(node->exit_status == 0);
  REQUIRE(fs::exists(kInterop + "/node_modules/tuf-js/package.json"));

  auto reg = start_registry();
  REQUIRE(push_fixtures(*reg, "secure-app").ok());
  User owner;
  const std::string repo = reg->host_port() + "/secure-app";
  REQUIRE(owner.run({"sign", "--init", repo + ":signed"}).exit_status == 0);
  // v1 is signed by a named signer: the export carries the delegated role, and tuf-js finds v1
  // by walking the delegation.
  REQUIRE(owner.run({"key", "generate", "ci", "--dir", owner.home.path}).exit_status == 0);
  REQUIRE(
      owner.run({"signer", "add", "ci", repo, "--key", owner.home.path + "/ci.pub"}).exit_status ==
      0);
  auto by_ci = owner.run({"sign", "--signer", "ci", repo + ":v1"});
  INFO(by_ci.err);
  REQUIRE(by_ci.exit_status == 0);

  TempDir tmp;
  const std::string dir = tmp.path + "/served/export";
  auto exported = owner.run({"repo", "export", "-o", "json", "--with-manifests", repo, dir});
  INFO(exported.err);
  REQUIRE(exported.exit_status == 0);
  auto j = json::parse(exported.out);
  std::set<std::string> paths;
  for (const auto& f : j["files"]) paths.insert(f["path"].get<std::string>());
  CHECK(j["files"].back()["path"] == "timestamp.json");  // written last: the entry point
  CHECK(paths.count("1.root.json"));
  CHECK(paths.count("timestamp.json"));
  CHECK(paths.count("3.targets.json"));   // init, sign signed, signer add
  CHECK(paths.count("4.snapshot.json"));  // and the signer's first version
  CHECK(paths.count("1.ci.json"));
  // With consistent snapshots a plain client never asks for the unversioned names.
  CHECK_FALSE(fs::exists(dir + "/root.json"));
  CHECK_FALSE(fs::exists(dir + "/snapshot.json"));
  CHECK_FALSE(fs::exists(dir + "/targets.json"));
  const std::string signed_hex = std::string(fixture_digest::kSecureApp).substr(7);
  const std::string v1_hex = std::string(fixture_digest::kV1).substr(7);
  CHECK(paths.count("targets/" + signed_hex + ".signed"));
  CHECK(paths.count("targets/" + v1_hex + ".v1"));
  struct stat st {};
  REQUIRE(::stat(dir.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0755);

  // Byte for byte as stored in the registry.
  TempDir scratch;
  auto client = client_for(*reg, scratch.path);
  truststore::OciTrustStore store(*client, "secure-app", nullptr);
  auto state = store.read();
  REQUIRE(state.ok());
  REQUIRE(state->has_value());
  for (const auto& p : paths) {
    if (p.rfind("targets/", 0) == 0) continue;
    auto stored = store.file(**state, p, 1 << 20);
    REQUIRE(stored.ok());
    CHECK(read(dir + "/" + p) == *stored);
  }

  // The offline verifier resolves the signer's tag from the export too.
  auto offline = owner.run({"verify", "--offline", "--from", dir, "-o", "json", repo + ":v1"});
  INFO(offline.err);
  REQUIRE(offline.exit_status == 0);
  CHECK(json::parse(offline.out)["digest"] == fixture_digest::kV1);

  SECTION("tuf-js refreshes from the export and downloads the signed manifests") {
    FileServer server(tmp.path + "/served");
    const std::string client_dir = tmp.path + "/tufjs-client";
    REQUIRE(fs::make_dirs(client_dir).ok());
    REQUIRE(fs::write_file_atomic(client_dir + "/root.json", read(dir + "/1.root.json")).ok());
    auto r = run_process({"node", kInterop + "/client.mjs", client_dir, server.url("/export"),
                          server.url("/export/targets"), tmp.path + "/downloads", "signed", "v1"});
    REQUIRE(r.ok());
    INFO(r->out << r->err);
    REQUIRE(r->exit_status == 0);
    CHECK(registry::Digest::of(read(tmp.path + "/downloads/signed")).string() ==
          fixture_digest::kSecureApp);
    CHECK(registry::Digest::of(read(tmp.path + "/downloads/v1")).string() == fixture_digest::kV1);

    // ...and refuses the export once a file is tampered with.
    tamper_signature(dir + "/timestamp.json");
    REQUIRE(fs::write_file_atomic(client_dir + "/root.json", read(dir + "/1.root.json")).ok());
    ::unlink((client_dir + "/timestamp.json").c_str());
    auto bad = run_process({"node", kInterop + "/client.mjs", client_dir, server.url("/export"),
                            server.url("/export/targets"), tmp.path + "/downloads2", "signed"});
    REQUIRE(bad.ok());
    CHECK(bad->exit_status == 1);
  }

  SECTION("a non-empty folder needs --force") {
    auto again = owner.run({"repo", "export", repo, dir});
    CHECK(again.exit_status == 2);
    CHECK(again.err.find("--force") != std::string::npos);
    auto forced = owner.run({"repo", "export", "--force", repo, dir});
    INFO(forced.err);
    CHECK(forced.exit_status == 0);
    CHECK(forced.out.find("timestamp.json") != std::string::npos);
  }

  SECTION("a repository without trust data has nothing to export") {
    auto none = owner.run({"repo", "export", reg->host_port() + "/nothing", tmp.path + "/none"});
    CHECK(none.exit_status == 10);
    CHECK_FALSE(fs::exists(tmp.path + "/none"));
  }
}

TEST_CASE("verify --offline --from DIR: no socket, registry stopped, tampering and rollback") {
  auto strace = run_process({"strace", "-V"});
  INFO("strace is required (scripts/setup.sh installs it)");
  REQUIRE(strace.ok());
  REQUIRE(strace->exit_status == 0);

  auto reg = start_registry();
  REQUIRE(push_fixtures(*reg, "secure-app").ok());
  User owner;
  const std::string repo = reg->host_port() + "/secure-app";
  REQUIRE(owner.run({"sign", "--init", repo + ":signed"}).exit_status == 0);
  TempDir tmp;
  const std::string old_export = tmp.path + "/old";
  const std::string dir = tmp.path + "/export";
  REQUIRE(owner.run({"repo", "export", repo, old_export}).exit_status == 0);
  REQUIRE(owner.run({"sign", repo + ":v1"}).exit_status == 0);
  REQUIRE(owner.run({"repo", "export", "--with-manifests", repo, dir}).exit_status == 0);
  const std::string root_key = root_key_of(owner, repo);

  // The positive control: strace sees the sockets of an online verify.
  auto [online, online_calls] = owner.traced({"verify", repo + ":signed"});
  REQUIRE(online.exit_status == 0);
  REQUIRE(inet_socket(online_calls));

  // An air-gapped machine: the root pinned out of band, only the export.
  User airgap;
  REQUIRE(airgap.run({"trust", "pin", repo, "--fingerprint", root_key}).exit_status == 0);
  auto [offline, calls] =
      airgap.traced({"verify", "--offline", "--from", dir, "-o", "json", repo + ":signed"});
  INFO(offline.err << calls);
  REQUIRE(offline.exit_status == 0);
  CHECK_FALSE(inet_socket(calls));
  auto j = json::parse(offline.out);
  CHECK(j["verified"] == true);
  CHECK(j["digest"] == fixture_digest::kSecureApp);
  CHECK(j["root_origin"] == "pinned");
  bool manifest_checked = false;
  for (const auto& c : j["checks"]) manifest_checked = manifest_checked || c["check"] == "manifest";
  CHECK(manifest_checked);  // exported --with-manifests: the manifest was hashed too

  // The registry is gone: offline still verifies, online cannot.
  REQUIRE(reg->stop().ok());
  auto [v1, v1_calls] = owner.traced({"verify", "--offline", "--from", dir, repo + ":v1"});
  INFO(v1.err);
  CHECK(v1.exit_status == 0);
  CHECK(line(v1) == fixture_digest::kV1);
  CHECK_FALSE(inet_socket(v1_calls));
  CHECK(owner.run({"verify", "--offline", "--from", dir, repo + "@" + fixture_digest::kV1})
            .exit_status == 0);
  CHECK(owner.run({"verify", repo + ":v1"}).exit_status == 3);
  CHECK(owner.run({"verify", "--offline", "--from", dir, repo + ":app"}).exit_status == 10);
  CHECK(owner.run({"verify", "--offline", repo + ":v1"}).exit_status == 2);  // needs --from

  // Unknown root: refused with the command that pins it, as online.
  User stranger;
  auto unknown = stranger.run({"verify", "--offline", "--from", dir, repo + ":signed"});
  CHECK(unknown.exit_status == 12);
  CHECK(unknown.err.find("trustctl trust pin " + repo + " --fingerprint " + root_key) !=
        std::string::npos);

  // An older export is a rollback for a trust dir that saw newer trust data.
  auto rollback = owner.run({"verify", "--offline", "--from", old_export, repo + ":signed"});
  INFO(rollback.err);
  CHECK(rollback.exit_status == 13);

  // A tampered file is refused, and nothing of it is trusted afterwards.
  User fresh;
  REQUIRE(fresh.run({"trust", "pin", repo, "--fingerprint", root_key}).exit_status == 0);
  REQUIRE(run_process({"cp", "-r", dir, tmp.path + "/tampered"}).ok());
  tamper_signature(tmp.path + "/tampered/timestamp.json");
  auto tampered =
      fresh.run({"verify", "--offline", "--from", tmp.path + "/tampered", repo + ":v1"});
  INFO(tampered.err);
  CHECK(tampered.exit_status == 12);
  CHECK(fresh.run({"verify", "--offline", "--from", dir, repo + ":v1"}).exit_status == 0);

  // A manifest in the export that is not the signed one.
  REQUIRE(run_process({"cp", "-r", dir, tmp.path + "/bad-manifest"}).ok());
  const std::string m =
      tmp.path + "/bad-manifest/targets/" + std::string(fixture_digest::kV1).substr(7) + ".v1";
  REQUIRE(fs::write_file_atomic(m, read(m) + " ", 0644).ok());
  CHECK(fresh.run({"verify", "--offline", "--from", tmp.path + "/bad-manifest", repo + ":v1"})
            .exit_status == 12);
}

TEST_CASE("repo delete: forgotten by this trust dir, an attack to one that had seen it") {
  auto reg = start_registry();
  REQUIRE(push_fixtures(*reg, "secure-app").ok());
  User owner;
  const std::string repo = reg->host_port() + "/secure-app";
  REQUIRE(owner.run({"sign", "--init", repo + ":signed"}).exit_status == 0);
  User other;
  REQUIRE(
      other.run({"trust", "pin", repo, "--fingerprint", root_key_of(owner, repo)}).exit_status ==
      0);
  REQUIRE(other.run({"verify", repo + ":signed"}).exit_status == 0);

  auto unconfirmed = owner.run({"repo", "delete", repo});  // no TTY, no --yes
  CHECK(unconfirmed.exit_status == 2);
  CHECK(unconfirmed.err.find("--yes") != std::string::npos);
  CHECK(owner.run({"verify", repo + ":signed"}).exit_status == 0);
  CHECK(owner.run({"repo", "delete", "--yes", repo + ":signed"}).exit_status == 2);

  auto deleted = owner.run({"repo", "delete", "--yes", "-o", "json", repo});
  INFO(deleted.err);
  REQUIRE(deleted.exit_status == 0);
  auto j = json::parse(deleted.out);
  CHECK(j["deleted"] == true);
  CHECK(j["forgot_local_state"] == true);
  CHECK_FALSE(fs::exists(owner.trust_dir() + "/tuf/" + reg->host_port() + "/secure-app/metadata"));
  CHECK(fs::exists(owner.trust_dir() + "/private"));  // the keys stay

  auto forgotten = owner.run({"verify", repo + ":signed"});
  CHECK(forgotten.exit_status == 10);
  auto attack = other.run({"verify", repo + ":signed"});
  CHECK(attack.exit_status == 13);
  CHECK(attack.err.find("gone") != std::string::npos);
  CHECK(owner.run({"repo", "delete", "--yes", repo}).exit_status == 10);  // nothing left

  // The deleting trust dir may initialise the repository again.
  auto again = owner.run({"sign", "--init", repo + ":signed"});
  INFO(again.err);
  CHECK(again.exit_status == 0);
}

TEST_CASE("repo delete on a registry with deletes disabled changes nothing") {
  RegistryOptions o;
  o.delete_enabled = false;
  auto reg = start_registry(o);
  REQUIRE(push_fixtures(*reg, "secure-app").ok());
  User owner;
  const std::string repo = reg->host_port() + "/secure-app";
  REQUIRE(owner.run({"sign", "--init", repo + ":signed"}).exit_status == 0);
  auto refused = owner.run({"repo", "delete", "--yes", repo});
  CHECK(refused.exit_status == 1);
  CHECK(refused.err.find("deletes disabled") != std::string::npos);
  CHECK(owner.run({"verify", repo + ":signed"}).exit_status == 0);
}
