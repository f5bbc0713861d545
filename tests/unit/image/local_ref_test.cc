#include <catch2/catch.hpp>

#include "trustctl/image/layout.h"

using trustctl::ErrorCode;
using trustctl::image::LocalImageRef;
using trustctl::image::parse_local_image;

TEST_CASE("local image: oci and docker-archive forms split like skopeo's") {
  auto oci = parse_local_image("oci:/tmp/layout:v1");
  REQUIRE(oci);
  CHECK(oci->kind == LocalImageRef::Kind::kOciLayout);
  CHECK(oci->path == "/tmp/layout");
  CHECK(oci->ref == "v1");
  auto bare = parse_local_image("oci:relative/dir");
  REQUIRE(bare);
  CHECK(bare->path == "relative/dir");
  CHECK(bare->ref.empty());
  auto with_colon = parse_local_image("oci:dir:localhost:5000/app:v1");
  REQUIRE(with_colon);
  CHECK(with_colon->ref == "localhost:5000/app:v1");
  auto archive = parse_local_image("docker-archive:/tmp/a.tar:registry:5000/repo/app:v2");
  REQUIRE(archive);
  CHECK(archive->kind == LocalImageRef::Kind::kDockerArchive);
  CHECK(archive->path == "/tmp/a.tar");
  CHECK(archive->ref == "registry:5000/repo/app:v2");
  auto plain = parse_local_image("docker-archive:a.tar");
  REQUIRE(plain);
  CHECK(plain->ref.empty());
}

TEST_CASE("local image: anything else is kUsage naming the accepted forms") {
  for (const char* text : {"docker://busybox:latest", "dir:/tmp/x", "oci:", "oci::v1",
                           "oci:dir:", "docker-archive:", "docker-archive:a.tar:repo",
                           "docker-archive:a.tar:localhost:5000/repo", "docker-archive:a.tar:r@x:y",
                           "", "/tmp/layout"}) {
    auto parsed = parse_local_image(text);
    INFO(text);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().code() == ErrorCode::kUsage);
    CHECK_THAT(parsed.error().message(), Catch::Contains("oci:DIR[:REF]") &&
                                             Catch::Contains("docker-archive:FILE[:REPO:TAG]"));
  }
}
