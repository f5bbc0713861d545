// Named signers over the in-memory store: thresholds, waiting versions, removed keys, forged
// co-signatures, and a withdrawn ready version a pusher puts back (docs/signers.md).
#include <catch2/catch.hpp>

#include "unit/trust/memory_world.h"

using namespace trustctl;
using namespace trustctl::testing;

namespace {

// A repository signed by `admin` with signer "release" of keys held by b, c and d, 2-of-3.
struct SignerScene {
  MemoryWorld w;
  std::string app = w.images.push("app", "app");
  std::string rel = w.images.push("rel", "rel");
  Party admin{w, "admin"};
  Party b{w, "b"}, c{w, "c"}, d{w, "d"};
  crypto::PublicKey kb = b.new_key("release");
  crypto::PublicKey kc = c.new_key("release");
  crypto::PublicKey kd = d.new_key("release");

  SignerScene() {
    admin.sign({"app"});
    const std::string root = admin.root_keyid();
    for (Party* p : {&b, &c, &d}) p->pin(root);
    auto added = admin.trust().add_signer("release", {kb, kc, kd}, 2);
    INFO((added.ok() ? "" : added.error().message()));
    REQUIRE(added.ok());
    CHECK(added->threshold == 2);
  }
};

}  // namespace

TEST_CASE("trust unit: a 2-of-3 signer's first signature waits, the second publishes") {
  SignerScene s;
  auto first = s.b.trust().sign_as("release", {{"rel", ""}}, false, false);
  INFO((first.ok() ? "" : first.error().message()));
  REQUIRE(first.ok());
  CHECK_FALSE(first->published);
  CHECK(first->version.signed_by == std::vector<std::string>{s.kb.key_id()});
  CHECK(s.admin.verify_exit("rel") == 10);  // waiting is not trusted
  REQUIRE(s.admin.trust().renew().ok());    // and a refresh does not publish it short
  CHECK(s.admin.verify_exit("rel") == 10);

  // The same key again adds nothing; another change while one waits is refused.
  auto again = s.b.trust().sign_as("release", {{"rel", ""}}, false, false);
  REQUIRE(again.ok());
  CHECK(again->version.signed_by.size() == 1);
  auto other = s.c.trust().sign_as("release", {{"app", ""}}, false, false);
  REQUIRE_FALSE(other.ok());
  CHECK(other.error().exit_code() == 2);

  auto second = s.c.trust().sign_as("release", {{"rel", ""}}, false, false);
  REQUIRE(second.ok());
  CHECK(second->version.ready());
  CHECK_FALSE(second->published);  // c holds no snapshot key: the publisher's refresh does it
  REQUIRE(s.admin.trust().renew().ok());
  CHECK(s.admin.verified_digest("rel") == s.rel);
  CHECK(s.d.verified_digest("rel") == s.rel);
  const auto seen = s.d.view();
  const auto* tag = seen.tag("rel");
  REQUIRE(tag != nullptr);
  CHECK(tag->signers == std::vector<std::string>{"release"});
}

TEST_CASE("trust unit: a removed key's signature and a forged co-signature do not count") {
  SignerScene s;
  REQUIRE(s.admin.trust().remove_signer("release", {s.kd.key_id().substr(0, 8)}).ok());
  auto refused = s.d.trust().sign_as("release", {{"rel", ""}}, false, false);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().exit_code() == 4);  // d holds none of the signer's keys any more

  REQUIRE(s.b.trust().sign_as("release", {{"rel", ""}}, false, false).ok());
  // d adds its (removed) key's signature to the waiting version in the store.
  auto files = s.w.store.files();
  auto pending = tuf::Metadata<tuf::Targets>::from_bytes(files.at("pending.release.json"));
  REQUIRE(pending.ok());
  auto dkey = s.d.keys().load(s.kd.key_id());
  REQUIRE(dkey.ok());
  REQUIRE(pending->sign(*dkey).ok());
  files["pending.release.json"] = pending->to_bytes().value();
  s.w.store.put(files);

  auto view = s.admin.view();
  REQUIRE(view.pending.size() == 1);
  CHECK(view.pending[0].signed_by == std::vector<std::string>{s.kb.key_id()});
  REQUIRE(s.admin.trust().renew().ok());
  CHECK(s.admin.verify_exit("rel") == 10);

  // The whole signer removed: its signatures are refused from then on.
  REQUIRE(s.admin.trust().remove_signer("release", {}).ok());
  auto gone = s.b.trust().sign_as("release", {{"rel", ""}}, false, false);
  REQUIRE_FALSE(gone.ok());
  CHECK(gone.error().exit_code() == 12);
}

TEST_CASE("trust unit: a withdrawn ready version put back by a pusher stays withdrawn") {
  SignerScene s;
  REQUIRE(s.b.trust().sign_as("release", {{"rel", ""}}, false, false).ok());
  REQUIRE(s.c.trust().sign_as("release", {{"rel", ""}}, false, false).ok());
  const std::string ready = s.w.store.files().at("pending.release.json");
  // The admin withdraws the ready version by replacing it with another change of its own key.
  const auto kadmin = s.admin.new_key("release");
  REQUIRE(s.admin.trust().add_signer("release", {kadmin}, std::nullopt).ok());
  auto replaced = s.admin.trust().sign_as("release", {{"app", ""}}, false, /*replace=*/true);
  INFO((replaced.ok() ? "" : replaced.error().message()));
  REQUIRE(replaced.ok());
  CHECK_FALSE(replaced->published);  // 1 of 2 signatures
  CHECK(s.admin.verify_exit("rel") == 10);

  // A pusher puts the withdrawn, fully signed version back: nobody publishes it.
  auto files = s.w.store.files();
  files["pending.release.json"] = ready;
  s.w.store.put(files);
  REQUIRE(s.admin.trust().renew().ok());
  CHECK(s.admin.verify_exit("rel") == 10);
  CHECK(s.b.verify_exit("rel") == 10);
}
