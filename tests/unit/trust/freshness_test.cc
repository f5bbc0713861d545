// Freshness over the in-memory store and an injected clock: expiry and renewal, rollback and
// freeze by a pusher replaying old states, and the publisher's vouching for what it re-signs
// (docs/security-model.md, docs/operations.md).
#include <catch2/catch.hpp>

#include "unit/trust/memory_world.h"

using namespace trustctl;
using namespace trustctl::testing;

namespace {

constexpr std::int64_t kDay = 86400;

std::int64_t timestamp_version(Party& p) { return p.view().role("timestamp")->version; }

}  // namespace

TEST_CASE("trust unit: an expired timestamp is refused with its fix named, renewal restores it") {
  MemoryWorld w;
  const std::string v1 = w.images.push("app", "v1");
  Party owner(w, "owner");
  owner.sign({"app"});
  w.now += 15 * kDay;  // past the 14-day timestamp
  auto expired = owner.trust().verify_tag("app");
  REQUIRE_FALSE(expired.ok());
  CHECK(expired.error().code() == ErrorCode::kExpired);
  CHECK(expired.error().exit_code() == 13);
  CHECK(expired.error().message().find("trustctl repo refresh " + w.ref.name()) !=
        std::string::npos);
  auto renewed = owner.trust().renew();
  INFO((renewed.ok() ? "" : renewed.error().message()));
  REQUIRE(renewed.ok());
  CHECK(owner.verified_digest("app") == v1);
  CHECK(owner.view().role("timestamp")->expires == w.now + 14 * kDay);
}

TEST_CASE("trust unit: a replayed older state is a rollback, a frozen one expires") {
  MemoryWorld w;
  w.images.push("app", "v1");
  Party owner(w, "owner");
  owner.sign({"app"});
  const std::string signed_state = *w.store.current_head();
  REQUIRE(owner.trust().revoke({"app"}, false).ok());
  Party ci(w, "ci");
  ci.pin(owner.root_keyid());
  REQUIRE(ci.verify_exit("app") == 10);  // ci saw the revocation

  SECTION("rollback") {
    w.store.restore(signed_state);  // the pusher puts the signed state back
    auto back = ci.trust().verify_tag("app");
    REQUIRE_FALSE(back.ok());
    CHECK(back.error().code() == ErrorCode::kFreshness);
    CHECK(owner.verify_exit("app") == 13);
    // The owner does not re-sign what it knows to be a rollback.
    auto sign = owner.trust().sign({{"app", ""}}, false);
    REQUIRE_FALSE(sign.ok());
    CHECK(sign.error().exit_code() == 13);
  }
  SECTION("freeze") {
    const auto head = *w.store.current_head();
    w.now += 15 * kDay;  // the pusher keeps serving the last state; nobody refreshed it
    CHECK(*w.store.current_head() == head);
    CHECK(ci.verify_exit("app") == 13);
  }
}

TEST_CASE("trust unit: a publisher vouching for no state re-signs only the state accepted") {
  MemoryWorld w;
  w.images.push("app", "v1");
  w.images.push("other", "o");
  Party owner(w, "owner");
  owner.sign({"app"});
  const std::string signed_state = *w.store.current_head();
  REQUIRE(owner.trust().revoke({"app"}, false).ok());
  const std::int64_t real = timestamp_version(owner);
  const std::string real_state = *w.store.current_head();
  const std::string root_id = owner.root_keyid();
  w.store.restore(signed_state);  // a replay, shown to a machine with no saved state

  Party cold(w, "cold", &owner);  // the same keys, a cache miss: no state, no anchor
  cold.pin(root_id);
  auto refused = cold.trust().renew();
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().exit_code() == 13);
  CHECK(refused.error().message().find("--accept-state") != std::string::npos);
  CHECK(*w.store.current_head() == signed_state);  // nothing published

  Party wrong(w, "wrong", &owner, real);  // the operator checked the real state's version
  wrong.pin(root_id);
  auto mismatch = wrong.trust().renew();
  REQUIRE_FALSE(mismatch.ok());
  CHECK(mismatch.error().message().find("does not match") != std::string::npos);

  CHECK(*w.store.current_head() == signed_state);

  // The real state back: accepted once, then vouched for, and a replay is a rollback.
  w.store.restore(real_state);
  auto accepted = wrong.trust().renew();
  INFO((accepted.ok() ? "" : accepted.error().message()));
  REQUIRE(accepted.ok());
  CHECK(wrong.dir().publisher_anchor(w.ref) == real + 1);
  CHECK(wrong.verify_exit("app") == 10);
  w.store.restore(signed_state);
  CHECK(wrong.trust().renew().error().exit_code() == 13);
}
