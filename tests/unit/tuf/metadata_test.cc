#include "trustctl/tuf/metadata.h"

#include <catch2/catch.hpp>
#include <chrono>

#include "repository_simulator.h"
#include "trustctl/canonical_json/canonical_json.h"

namespace trustctl::tuf {
namespace {

using testing::kNow;
using testing::new_key;

TEST_CASE("expires: RFC 3339 Z form only, round trip") {
  auto t = parse_expires("2030-01-02T03:04:05Z");
  REQUIRE(t.ok());
  CHECK(*t == 1893553445);
  CHECK(format_expires(*t) == "2030-01-02T03:04:05Z");
  CHECK(format_expires(0) == "1970-01-01T00:00:00Z");
  for (const char* bad :
       {"2030-01-02T03:04:05+00:00", "2030-01-02T03:04:05.5Z", "2030-02-30T00:00:00Z",
        "2030-13-01T00:00:00Z", "2030-01-02 03:04:05Z", "", "2030-01-02T24:00:00Z"}) {
    INFO(bad);
    auto r = parse_expires(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == ErrorCode::kVerification);
  }
}

TEST_CASE("path patterns: shell-style per path part, as python-tuf") {
  CHECK(match_path_part("file.txt", "*.txt"));
  CHECK(match_path_part("a", "?"));
  CHECK_FALSE(match_path_part("ab", "?"));
  CHECK(match_path_part("b1", "[abc][0-9]"));
  CHECK_FALSE(match_path_part("d1", "[abc][0-9]"));
  CHECK(match_path_part("d", "[!abc]"));
  CHECK(match_path_part("", "*"));
  DelegatedRole r;
  r.paths = std::vector<std::string>{"releases/*", "v?.tar.gz"};
  CHECK(r.is_delegated_path("releases/v1"));
  CHECK_FALSE(r.is_delegated_path("releases/sub/v1"));  // * does not cross "/"
  CHECK_FALSE(r.is_delegated_path("other/v1"));
  CHECK(r.is_delegated_path("v1.tar.gz"));
  DelegatedRole h;
  // sha256("secure-app") starts with...
  const std::string hash = crypto::sha256_hex("secure-app");
  h.path_hash_prefixes = std::vector<std::string>{hash.substr(0, 2)};
  CHECK(h.is_delegated_path("secure-app"));
  h.path_hash_prefixes = std::vector<std::string>{hash[0] == '0' ? "1" : "0"};
  CHECK_FALSE(h.is_delegated_path("secure-app"));
}

TEST_CASE("path patterns: many wildcards cannot stall the delegation walk") {
  // A delegated signer writes the `paths` of its own delegations. Backtracking into every '*'
  // takes exponential time, so such a pattern would hang every verifier that looks a tag up.
  // The bound is a hang guard (exponential would take years), not a speed check.
  const std::string name(100, 'a');
  std::string pattern;
  for (int i = 0; i < 30; ++i) pattern += "*a";
  const auto start = std::chrono::steady_clock::now();
  CHECK_FALSE(match_path_part(name, pattern + "b"));
  CHECK(match_path_part(name + "b", pattern + "b"));
  CHECK(match_path_part(name, pattern + "*"));
  CHECK_FALSE(match_path_part(name, pattern + "[!a]"));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(30));
  // The usual cases still hold with several stars.
  CHECK(match_path_part("abcXdefYghi", "a*X*Y*i"));
  CHECK_FALSE(match_path_part("abcXdefghi", "a*X*Y*i"));
  CHECK(match_path_part("v1.2.3-rc1", "v*.*.*-rc?"));
  CHECK(match_path_part("[x", "[x"));  // no closing bracket: literal
  CHECK(match_path_part("ab", "*b*"));
  CHECK_FALSE(match_path_part("ac", "*b*"));
}

TEST_CASE("metadata: sign, serialise, parse, verify, unknown fields survive") {
  auto key = new_key();
  auto ecdsa = new_key(crypto::KeyType::kEcdsaP256);
  Root r;
  r.expires = kNow + 1000;
  r.consistent_snapshot = true;
  for (const char* role : {"root", "timestamp", "snapshot", "targets"}) {
    r.add_key(role, key->public_key());
    r.add_key(role, ecdsa->public_key());
    r.roles[role].threshold = 2;
  }
  r.unrecognized["x-extension"] = {{"a", 1}};
  Metadata<Root> md(r);
  REQUIRE(md.sign(*key).ok());
  REQUIRE(md.sign(*ecdsa).ok());
  REQUIRE(md.sign(*key).ok());  // replaces, does not duplicate
  CHECK(md.signatures().size() == 2);
  auto bytes = md.to_bytes();
  REQUIRE(bytes.ok());
  auto back = Metadata<Root>::from_bytes(*bytes);
  if (!back) FAIL(back.error().message());
  CHECK(back->verify_delegate("root", *back).ok());
  CHECK(back->signed_part().unrecognized["x-extension"]["a"] == 1);
  CHECK(back->signed_part().consistent());
  auto again = back->to_bytes();
  REQUIRE(again.ok());
  CHECK(*again == *bytes);

  // A field this code does not know, added by another implementation and signed over: the
  // signature still verifies after a parse/serialise round trip.
  auto j = nlohmann::json::parse(*bytes);
  j["signed"]["roles"]["root"]["x-note"] = "kept";
  j["signed"]["zz-unknown"] = {1, 2, 3};
  Metadata<Root> foreign_unsigned = std::move(Metadata<Root>::from_bytes(j.dump()).value());
  foreign_unsigned.mutable_signatures().clear();
  REQUIRE(foreign_unsigned.sign(*key).ok());
  REQUIRE(foreign_unsigned.sign(*ecdsa).ok());
  auto foreign_bytes = foreign_unsigned.to_bytes();
  REQUIRE(foreign_bytes.ok());
  auto reparsed = Metadata<Root>::from_bytes(*foreign_bytes);
  REQUIRE(reparsed.ok());
  CHECK(reparsed->verify_delegate("root", *reparsed).ok());
  CHECK(reparsed->signed_part().roles.at("root").unrecognized["x-note"] == "kept");
  auto round = reparsed->to_bytes();
  REQUIRE(round.ok());
  CHECK(*round == *foreign_bytes);
}

TEST_CASE("metadata: refuses malformed and wrong-typed documents") {
  auto key = new_key();
  Timestamp t;
  t.expires = kNow + 100;
  t.snapshot_meta = MetaFile::of(1);
  Metadata<Timestamp> md(t);
  REQUIRE(md.sign(*key).ok());
  auto bytes = md.to_bytes();
  REQUIRE(bytes.ok());

  auto wrong = Metadata<Snapshot>::from_bytes(*bytes);
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.error().code() == ErrorCode::kVerification);
  CHECK_THAT(wrong.error().message(), Catch::Contains("_type is 'timestamp', expected 'snapshot'"));

