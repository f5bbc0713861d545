#include <catch2/catch.hpp>

#include "trustctl/registry/client.h"
#include "trustctl/registry/digest.h"
#include "trustctl/registry/manifest.h"

using namespace trustctl;
using namespace trustctl::registry;

TEST_CASE("digests parse strictly") {
  auto d = Digest::parse("sha256:" + std::string(64, 'a'));
  REQUIRE(d.ok());
  CHECK(d->string() == "sha256:" + std::string(64, 'a'));
  CHECK(Digest::parse("sha512:" + std::string(128, '0')).ok());
  CHECK_FALSE(Digest::parse("sha256:" + std::string(64, 'A')).ok());
  CHECK_FALSE(Digest::parse("sha256:" + std::string(63, 'a')).ok());
  // From a server, a malformed digest is bad data served (exit 12); from the user, a typo (2).
  CHECK(Digest::parse("sha1:abc", false).error().code() == ErrorCode::kIntegrity);
  CHECK(Digest::parse("nocolon").error().code() == ErrorCode::kUsage);
  CHECK(Digest::of("abc").string() ==
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("DigestVerifier checks content and length as bytes stream") {
  auto want = Digest::of("hello world");
  DigestVerifier v(want, 11);
  CHECK(v.update("hello "));
  CHECK(v.update("world"));
  CHECK(v.finish("blob").ok());

  DigestVerifier wrong(want, 11);
  CHECK(wrong.update("hello worle"));
  auto st = wrong.finish("blob x");
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code() == ErrorCode::kIntegrity);
  CHECK(st.error().message().find("blob x") != std::string::npos);

  DigestVerifier longer(want, 11);
  CHECK_FALSE(longer.update("hello world!"));

  DigestVerifier shorter(want, 11);
  CHECK(shorter.update("hello"));
  CHECK(shorter.finish("blob").error().message().find("expected 11 bytes, got 5") !=
        std::string::npos);

  DigestVerifier restarted(want, -1);
  CHECK(restarted.update("garbage"));
  restarted.reset();
  CHECK(restarted.update("hello world"));
  CHECK(restarted.finish("blob").ok());
}

namespace {
const std::string kDigestA = "sha256:" + std::string(64, 'a');
std::string image_manifest(const std::string& media_type_field) {
  return R"({"schemaVersion":2,)" + media_type_field +
         R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
         kDigestA + R"(","size":10},"layers":[{"mediaType":"x","digest":")" + kDigestA +
         R"(","size":20}]})";
}
}  // namespace

TEST_CASE("manifests of the four media types parse") {
  auto m = parse_manifest(image_manifest(""), std::string(media_type::kOciManifest));
  REQUIRE(m.ok());
  CHECK(m->descriptor.media_type == media_type::kOciManifest);
  CHECK(m->descriptor.digest == Digest::of(image_manifest("")).string());
  CHECK(m->config.size == 10);
  REQUIRE(m->layers.size() == 1);
  CHECK(m->layers[0].size == 20);
  CHECK_FALSE(m->is_index());

  std::string docker =
      image_manifest(R"("mediaType":"application/vnd.docker.distribution.manifest.v2+json",)");
  auto d = parse_manifest(docker, "application/vnd.docker.distribution.manifest.v2+json");
  REQUIRE(d.ok());
  // A generic content type: the body's own mediaType wins.
  auto g = parse_manifest(docker, "application/json; charset=utf-8");
  REQUIRE(g.ok());
  CHECK(g->descriptor.media_type == media_type::kDockerManifest);

  std::string index = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",)"
                      R"("manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
                      R"("digest":")" +
                      kDigestA +
                      R"(","size":5,"platform":{"os":"linux",)"
                      R"("architecture":"arm64","variant":"v8"}}]})";
  auto i = parse_manifest(index, std::string(media_type::kOciIndex));
  REQUIRE(i.ok());
  CHECK(i->is_index());
  REQUIRE(i->manifests.size() == 1);
  CHECK(i->manifests[0].platform.string() == "linux/arm64/v8");
}

TEST_CASE("what is not a manifest is an integrity error (exit 12) naming the problem") {
  auto msg = [](const std::string& body, std::string_view type) {
    auto m = parse_manifest(body, type);
    REQUIRE_FALSE(m.ok());
    CHECK(m.error().code() == ErrorCode::kIntegrity);
    CHECK(m.error().exit_code() == 12);
    return m.error().message();
  };
  CHECK(msg("{not json", media_type::kOciManifest).find("not valid JSON") != std::string::npos);
  CHECK(msg("", media_type::kOciManifest).find("not valid JSON") != std::string::npos);
  CHECK(msg("[]", media_type::kOciManifest).find("object") != std::string::npos);
  CHECK(msg(image_manifest(R"("mediaType":"application/vnd.oci.image.index.v1+json",)"),
            media_type::kOciManifest)
            .find("mediaType says") != std::string::npos);
  CHECK(msg(R"({"schemaVersion":3,"config":{},"layers":[]})", media_type::kOciManifest)
            .find("schemaVersion") != std::string::npos);
  CHECK(msg(R"({"schemaVersion":2,"config":{"digest":"sha256:zz","size":1},"layers":[]})",
            media_type::kOciManifest)
            .find("config") != std::string::npos);
}

