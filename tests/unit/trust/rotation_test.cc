// Key rotation over the in-memory store: a client that saw the old state follows every
// rotation, a newcomer pinned to the first root key walks the chain, and forged roots (the
// right key ID over the wrong key, a rotation signed by the new key only) are refused.
#include <catch2/catch.hpp>

#include "unit/trust/memory_world.h"

using namespace trustctl;
using namespace trustctl::testing;

namespace {

crypto::PrivateKey new_key() {
  auto k = crypto::PrivateKey::generate(crypto::KeyType::kEcdsaP256);
  REQUIRE(k.ok());
  return std::move(k).value();
}

}  // namespace

TEST_CASE("trust unit: every role rotates and old and new clients follow") {
  MemoryWorld w;
  const std::string v1 = w.images.push("app", "v1");
  Party admin(w, "admin");
  admin.sign({"app"});
  const std::string first_root = admin.root_keyid();
  Party old_client(w, "old");
  old_client.pin(first_root);
  REQUIRE(old_client.verified_digest("app") == v1);

  std::int64_t root_version = 1;
  for (const std::string role : {"targets", "snapshot", "timestamp", "root"}) {
    INFO("rotating " << role);
    const auto before = admin.view().role(role)->keyids;
    auto rotated = admin.trust().rotate(role, "");
    INFO((rotated.ok() ? "" : rotated.error().message()));
    REQUIRE(rotated.ok());
    CHECK(*rotated != before.front());
    ++root_version;
    auto seen = old_client.view();
    CHECK(seen.role("root")->version == root_version);
    CHECK(seen.role(role)->keyids == std::vector<std::string>{*rotated});
    CHECK(old_client.verified_digest("app") == v1);
  }
  Party newcomer(w, "newcomer");
  newcomer.pin(first_root);
  CHECK(newcomer.verified_digest("app") == v1);
  CHECK(admin.root_keyid() != first_root);
}

TEST_CASE("trust unit: forged roots are refused by a client with state and by a pinned one") {
  MemoryWorld w;
  w.images.push("app", "v1");
  Party admin(w, "admin");
  admin.sign({"app"});
  const std::string root_id = admin.root_keyid();
  Party seen(w, "seen");
  seen.pin(root_id);
  REQUIRE(seen.verify_exit("app") == 0);
  auto evil = new_key();
  auto files = w.store.files();
  auto root = tuf::Metadata<tuf::Root>::from_bytes(files.at("1.root.json"));
  REQUIRE(root.ok());

  SECTION("2.root.json signed by the attacker's new root key only") {
    tuf::Root& body = root->mutate();
    body.remove_key("root", root_id);
    body.add_key("root", evil.public_key());
    body.version = 2;
    root->mutable_signatures().clear();
    REQUIRE(root->sign(evil).ok());
    files["2.root.json"] = root->to_bytes().value();
    w.store.put(files);
    CHECK(seen.verify_exit("app") == 12);
    Party fresh(w, "fresh");
    fresh.pin(root_id);
    CHECK(fresh.verify_exit("app") == 12);
  }
  SECTION("1.root.json listing the pinned key ID over the attacker's key") {
    tuf::Root& body = root->mutate();
    body.keys[root_id] = evil.public_key().to_tuf_json();
    root->mutable_signatures().clear();
    REQUIRE(root->sign(evil).ok());
    root->mutable_signatures().back().keyid = root_id;
    files["1.root.json"] = root->to_bytes().value();
    w.store.put(files);
    CHECK(seen.verify_exit("app") == 0);  // its trusted root is its own copy
    Party fresh(w, "fresh");
    fresh.pin(root_id);
    CHECK(fresh.verify_exit("app") == 12);
    CHECK_FALSE(fresh.dir().has_trusted_root(w.ref).value());  // nothing of it saved
  }
}