  auto malformed = Metadata<Timestamp>::from_bytes("{\"signed\": {");
  REQUIRE_FALSE(malformed.ok());
  CHECK(malformed.error().code() == ErrorCode::kVerification);
  CHECK(malformed.error().exit_code() == 12);

  auto mutate = [&](auto fn) {
    auto j = nlohmann::json::parse(*bytes);
    fn(j);
    return Metadata<Timestamp>::from_bytes(j.dump());
  };
  auto v0 = mutate([](auto& j) { j["signed"]["version"] = 0; });
  REQUIRE_FALSE(v0.ok());
  CHECK_THAT(v0.error().message(), Catch::Contains("version 0 is below 1"));
  auto spec2 = mutate([](auto& j) { j["signed"]["spec_version"] = "2.0.0"; });
  REQUIRE_FALSE(spec2.ok());
  CHECK_THAT(spec2.error().message(), Catch::Contains("unsupported spec_version"));
  auto exp = mutate([](auto& j) { j["signed"]["expires"] = "tomorrow"; });
  REQUIRE_FALSE(exp.ok());
  CHECK_THAT(exp.error().message(), Catch::Contains("RFC 3339"));
  auto dup = mutate([](auto& j) { j["signatures"].push_back(j["signatures"][0]); });
  REQUIRE_FALSE(dup.ok());
  CHECK_THAT(dup.error().message(), Catch::Contains("two signatures by key ID"));
  auto floaty = Metadata<Timestamp>::from_bytes(
      std::string(*bytes).replace(bytes->find("\"version\":1"), 11, "\"version\":1.5"));
  REQUIRE_FALSE(floaty.ok());
  CHECK(floaty.error().code() == ErrorCode::kVerification);
}

TEST_CASE("verify_delegate: distinct keys only, authorised keys only") {
  auto a = new_key();
  auto b = new_key();
  auto c = new_key();
  Root r;
  r.expires = kNow + 100;
  for (const char* role : {"root", "timestamp", "snapshot", "targets"})
    r.add_key(role, a->public_key());
  r.add_key("targets", b->public_key());
  r.add_key("targets", c->public_key());
  r.roles["targets"].threshold = 2;
  Metadata<Root> root(r);

  Targets t;
  t.expires = kNow + 100;
  Metadata<Targets> targets(t);

  SECTION("key compromise below threshold: one valid signature of 2 needed") {
    auto attacker = new_key();
    REQUIRE(targets.sign(*b).ok());
    REQUIRE(targets.sign(*attacker).ok());
    auto s = root.verify_delegate("targets", targets);
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().code() == ErrorCode::kVerification);
    CHECK_THAT(s.error().message(),
               Catch::Contains("1 valid signature(s) by distinct authorised keys, threshold is 2"));
    REQUIRE(targets.sign(*c).ok());
    CHECK(root.verify_delegate("targets", targets).ok());
  }
  SECTION("one key listed under two key IDs counts once") {
    auto& rr = root.mutate();
    nlohmann::json k = b->public_key().to_tuf_json();
    k["x-alias"] = true;  // another key ID for the same public key
    auto alias = crypto::key_id_of(k);
    REQUIRE(alias.ok());
    rr.keys[*alias] = k;
    rr.roles["targets"].keyids = {b->public_key().key_id(), *alias};
    REQUIRE(targets.sign(*b).ok());
    auto msg = targets.signed_bytes();
    REQUIRE(msg.ok());
    auto sig = b->sign(*msg);
    REQUIRE(sig.ok());
    targets.mutable_signatures().push_back({*alias, crypto::hex_encode(*sig)});
    auto s = root.verify_delegate("targets", targets);
    REQUIRE_FALSE(s.ok());
    CHECK_THAT(s.error().message(), Catch::Contains("1 valid signature(s)"));
  }
  SECTION("a signature over other bytes does not count") {
    REQUIRE(targets.sign(*b).ok());
    REQUIRE(targets.sign(*c).ok());
    targets.mutate().version = 2;  // changed after signing
    CHECK_FALSE(root.verify_delegate("targets", targets).ok());
  }
  SECTION("unknown role") {
    auto s = root.verify_delegate("releases", targets);
    REQUIRE_FALSE(s.ok());
    CHECK_THAT(s.error().message(), Catch::Contains("not delegated"));
  }
}

}  // namespace
}  // namespace trustctl::tuf
