// The verified-state cache's file: it gives back exactly the view it was written for, and
// nothing at all for another key or for a damaged file (trust/verified_cache.h).
#include "trustctl/trust/verified_cache.h"

#include <catch2/catch.hpp>

using namespace trustctl;
using namespace trustctl::trust;

namespace {

TrustedView sample_view() {
  TrustedView v;
  v.origin = RootOrigin::kPinned;
  v.roles.push_back({"root", {"aa", "bb"}, 1, 2, 2000000000});
  v.roles.push_back({"targets", {"cc"}, 1, 7, 2000000000});
  v.signers.push_back({"release", {"dd", "ee"}, 2, 3, 2000000000, ""});
  v.checks.push_back({"root", true, "version 2 (pinned)"});
  v.tags.push_back({"signed",
                    "sha256:" + std::string(64, 'a'),
                    401,
                    "application/vnd.oci.image.manifest.v1+json",
                    {"targets", "release"}});
  v.tags.push_back({"v1",
                    "sha256:" + std::string(64, 'b'),
                    1234,
                    "application/vnd.oci.image.index.v1+json",
                    {"release"}});
  return v;
}

VerifiedKey sample_key() {
  return {"sha256:" + std::string(64, 'f'), "md", "", RootOrigin::kPinned};
}

}  // namespace

TEST_CASE("verified cache: a written view reads back equal for its key only") {
  const auto view = sample_view();
  const auto key = sample_key();
  auto text = verified_cache_text(key, view);
  REQUIRE(text);
  auto back = read_verified_cache(*text, key);
  REQUIRE(back);
  REQUIRE(back->tags.size() == 2);
  CHECK(back->tags[0].tag == "signed");
  CHECK(back->tags[0].digest == view.tags[0].digest);
  CHECK(back->tags[0].length == 401);
  CHECK(back->tags[0].signers == std::vector<std::string>{"targets", "release"});
  CHECK(back->tags[1].media_type == "application/vnd.oci.image.index.v1+json");
  REQUIRE(back->roles.size() == 2);
  CHECK(back->roles[1].version == 7);
  REQUIRE(back->signers.size() == 1);
  CHECK(back->signers[0].threshold == 2);
  CHECK(back->checks.at(0).detail == "version 2 (pinned)");
  CHECK(back->origin == RootOrigin::kPinned);

  // Any part of the key that differs: no view.
  auto other = key;
  other.head = "sha256:" + std::string(64, 'e');
  CHECK_FALSE(read_verified_cache(*text, other));
  other = key;
  other.metadata_digest = "changed";
  CHECK_FALSE(read_verified_cache(*text, other));
  other = key;
  other.repository_alias = "mirror/app";
  CHECK_FALSE(read_verified_cache(*text, other));
  other = key;
  other.origin = RootOrigin::kTofu;
  CHECK_FALSE(read_verified_cache(*text, other));
}

TEST_CASE("verified cache: a cut-off, padded or edited file gives no view") {
  const auto key = sample_key();
  auto text = verified_cache_text(key, sample_view());
  REQUIRE(text);
  CHECK_FALSE(read_verified_cache(text->substr(0, text->size() - 1), key));  // no final newline
  const auto last_line = text->rfind('\n', text->size() - 2);
  CHECK_FALSE(read_verified_cache(text->substr(0, last_line + 1), key));    // a tag line short
  CHECK_FALSE(read_verified_cache(*text + "extra\tline\t1\tx\ty\n", key));  // a tag line more
  std::string bad_length = *text;
  bad_length.replace(bad_length.find("\t401\t"), 5, "\tfour\t");
  CHECK_FALSE(read_verified_cache(bad_length, key));
  std::string trailing = *text;  // a number with something after it is not a number
  trailing.replace(trailing.find("\t401\t"), 5, "\t401x\t");
  CHECK_FALSE(read_verified_cache(trailing, key));
  std::string negative = *text;
  negative.replace(negative.find("\t401\t"), 5, "\t-401\t");
  CHECK_FALSE(read_verified_cache(negative, key));
  CHECK_FALSE(read_verified_cache("", key));
  CHECK_FALSE(read_verified_cache("{not json\n", key));
}

TEST_CASE("verified cache: views that cannot be shortcut are not written") {
  const auto key = sample_key();
  auto warned = sample_view();
  warned.warnings.push_back("targets metadata expires soon");
  CHECK_FALSE(verified_cache_text(key, warned));
  auto failed_signer = sample_view();
  failed_signer.signers[0].error = "bad signature";
  CHECK_FALSE(verified_cache_text(key, failed_signer));
  auto waiting = sample_view();
  waiting.pending.push_back({});
  CHECK_FALSE(verified_cache_text(key, waiting));
  auto tab_in_type = sample_view();
  tab_in_type.tags[0].media_type = "application/x\tsplit";
  CHECK_FALSE(verified_cache_text(key, tab_in_type));
}
