// The registry-fixtures layout for the image tests (unit and integration), plus the two
// Docker-typed images push-images.sh makes with skopeo --format v2s2, converted here byte for
// byte the same (their digests are registry-fixtures' v1-docker and multi-docker), so the unit
// tests need no skopeo. Header-only: the sanitizer build has no test support library.
#pragma once

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "trustctl/core/subprocess.h"
#include "trustctl/image/layout.h"

namespace trustctl::testing {

inline registry::Descriptor put_json(image::OciLayout& layout, const std::string& bytes,
                                     std::string_view media_type) {
  registry::Descriptor d;
  d.media_type = std::string(media_type);
  d.digest = registry::Digest::of(bytes).string();
  d.size = static_cast<std::int64_t>(bytes.size());
  REQUIRE(layout.put_blob(d, bytes));
  return d;
}

// The v1 image as Docker schema2: same config and layer, Docker media types, fields in the
// order Go's schema2 struct marshals them (as skopeo --format v2s2 does).
inline registry::Descriptor add_docker_image(image::OciLayout& layout,
                                             const registry::Descriptor& oci) {
  auto m = registry::parse_manifest(*layout.read_small_blob(oci), oci.media_type);
  REQUIRE(m);
  using ordered = nlohmann::ordered_json;
  auto desc = [](std::string_view type, const registry::Descriptor& d) {
    return ordered{{"mediaType", type}, {"size", d.size}, {"digest", d.digest}};
  };
  ordered j = {{"schemaVersion", 2},
               {"mediaType", registry::media_type::kDockerManifest},
               {"config", desc(registry::media_type::kDockerConfig, m->config)},
               {"layers", ordered::array()}};
  for (const auto& l : m->layers)
    j["layers"].push_back(desc("application/vnd.docker.image.rootfs.diff.tar.gzip", l));
  return put_json(layout, j.dump(), registry::media_type::kDockerManifest);
}

// Runs make-images.sh into `dir` and adds v1-docker and multi-docker (a manifest list of
// v1-docker and the arm64 child converted the same way).
inline image::OciLayout make_all_kinds_layout(const std::string& dir) {
  auto made = run_process({std::string(TRUSTCTL_REGISTRY_FIXTURES) + "/make-images.sh", dir});
  REQUIRE(made);
  INFO(made->err);
  REQUIRE(made->exit_status == 0);
  auto layout = image::OciLayout::open(dir);
  REQUIRE(layout);
  auto v1 = layout->find("v1");
  REQUIRE(v1);
  auto v1_docker = add_docker_image(*layout, *v1);
  REQUIRE(layout->tag("v1-docker", v1_docker));
  auto multi = registry::parse_manifest(*layout->read_small_blob(*layout->find("multi")),
                                        registry::media_type::kOciIndex);
  REQUIRE(multi);
  nlohmann::ordered_json list = {{"schemaVersion", 2},
                                 {"mediaType", registry::media_type::kDockerManifestList},
                                 {"manifests", nlohmann::ordered_json::array()}};
  for (const auto& child : multi->manifests) {
    auto docker = add_docker_image(*layout, child);
    nlohmann::ordered_json p = {{"architecture", child.platform.architecture},
                                {"os", child.platform.os}};
    if (!child.platform.variant.empty()) p["variant"] = child.platform.variant;
    list["manifests"].push_back({{"mediaType", docker.media_type},
                                 {"size", docker.size},
                                 {"digest", docker.digest},
                                 {"platform", p}});
  }
  auto list_d = put_json(*layout, list.dump(), registry::media_type::kDockerManifestList);
  REQUIRE(layout->tag("multi-docker", list_d));
  return std::move(*layout);
}

}  // namespace trustctl::testing
