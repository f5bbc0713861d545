// Copying trust data as it is (trust::copy_trust_data, trust::verify_copy): the destination gets
// the verified state without the signers' waiting versions; it is never rolled back, forked or
// taken over from another root; a fresh trust dir pinned to the root verifies the copy, at
// another path only through the mapping.
#include "trustctl/trust/copy.h"

#include <catch2/catch.hpp>

#include "unit/trust/memory_world.h"

using namespace trustctl;
using namespace trustctl::testing;

namespace {

trust::StoreView verified_state(Party& party, MemoryTrustStore& store) {
  auto v = trust::verify_store(party.trust().verifier(), store);
  INFO((v.ok() ? "" : v.error().message()));
  REQUIRE(v.ok());
  return std::move(v).value();
}

int copy_exit(const trust::StoreView& source, MemoryTrustStore& from, MemoryTrustStore& to) {
  auto r = trust::copy_trust_data(source, from, to, "registry.prod/team/app");
  return r.ok() ? 0 : r.error().exit_code();
}

registry::Reference ref(const std::string& text) {
  return registry::Reference::parse(text).value();
}

}  // namespace

TEST_CASE("trust copy: the verified state arrives as it is, and a second copy changes nothing") {
  MemoryWorld w;
  w.images.push("app", "v1");
  w.images.push("web", "w1");
  Party owner(w, "owner");
  owner.sign({"app", "web"});
  MemoryTrustStore dest;
  auto source = verified_state(owner, w.store);
  auto copied = trust::copy_trust_data(source, w.store, dest, "dest");
  REQUIRE(copied.ok());
  CHECK(*copied == trust::TrustCopy::kWritten);
  CHECK(dest.files() == w.store.files());
  const auto writes = dest.writes();
  auto again = trust::copy_trust_data(source, w.store, dest, "dest");
  REQUIRE(again.ok());
  CHECK(*again == trust::TrustCopy::kUnchanged);
  CHECK(dest.writes() == writes);
}

TEST_CASE("trust copy: signers' waiting versions stay behind") {
  MemoryWorld w;
  w.images.push("app", "v1");
  Party owner(w, "owner");
  owner.sign({"app"});
  auto files = w.store.files();
  files["pending.release.json"] = "{\"not\":\"trust data\"}";
  w.store.put(files);
  MemoryTrustStore dest;
  REQUIRE(copy_exit(verified_state(owner, w.store), w.store, dest) == 0);
  auto there = dest.files();
  CHECK(there.count("pending.release.json") == 0);
  CHECK(there.count("timestamp.json") == 1);
  CHECK(there.size() == files.size() - 1);
}

TEST_CASE("trust copy: a destination with newer or diverged trust data is never overwritten") {
  MemoryWorld w;
  w.images.push("app", "v1");
  Party owner(w, "owner");
  owner.sign({"app"});
  auto early = verified_state(owner, w.store);
  w.images.push("web", "w1");
  owner.sign({"web"});
  auto later = verified_state(owner, w.store);
  REQUIRE(later.verified.timestamp_version() > early.verified.timestamp_version());

  // An older state onto a newer one: a rollback of the destination (13), nothing written.
  MemoryTrustStore dest;
  REQUIRE(copy_exit(later, w.store, dest) == 0);
  const auto before = dest.files();
  CHECK(copy_exit(early, w.store, dest) == 13);
  CHECK(dest.files() == before);

  // The newer state onto an older one is the normal promotion.
  MemoryTrustStore older;
  REQUIRE(copy_exit(early, w.store, older) == 0);
  CHECK(copy_exit(later, w.store, older) == 0);
  CHECK(older.files() == before);

  // Another state at the same timestamp version: the histories have forked (13).
  MemoryTrustStore forked;
  auto mixed = early.state.files;  // the early files with the later timestamp
  std::map<std::string, std::string> bytes;
  for (const auto& [name, f] : mixed)
    bytes[name] = w.store.file(early.state, name, 1 << 20).value();
  bytes["timestamp.json"] = w.store.file(later.state, "timestamp.json", 1 << 20).value();
  forked.put(bytes);
  const auto forked_before = forked.files();
  CHECK(copy_exit(later, w.store, forked) == 13);
  CHECK(forked.files() == forked_before);
}

TEST_CASE("trust copy: a destination holding another root's trust data is not taken over") {
  MemoryWorld w;
  w.images.push("app", "v1");
  Party owner(w, "owner");
  owner.sign({"app"});
  auto source = verified_state(owner, w.store);

  MemoryWorld other_world;
  other_world.images.push("app", "x1");
  Party stranger(other_world, "stranger");
  stranger.sign({"app"});
  const auto theirs = other_world.store.files();
  CHECK(copy_exit(source, w.store, other_world.store) == 12);
  CHECK(other_world.store.files() == theirs);

  // Same first root, but a timestamp that is not metadata: refused (12), not overwritten.
  MemoryTrustStore garbled;
  auto files = w.store.files();
  files["timestamp.json"] = "not json";
  garbled.put(files);
  auto r = trust::copy_trust_data(source, w.store, garbled, "dest");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().exit_code() == 12);
  CHECK(r.error().message().find("timestamp.json") != std::string::npos);
  CHECK(garbled.files().at("timestamp.json") == "not json");
}

TEST_CASE("trust copy: a fresh trust dir pinned to the root verifies the copy, at any path") {
  MemoryWorld w;
  w.images.push("app", "v1");
  Party owner(w, "owner");
  owner.sign({"app"});
  auto source = verified_state(owner, w.store);
  MemoryTrustStore dest;
  REQUIRE(copy_exit(source, w.store, dest) == 0);

  TempDir scratch;
  // The same path on another registry.
  auto same_path =
      trust::verify_copy(source.verified, "team/app", dest, ref("registry.prod/team/app"),
                         trust::TrustDir(scratch / "a"));
  INFO((same_path.ok() ? "" : same_path.error().message()));
  REQUIRE(same_path.ok());
  CHECK(same_path->view().tags.size() == 1);
  // Another path: verified through the mapping to the source's path.
  auto mirrored =
      trust::verify_copy(source.verified, "team/app", dest, ref("registry.prod/mirror/app"),
                         trust::TrustDir(scratch / "b"));
  INFO((mirrored.ok() ? "" : mirrored.error().message()));
  CHECK(mirrored.ok());
  // Without the mapping a verifier at the other path refuses it (the root names team/app).
  trust::VerifyOptions plain;
  const trust::TrustDir c(scratch / "c");
  REQUIRE(c.save_pins({trust::Pin{"registry.prod/mirror/app",
                                  source.verified.root().roles.at("root").keyids}})
              .ok());
  auto unmapped =
      trust::verify_store(trust::Verifier(c, ref("registry.prod/mirror/app"), plain), dest);
  REQUIRE_FALSE(unmapped.ok());
  CHECK(unmapped.error().exit_code() == 12);

  // Another root's data where the copy should be: the pinned check fails.
  MemoryWorld other_world;
  other_world.images.push("app", "x1");
  Party stranger(other_world, "stranger");
  stranger.sign({"app"});
  auto forged = trust::verify_copy(source.verified, "team/app", other_world.store,
                                   ref("registry.prod/team/app"), trust::TrustDir(scratch / "d"));
  REQUIRE_FALSE(forged.ok());
  CHECK(forged.error().exit_code() == 12);
}
