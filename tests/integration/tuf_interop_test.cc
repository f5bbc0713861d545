// Interop with an independent TUF implementation, tuf-js 5 (tests/interop/tuf-js/):
//   - tuf-js's Updater refreshes and downloads from a repository written by trustctl's builder;
//   - `trustctl tuf-client` refreshes and downloads from a repository written by @tufjs/models.
// Both are served over HTTP on 127.0.0.1. Node and the pinned tuf-js (install.sh) are required:
// without them these tests fail, they do not skip.
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <thread>

#include "support/loopback_server.h"
#include "support/temp_dir.h"
#include "support/tuf_builder/repository_builder.h"
#include "trustctl/core/fs.h"
#include "trustctl/core/subprocess.h"
#include "trustctl/crypto/hash.h"
#include "trustctl/crypto/keys.h"

using namespace trustctl;
using trustctl::testing::TempDir;

namespace {

const std::string kInterop = std::string(TRUSTCTL_SOURCE_DIR) + "/tests/interop/tuf-js";

// Serves a folder on a free loopback port.
class FileServer : public trustctl::testing::LoopbackServer {
 public:
  explicit FileServer(const std::string& dir)
      : LoopbackServer([&](httplib::Server& s) { REQUIRE(s.set_mount_point("/", dir)); }) {}
};

// Node and the pinned tuf-js must be present: a missing toolchain is a failure.
void require_node() {
  auto node = run_process({"node", "--version"});
  INFO("node is required for the tuf-js interop tests (Node >= 20.17)");
  REQUIRE(node.ok());
  REQUIRE(node->exit_status == 0);
  INFO("run tests/interop/tuf-js/install.sh first (npm ci of the pinned tuf-js)");
  REQUIRE(fs::exists(kInterop + "/node_modules/tuf-js/package.json"));
}

ProcessOutput node(std::vector<std::string> args) {
  args.insert(args.begin(), "node");
  auto r = run_process(args);
  REQUIRE(r.ok());
  return std::move(r).value();
}

std::shared_ptr<const crypto::PrivateKey> key(crypto::KeyType type) {
  auto k = crypto::PrivateKey::generate(type);
  REQUIRE(k.ok());
  return std::make_shared<const crypto::PrivateKey>(std::move(k).value());
}

std::string read(const std::string& path) {
  auto r = fs::read_file(path);
  REQUIRE(r.ok());
  return *r;
}

}  // namespace

TEST_CASE("tuf-js verifies and downloads from a repository trustctl built") {
  require_node();
  TempDir tmp;
  tuf::RepositoryOptions options;
  options.now = static_cast<std::int64_t>(std::time(nullptr));
  tuf::RepositoryBuilder repo(options);
  repo.add_key("root", key(crypto::KeyType::kEd25519));
  repo.add_key("targets", key(crypto::KeyType::kEcdsaP256));
  repo.add_key("snapshot", key(crypto::KeyType::kEd25519));
  repo.add_key("timestamp", key(crypto::KeyType::kEcdsaP256));
  tuf::DelegatedRole releases;
  releases.name = "releases";
  releases.paths = std::vector<std::string>{"releases/*"};
  repo.add_delegation("targets", releases, {key(crypto::KeyType::kEcdsaP256)});
  repo.add_target("targets", "v1", "manifest one", nlohmann::json{{"mediaType", "x"}});
  repo.add_target("releases", "releases/v2", "manifest two");
  REQUIRE(repo.publish().ok());
  // A root rotation, so tuf-js walks 1 -> 2.
  repo.add_key("root", key(crypto::KeyType::kEd25519));
  REQUIRE(repo.publish_root().ok());
  REQUIRE(repo.export_to(tmp.path + "/repo/metadata", tmp.path + "/repo/targets").ok());
  REQUIRE(fs::make_dirs(tmp.path + "/client").ok());
  REQUIRE(fs::write_file_atomic(tmp.path + "/client/root.json", repo.files()["1.root.json"]).ok());

  FileServer server(tmp.path + "/repo");
  auto run_client = [&](const std::string& target) {
    return node({kInterop + "/client.mjs", tmp.path + "/client", server.url("/metadata"),
                 server.url("/targets"), tmp.path + "/downloads", target});
  };
  auto r = run_client("v1");
  INFO(r.out << r.err);
  REQUIRE(r.exit_status == 0);
  CHECK(read(tmp.path + "/downloads/v1") == "manifest one");
  auto r2 = run_client("releases/v2");
  INFO(r2.out << r2.err);
  REQUIRE(r2.exit_status == 0);
  CHECK(read(tmp.path + "/downloads/releases%2Fv2") == "manifest two");
  CHECK(read(tmp.path + "/client/root.json") == repo.files()["2.root.json"]);

  SECTION("tuf-js refuses a tampered target") {
    const std::string hashed = crypto::sha256_hex("manifest one") + ".v1";
    REQUIRE(fs::write_file_atomic(tmp.path + "/repo/targets/" + hashed, "manifest ONE").ok());
    REQUIRE(run_process({"rm", "-rf", tmp.path + "/downloads"}).ok());
    auto bad = run_client("v1");
    CHECK(bad.exit_status == 1);
    CHECK_FALSE(fs::exists(tmp.path + "/downloads/v1"));
  }
}

TEST_CASE("trustctl tuf-client verifies and downloads from a repository tuf-js wrote") {
  require_node();
  TempDir tmp;
  auto w = node({kInterop + "/repo.mjs", tmp.path + "/repo"});
  INFO(w.out << w.err);
  REQUIRE(w.exit_status == 0);
  FileServer server(tmp.path + "/repo");
  const std::string md = tmp.path + "/client";
  auto tuf_client = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {TRUSTCTL_BIN, "tuf-client", "--metadata-dir", md};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = run_process(argv);
    REQUIRE(r.ok());
    return std::move(r).value();
  };
  auto init = tuf_client({"init", tmp.path + "/repo/metadata/1.root.json"});
  INFO(init.err);
  REQUIRE(init.exit_status == 0);
  auto dl =
      tuf_client({"--metadata-url", server.url("/metadata"), "--target-name", "hello.txt",
                  "--target-name", "releases/v1.txt", "--target-base-url", server.url("/targets"),
                  "--target-dir", tmp.path + "/downloads", "download"});
  INFO(dl.err);
  REQUIRE(dl.exit_status == 0);
  CHECK(read(tmp.path + "/downloads/hello.txt") == "hello from tuf-js\n");
  CHECK(read(tmp.path + "/downloads/releases%2Fv1.txt") == "release one\n");
  CHECK(read(md + "/timestamp.json") == read(tmp.path + "/repo/metadata/timestamp.json"));
  CHECK(read(md + "/releases.json") == read(tmp.path + "/repo/metadata/1.releases.json"));

  SECTION("a tampered timestamp fails with exit 1") {
    std::string ts = read(tmp.path + "/repo/metadata/timestamp.json");
    const auto pos = ts.find("\"version\":1");
    REQUIRE(pos != std::string::npos);
    ts.replace(pos, 11, "\"version\":9");
    REQUIRE(fs::write_file_atomic(tmp.path + "/repo/metadata/timestamp.json", ts, 0644).ok());
    auto bad = tuf_client({"--metadata-url", server.url("/metadata"), "refresh"});
    CHECK(bad.exit_status == 1);
    CHECK_THAT(bad.err, Catch::Contains("role 'timestamp': 0 valid signature(s)"));
  }
}
