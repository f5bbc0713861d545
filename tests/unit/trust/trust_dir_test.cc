// The trust dir layout (TrustDir): one folder per repository, never inside another's; pins,
// origins and the publisher's anchor; the trustctl 0.1 layout moved into place; permissions.
#include "trustctl/trust/trust_dir.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>

#include "support/temp_dir.h"
#include "trustctl/core/fs.h"

using namespace trustctl;
using trustctl::testing::TempDir;
using trustctl::trust::RootOrigin;
using trustctl::trust::TrustDir;

namespace {

registry::Reference ref(const std::string& text) {
  auto r = registry::Reference::parse(text);
  REQUIRE(r.ok());
  return *r;
}

void save_timestamp(const TrustDir& dir, const registry::Reference& r, int version) {
  auto metadata = dir.metadata_dir(r, true);
  REQUIRE(metadata.ok());
  REQUIRE(fs::write_file_atomic(*metadata + "/timestamp.json",
                                "{\"signed\":{\"version\":" + std::to_string(version) + "}}")
              .ok());
}

}  // namespace

TEST_CASE("each repository has one folder of its own, named by its encoded path") {
  TempDir t;
  TrustDir dir(t.path + "/trust");
  CHECK(trust::encode_repository_path("team/app") == "team%2Fapp");
  CHECK(trust::encode_repository_path("a.b_c-d") == "a.b_c-d");
  auto team = dir.repository_dir(ref("reg.example:5000/team"), true);
  auto app = dir.repository_dir(ref("reg.example:5000/team/app"), true);
  auto meta = dir.repository_dir(ref("reg.example:5000/team/metadata"), true);
  REQUIRE(team.ok());
  REQUIRE(app.ok());
  REQUIRE(meta.ok());
  CHECK(*team == t.path + "/trust/tuf/reg.example:5000/team");
  CHECK(*app == t.path + "/trust/tuf/reg.example:5000/team%2Fapp");
  CHECK(*meta == t.path + "/trust/tuf/reg.example:5000/team%2Fmetadata");
  CHECK(dir.metadata_dir(ref("reg.example:5000/team")).value() != *meta);
}

TEST_CASE("forget removes one repository's state and nothing of another's") {
  TempDir t;
  TrustDir dir(t.path + "/trust");
  auto team = ref("reg.example/team");
  auto app = ref("reg.example/team/app");
  save_timestamp(dir, team, 1);
  save_timestamp(dir, app, 1);
  REQUIRE(dir.set_root_origin(team, RootOrigin::kPinned).ok());
  CHECK(dir.forget(team).value());
  CHECK_FALSE(fs::exists(dir.metadata_dir(team).value()));
  CHECK(fs::exists(dir.metadata_dir(app).value() + "/timestamp.json"));
  CHECK(dir.root_origin(team) == RootOrigin::kTofu);
  CHECK_FALSE(dir.forget(team).value());
}

TEST_CASE("the publisher anchor holds only with saved state at least as new") {
  TempDir t;
  TrustDir dir(t.path + "/trust");
  auto r = ref("reg.example/app");
  CHECK_FALSE(dir.publisher_anchor(r).has_value());
  save_timestamp(dir, r, 7);
  REQUIRE(dir.set_publisher_anchor(r, 7).ok());
  REQUIRE(dir.set_root_origin(r, RootOrigin::kCreated).ok());  // keeps the anchor
  CHECK(dir.publisher_anchor(r) == 7);
  save_timestamp(dir, r, 9);
  CHECK(dir.publisher_anchor(r) == 7);
  save_timestamp(dir, r, 6);  // saved state older than what was published: no anchor
  CHECK_FALSE(dir.publisher_anchor(r).has_value());
  REQUIRE(::unlink((dir.metadata_dir(r).value() + "/timestamp.json").c_str()) == 0);
  CHECK_FALSE(dir.publisher_anchor(r).has_value());
}

TEST_CASE("pins are saved and found by repository") {
  TempDir t;
  TrustDir dir(t.path + "/trust");
  CHECK(dir.pins().value().empty());
  REQUIRE(dir.save_pins({{"reg.example/app", {"aa"}}, {"reg.example/b", {"bb", "cc"}}}).ok());
  auto pin = dir.pin_of(ref("reg.example/b"));
  REQUIRE(pin.ok());
  REQUIRE(pin->has_value());
  CHECK((*pin)->keyids == std::vector<std::string>{"bb", "cc"});
  CHECK_FALSE(dir.pin_of(ref("reg.example/c")).value().has_value());
  REQUIRE(fs::write_file_atomic(t.path + "/trust/pins.json", "[1,2]").ok());
  CHECK_FALSE(dir.pins().ok());
}

TEST_CASE("a trustctl 0.1 layout is moved into the repository's own folder") {
  TempDir t;
  TrustDir dir(t.path + "/trust");
  const std::string legacy = t.path + "/trust/tuf/reg.example/team/app";
  REQUIRE(fs::make_dirs(legacy + "/metadata").ok());
  REQUIRE(fs::write_file_atomic(legacy + "/metadata/root.json", "root").ok());
  REQUIRE(fs::write_file_atomic(legacy + "/trust.json", "{\"root_origin\":\"pinned\"}").ok());
  auto app = ref("reg.example/team/app");
  CHECK(dir.has_trusted_root(app).value());
  CHECK(dir.root_origin(app) == RootOrigin::kPinned);
  CHECK(fs::exists(t.path + "/trust/tuf/reg.example/team%2Fapp/metadata/root.json"));
  CHECK_FALSE(fs::exists(legacy + "/metadata"));
}

TEST_CASE("a group- or world-writable trust dir and linked folders are refused") {
  TempDir t;
  const std::string root = t.path + "/trust";
  TrustDir dir(root);
  CHECK(dir.check_permissions().ok());  // not there yet
  REQUIRE(fs::make_dirs(root, 0700).ok());
  CHECK(dir.check_permissions().ok());
  REQUIRE(::chmod(root.c_str(), 0775) == 0);
  auto group = dir.check_permissions();
  REQUIRE_FALSE(group.ok());
  CHECK(group.error().message().find("chmod go-w " + root) != std::string::npos);
  REQUIRE(::chmod(root.c_str(), 0703) == 0);
  CHECK(dir.check_permissions().error().message().find("writable by everyone") !=
        std::string::npos);
  REQUIRE(::chmod(root.c_str(), 0700) == 0);
  TempDir other;
  REQUIRE(fs::make_dirs(root + "/tuf").ok());
  REQUIRE(::symlink(other.path.c_str(), (root + "/tuf/reg.example").c_str()) == 0);
  auto linked = dir.metadata_dir(ref("reg.example/app"), true);
  REQUIRE_FALSE(linked.ok());
  CHECK(linked.error().message().find("symbolic link") != std::string::npos);
  CHECK_FALSE(dir.has_trusted_root(ref("reg.example/app")).ok());
}

TEST_CASE("scratch folders are private and removed after use") {
  TempDir t;
  TrustDir dir(t.path + "/trust");
  std::string path;
  {
    auto scratch = dir.scratch("export");
    REQUIRE(scratch.ok());
    path = scratch->path();
    CHECK(fs::exists(path));
    REQUIRE(fs::write_file_atomic(path + "/f", "x").ok());
  }
  CHECK_FALSE(fs::exists(path));
}
