// sign, verify and revoke over the in-memory store: the tag is resolved through verified
// metadata, never through the images' own tags, and every byte is checked against what was
// signed.
#include <catch2/catch.hpp>

#include "unit/trust/memory_world.h"

using namespace trustctl;
using namespace trustctl::testing;

TEST_CASE("trust unit: a signed tag verifies to its signed digest, also after the tag moves") {
  MemoryWorld w;
  const std::string v1 = w.images.push("app", "v1");
  w.images.push("unsigned", "u");
  Party owner(w, "owner");
  CHECK(owner.verify_exit("app") == 10);  // no trust data yet
  owner.sign({"app"});
  CHECK(owner.verified_digest("app") == v1);
  CHECK(owner.verify_exit("unsigned") == 10);

  // A pusher moves the tag in the registry: verify still answers the signed digest.
  const std::string v2 = w.images.push("app", "v2");
  CHECK(owner.verified_digest("app") == v1);
  auto by_digest = owner.trust().verify_digest(v1);
  REQUIRE(by_digest.ok());
  REQUIRE(by_digest->size() == 1);
  CHECK((*by_digest)[0].tag == "app");
  CHECK(owner.trust().verify_digest(v2).error().exit_code() == 10);

  // REF:TAG@DIGEST with another digest is refused.
  auto pinned = owner.trust().verify_tag("app", v2);
  REQUIRE_FALSE(pinned.ok());
  CHECK(pinned.error().exit_code() == 12);
}

TEST_CASE("trust unit: a manifest served with other bytes than signed is refused") {
  MemoryWorld w;
  const std::string v1 = w.images.push("app", "v1");
  Party owner(w, "owner");
  owner.sign({"app"});
  w.images.swap_manifest(v1, R"({"schemaVersion":2,"evil":true})");
  auto r = owner.trust().verify_tag("app");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == ErrorCode::kIntegrity);
  CHECK(r.error().exit_code() == 12);
}

TEST_CASE("trust unit: a second machine pins the root key and verifies, an unknown root fails") {
  MemoryWorld w;
  const std::string v1 = w.images.push("app", "v1");
  Party owner(w, "owner");
  owner.sign({"app"});

  Party stranger(w, "stranger");  // no pin, no first use: refused, nothing saved
  auto unknown = stranger.trust().verify_tag("app");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().exit_code() == 12);
  CHECK_FALSE(stranger.dir().has_trusted_root(w.ref).value());

  Party ci(w, "ci");
  ci.pin(owner.root_keyid());
  CHECK(ci.verified_digest("app") == v1);
  CHECK(ci.dir().root_origin(w.ref) == trust::RootOrigin::kPinned);

  // A pin of some other key trusts nothing here.
  Party wrong(w, "wrong");
  auto other = crypto::PrivateKey::generate(crypto::KeyType::kEcdsaP256);
  REQUIRE(other.ok());
  wrong.pin(other->public_key().key_id());
  CHECK(wrong.verify_exit("app") == 12);
}

TEST_CASE("trust unit: revoke removes only the named tags and keeps the rest verifiable") {
  MemoryWorld w;
  const std::string a = w.images.push("a", "a");
  const std::string b = w.images.push("b", "b");
  Party owner(w, "owner");
  owner.sign({"a", "b"});
  auto revoked = owner.trust().revoke({"a"}, false);
  INFO((revoked.ok() ? "" : revoked.error().message()));
  REQUIRE(revoked.ok());
  CHECK(*revoked == std::vector<std::string>{"a"});
  CHECK(owner.verify_exit("a") == 10);
  CHECK(owner.verified_digest("b") == b);

  // A tag nobody signed cannot be revoked; nothing is published for it.
  const int writes = w.store.writes();
  auto nothing = owner.trust().revoke({"never-signed"}, false);
  REQUIRE_FALSE(nothing.ok());
  CHECK(w.store.writes() == writes);
  CHECK(owner.verified_digest("b") == b);
  (void)a;
}

TEST_CASE("trust unit: a stored file that is missing or altered is tampering, not absence") {
  MemoryWorld w;
  w.images.push("app", "v1");
  Party owner(w, "owner");
  owner.sign({"app"});
  Party ci(w, "ci");
  ci.pin(owner.root_keyid());

  SECTION("altered") {
    w.store.corrupt("timestamp.json", "{}");
    CHECK(ci.verify_exit("app") == 12);
    CHECK(owner.verify_exit("app") == 12);
  }
  SECTION("missing") {
    w.store.drop_blob("1.root.json");
    CHECK(ci.verify_exit("app") == 12);
  }
  SECTION("trust data deleted after it was seen") {
    REQUIRE(w.store.erase(*w.store.current_head()).ok());
    auto gone = owner.trust().verify_tag("app");
    REQUIRE_FALSE(gone.ok());
    CHECK(gone.error().code() == ErrorCode::kFreshness);  // 13, not "unsigned"
    CHECK(ci.verify_exit("app") == 10);                   // never saw it: unsigned
  }
}

TEST_CASE("trust unit: a signed index verifies only with every manifest it names intact") {
  MemoryWorld w;
  const std::string amd64 = w.images.push("amd64-only", "amd64");
  const std::string arm64 = w.images.push("arm64-only", "arm64");
  const std::string index = w.images.push_index("multi", {amd64, arm64});
  Party owner(w, "owner");
  owner.sign({"multi"});
  trust::TrustedView view;
  REQUIRE(owner.trust().verify_tag("multi", "", &view).ok());
  bool children_checked = false;
  for (const auto& c : view.checks)
    children_checked |= c.name == "index" && c.detail.find("2 manifest(s)") == 0;
  CHECK(children_checked);

  SECTION("a child deleted from the registry") {
    w.images.remove(arm64);
    auto r = owner.trust().verify_tag("multi");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().exit_code() == 11);
    CHECK(r.error().message().find(arm64) != std::string::npos);
  }
  SECTION("a child served with other bytes") {
    w.images.swap_manifest(amd64, R"({"schemaVersion":2,"evil":true})");
    auto r = owner.trust().verify_tag("multi");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().exit_code() == 12);
    CHECK(r.error().message().find(amd64) != std::string::npos);
  }
  (void)index;
}