TEST_CASE("a content type that lies about the body is an integrity error") {
  auto code_and_message = [](const std::string& body, std::string_view type) {
    auto m = parse_manifest(body, type);
    REQUIRE_FALSE(m.ok());
    CHECK(m.error().code() == ErrorCode::kIntegrity);
    return m.error().message();
  };
  // An index without its own mediaType served as an image manifest, and the other way round.
  const std::string index = R"({"schemaVersion":2,"manifests":[]})";
  CHECK(code_and_message(index, media_type::kDockerManifest) ==
        "invalid manifest: served as application/vnd.docker.distribution.manifest.v2+json but "
        "the body is an index (it has manifests)");
  CHECK(code_and_message(image_manifest(""), media_type::kOciIndex)
            .find("the body is an image manifest") != std::string::npos);
  // With a generic type the shape decides, as before.
  auto guessed = parse_manifest(index, "application/json");
  REQUIRE(guessed.ok());
  CHECK(guessed->is_index());
}

TEST_CASE("descriptor sizes: negative, non-integer, beyond int64 or absurd are refused") {
  auto layer_size = [](const std::string& size) {
    return R"({"schemaVersion":2,"config":{"digest":")" + kDigestA +
           R"(","size":1},"layers":[{"digest":")" + kDigestA + R"(","size":)" + size + "}]}";
  };
  auto refusal = [&](const std::string& size) {
    auto m = parse_manifest(layer_size(size), media_type::kOciManifest);
    REQUIRE_FALSE(m.ok());
    CHECK(m.error().code() == ErrorCode::kIntegrity);
    return m.error().message();
  };
  CHECK(refusal("-1") == "invalid manifest: layers[0] has a negative size (-1)");
  CHECK(refusal("-9223372036854775808").find("negative size") != std::string::npos);
  CHECK(refusal("1.5").find("no integer size") != std::string::npos);
  CHECK(refusal("\"12\"").find("no integer size") != std::string::npos);
  CHECK(refusal("18446744073709551615").find("absurd size") != std::string::npos);
  CHECK(refusal("1099511627777").find("absurd size (1099511627777 bytes, over 1 TiB)") !=
        std::string::npos);
  auto largest = parse_manifest(layer_size("1099511627776"), media_type::kOciManifest);
  REQUIRE(largest.ok());
  CHECK(largest->layers[0].size == kMaxDescriptorSize);
  CHECK(parse_manifest(layer_size("0"), media_type::kOciManifest).ok());
}

TEST_CASE("a manifest nested deeper than 64 levels is refused without recursion") {
  std::string body = image_manifest("");
  body.pop_back();
  auto deep =
      parse_manifest(body + R"(,"x":)" + std::string(100000, '[') + std::string(100000, ']') + "}",
                     media_type::kOciManifest);
  REQUIRE_FALSE(deep.ok());
  CHECK(deep.error().code() == ErrorCode::kIntegrity);
  CHECK(deep.error().message() == "invalid manifest: JSON nested deeper than 64 levels");
  // 64 levels in all (the manifest is the first) are fine.
  auto fits = parse_manifest(body + R"(,"x":)" + std::string(63, '[') + std::string(63, ']') + "}",
                             media_type::kOciManifest);
  CHECK(fits.ok());
}

TEST_CASE("manifests trustctl does not read are unsupported (exit 1), not integrity failures") {
  auto schema1 = parse_manifest(R"({"schemaVersion":1,"name":"x","fsLayers":[]})",
                                "application/vnd.docker.distribution.manifest.v1+prettyjws");
  REQUIRE_FALSE(schema1.ok());
  CHECK(schema1.error().code() == ErrorCode::kUnsupported);
  CHECK(schema1.error().message().find("schema 1") != std::string::npos);
  auto other = parse_manifest(R"({"schemaVersion":2})", "text/plain");
  REQUIRE_FALSE(other.ok());
  CHECK(other.error().code() == ErrorCode::kUnsupported);
  CHECK(other.error().exit_code() == 1);
  CHECK(other.error().message().find("media type 'text/plain'") != std::string::npos);
}

TEST_CASE("registry error answers map to exit classes with the registry's own words") {
  http::Response r;
  r.status = 404;
  r.body = R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]})";
  auto e = registry_error("manifest x:v1", r);
  CHECK(e.code() == ErrorCode::kNotFound);
  CHECK(e.message() == "manifest x:v1: HTTP 404 (MANIFEST_UNKNOWN: manifest unknown)");
  r.status = 405;
  CHECK(registry_error("x", r).code() == ErrorCode::kUnsupported);
  r.status = 401;
  CHECK(registry_error("x", r).exit_code() == 4);
  r.status = 503;
  r.body = "404 page not found\n";
  CHECK(registry_error("x", r).exit_code() == 3);
  CHECK(registry_error("x", r).message() == "x: HTTP 503 (404 page not found)");
}

TEST_CASE("an error body nested deeper than 64 levels is refused as hostile") {
  http::Response r;
  r.status = 404;
  r.body = std::string(100000, '[') + std::string(100000, ']');
  auto e = registry_error("manifest x:v1", r);
  CHECK(e.code() == ErrorCode::kIntegrity);
  CHECK(e.message() ==
        "manifest x:v1: HTTP 404: its error body: JSON nested deeper than 64 levels");
}
