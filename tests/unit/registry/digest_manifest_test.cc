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
  CHECK(Digest::parse("sha1:abc", false).error().code() == ErrorCode::kProtocol);
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

TEST_CASE("malformed manifests are protocol errors naming the problem") {
  auto msg = [](const std::string& body, std::string_view type) {
    auto m = parse_manifest(body, type);
    REQUIRE_FALSE(m.ok());
    CHECK(m.error().code() == ErrorCode::kProtocol);
    return m.error().message();
  };
  CHECK(msg("{not json", media_type::kOciManifest).find("not valid JSON") != std::string::npos);
  CHECK(msg("[]", media_type::kOciManifest).find("object") != std::string::npos);
  CHECK(msg(image_manifest(R"("mediaType":"application/vnd.oci.image.index.v1+json",)"),
            media_type::kOciManifest)
            .find("mediaType says") != std::string::npos);
  CHECK(msg(R"({"schemaVersion":1,"config":{},"layers":[]})", media_type::kOciManifest)
            .find("schemaVersion") != std::string::npos);
  CHECK(msg(R"({"schemaVersion":2,"config":{"digest":"sha256:zz","size":1},"layers":[]})",
            media_type::kOciManifest)
            .find("config") != std::string::npos);
  CHECK(
      msg(R"({"schemaVersion":2,"config":{"digest":")" + kDigestA + R"(","size":-1},"layers":[]})",
          media_type::kOciManifest)
          .find("size") != std::string::npos);
  CHECK(msg(R"({"schemaVersion":2})", "text/plain").find("unsupported media type") !=
        std::string::npos);
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
