// The publication protocol over the in-memory store: a concurrent writer whose state lands
// right after ours loses nothing, endless contention is its own error (not "network"), and
// repo repair brings back publishing after a pusher planted a garbage root version.
#include <catch2/catch.hpp>

#include "unit/trust/memory_world.h"

using namespace trustctl;
using namespace trustctl::testing;

TEST_CASE("trust unit: a writer overwritten right after its write merges and publishes again") {
  MemoryWorld w;
  const std::string app = w.images.push("app", "app");
  const std::string mine = w.images.push("mine", "mine");
  const std::string theirs = w.images.push("theirs", "theirs");
  Party a(w, "a");
  a.sign({"app"});

  // The other writer (the same keys on another machine) publishes "theirs" from the same base;
  // its state lands just after a's first write and replaces it.
  MemoryWorld other_side;
  other_side.now = w.now;
  other_side.images = w.images;
  other_side.store.put(w.store.files());
  Party b(other_side, "b", &a, a.view().role("timestamp")->version);
  b.pin(a.root_keyid());
  b.sign({"theirs"});
  const auto competing = other_side.store.files();
  bool raced = false;
  w.store.after_write = [&] {
    if (raced) return;
    raced = true;
    w.store.put(competing);
  };

  const int writes = w.store.writes();
  a.sign({"mine"});
  CHECK(raced);
  CHECK(w.store.writes() == writes + 2);  // overwritten once, merged, written again
  CHECK(a.verified_digest("mine") == mine);
  CHECK(a.verified_digest("theirs") == theirs);
  CHECK(a.verified_digest("app") == app);
  Party reader(w, "reader");
  reader.pin(a.root_keyid());
  CHECK(reader.verified_digest("theirs") == theirs);
}

TEST_CASE("trust unit: a change that never survives is a contention error, exit 3") {
  MemoryWorld w;
  w.images.push("app", "app");
  w.images.push("mine", "mine");
  Party a(w, "a");
  a.sign({"app"});
  const auto before = w.store.files();
  w.store.after_write = [&] { w.store.put(before); };  // every write is undone at once
  auto r = a.trust().sign({{"mine", ""}}, false);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == ErrorCode::kContention);
  CHECK(r.error().exit_code() == 3);
  CHECK(r.error().message().find("attempts") != std::string::npos);
  w.store.after_write = nullptr;
  CHECK(a.verify_exit("mine") == 10);
}

TEST_CASE("trust unit: a garbage root version bricks publishing until repo repair") {
  MemoryWorld w;
  const std::string app = w.images.push("app", "app");
  const std::string next = w.images.push("next", "next");
  Party owner(w, "owner");
  owner.sign({"app"});
  const std::string root_id = owner.root_keyid();
  Party reader(w, "reader", &owner);  // the same keys, but it only ever verified
  reader.pin(root_id);
  REQUIRE(reader.verify_exit("app") == 0);
  auto files = w.store.files();
  files["2.root.json"] = R"({"signatures":[],"signed":{"_type":"root"}})";
  w.store.put(files);
  CHECK(owner.verify_exit("app") == 12);
  auto bricked = owner.trust().sign({{"next", ""}}, false);
  REQUIRE_FALSE(bricked.ok());
  CHECK(bricked.error().exit_code() == 12);

  // A verifier that vouches for nothing may not repair, nor one that saw nothing.
  auto not_yours = reader.trust().repair();
  REQUIRE_FALSE(not_yours.ok());
  CHECK(not_yours.error().exit_code() == 13);
  CHECK(not_yours.error().message().find("does not vouch") != std::string::npos);
  Party stranger(w, "stranger", &owner);
  stranger.pin(root_id);
  CHECK(stranger.trust().repair().error().exit_code() == 10);

  std::vector<std::string> dropped;
  auto repaired = owner.trust().repair(&dropped);
  INFO((repaired.ok() ? "" : repaired.error().message()));
  REQUIRE(repaired.ok());
  CHECK(std::find(dropped.begin(), dropped.end(), "2.root.json") != dropped.end());
  CHECK(w.store.files().count("2.root.json") == 0);
  CHECK(owner.verified_digest("app") == app);
  owner.sign({"next"});
  CHECK(owner.verified_digest("next") == next);
  Party fresh(w, "fresh");
  fresh.pin(root_id);
  CHECK(fresh.verified_digest("next") == next);
}
