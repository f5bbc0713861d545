// The image module against the tools it must interoperate with: skopeo and umoci read the
// layouts and archives trustctl writes, and trustctl imports what skopeo writes. A missing
// tool fails the test (run_process cannot start it); nothing is skipped.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "support/image_layouts.h"
#include "support/temp_dir.h"
#include "trustctl/core/subprocess.h"
#include "trustctl/image/archive.h"
#include "trustctl/image/layout.h"

using nlohmann::json;
using trustctl::image::OciLayout;
using trustctl::registry::Descriptor;
using trustctl::testing::TempDir;

namespace {

std::string run_ok(const std::vector<std::string>& argv) {
  auto out = trustctl::run_process(argv);
  INFO(argv.at(0) << " " << argv.at(1));
  REQUIRE(out);  // the tool must be installed
  INFO(out->err);
  REQUIRE(out->exit_status == 0);
  return out->out;
}

std::vector<std::string> skopeo(std::vector<std::string> args) {
  args.insert(args.begin(), {"skopeo", "--insecure-policy"});
  return args;
}

// Copies the manifest `d` and everything it names from `src` to `dest` through the API, the
// way pull will fill a layout.
void copy_tree(const OciLayout& src, OciLayout& dest, const Descriptor& d) {
  auto bytes = src.read_small_blob(d);
  REQUIRE(bytes);
  auto m = trustctl::registry::parse_manifest(*bytes, d.media_type);
  REQUIRE(m);
  std::vector<Descriptor> blobs = m->manifests;
  if (!m->is_index()) {
    blobs = m->layers;
    blobs.push_back(m->config);
  }
  for (const auto& b : blobs) {
    if (m->is_index()) {
      copy_tree(src, dest, b);
      continue;
    }
    auto writer = dest.write_blob(b);
    REQUIRE(writer);
    REQUIRE(src.read_blob(b, [&](std::string_view chunk) { return writer->write(chunk).ok(); }));
    REQUIRE(writer->commit());
  }
  REQUIRE(dest.put_blob(d, *bytes));
}

json config_of(const OciLayout& layout, const std::string& ref) {
  auto m = trustctl::registry::parse_manifest(*layout.read_small_blob(*layout.find(ref)), "");
  REQUIRE(m);
  return json::parse(*layout.read_small_blob(m->config));
}

}  // namespace

TEST_CASE("image interop: skopeo and umoci read a layout written through the API") {
  TempDir tmp;
  auto src = trustctl::testing::make_all_kinds_layout(tmp / "src");
  auto dest = OciLayout::create(tmp / "dest");
  REQUIRE(dest);
  for (const char* ref : {"v1", "secure-app", "multi"}) {
    const auto d = *src.find(ref);
    copy_tree(src, *dest, d);
    REQUIRE(dest->tag(ref, d));
  }
  const json inspected = json::parse(run_ok(skopeo({"inspect", "oci:" + tmp / "dest" + ":v1"})));
  CHECK(inspected["Digest"] == src.find("v1")->digest);
  const std::string raw = run_ok(skopeo({"inspect", "--raw", "oci:" + tmp / "dest" + ":multi"}));
  CHECK(trustctl::registry::Digest::of(raw).string() == src.find("multi")->digest);
  run_ok(skopeo(
      {"copy", "--quiet", "oci:" + tmp / "dest" + ":secure-app", "oci:" + tmp / "copy" + ":app"}));
  auto copied = OciLayout::open(tmp / "copy");
  REQUIRE(copied);
  CHECK(copied->find("app")->digest == src.find("secure-app")->digest);
  const std::string listed = run_ok({"umoci", "ls", "--layout", tmp / "dest"});
  CHECK_THAT(listed,
             Catch::Contains("v1") && Catch::Contains("secure-app") && Catch::Contains("multi"));
  // umoci's own checks (digests of every blob it walks) pass on what we wrote.
  run_ok({"umoci", "stat", "--image", tmp / "dest" + ":v1"});
}

TEST_CASE("image interop: an archive skopeo writes imports to the same layers") {
  TempDir tmp;
  auto src = trustctl::testing::make_all_kinds_layout(tmp / "src");
  for (const char* ref : {"v1", "secure-app"}) {
    INFO(ref);
    const std::string file = tmp / (std::string(ref) + ".tar");
    run_ok(skopeo({"copy", "--quiet", "oci:" + tmp / "src" + ":" + ref,
                   "docker-archive:" + file + ":lab/" + ref + ":signed"}));
    auto dest = OciLayout::create(tmp / (std::string("dest-") + ref));
    REQUIRE(dest);
    auto imported = trustctl::image::import_docker_archive(file, "", *dest);
    INFO((imported ? "" : imported.error().message()));
    REQUIRE(imported);
    // skopeo writes the normalised name; REPO:TAG in docker's short form still finds it.
    CHECK(imported->repo_tag == "docker.io/lab/" + std::string(ref) + ":signed");
    auto by_tag =
        trustctl::image::import_docker_archive(file, "lab/" + std::string(ref) + ":signed", *dest);
    REQUIRE(by_tag);
    CHECK(by_tag->manifest.digest == imported->manifest.digest);
    auto m = trustctl::registry::parse_manifest(*dest->read_small_blob(imported->manifest), "");
    REQUIRE(m);
    CHECK(m->descriptor.media_type == trustctl::registry::media_type::kDockerManifest);
    // skopeo stores layers uncompressed: each is exactly the config's diff_id.
    const json diff_ids = config_of(src, ref)["rootfs"]["diff_ids"];
    REQUIRE(m->layers.size() == diff_ids.size());
    for (std::size_t i = 0; i < m->layers.size(); ++i) {
      CHECK(m->layers[i].digest == diff_ids[i]);
      CHECK(m->layers[i].media_type == trustctl::image::media_type::kDockerLayer);
      CHECK(dest->read_small_blob(m->layers[i]));
    }
    CHECK(json::parse(*dest->read_small_blob(m->config))["rootfs"] ==
          config_of(src, ref)["rootfs"]);
  }
}

TEST_CASE("image interop: skopeo reads a docker archive trustctl writes") {
  TempDir tmp;
  auto src = trustctl::testing::make_all_kinds_layout(tmp / "src");
  for (const char* ref : {"secure-app", "v1-docker"}) {
    INFO(ref);
    const std::string file = tmp / (std::string(ref) + ".tar");
    REQUIRE(trustctl::image::write_docker_archive(file, src, *src.find(ref), "lab/app:v1"));
    const json inspected = json::parse(run_ok(skopeo({"inspect", "docker-archive:" + file})));
    // skopeo reports the layers as the config's diff_ids: it decompressed and checked them.
    CHECK(inspected["Layers"] == config_of(src, ref)["rootfs"]["diff_ids"]);
    CHECK(inspected["Architecture"] == "amd64");
    // And it copies out again to a layout holding the very same config.
    run_ok(skopeo({"copy", "--quiet", "docker-archive:" + file,
                   "oci:" + tmp / (std::string("back-") + ref) + ":x"}));
    auto back = OciLayout::open(tmp / (std::string("back-") + ref));
    REQUIRE(back);
    CHECK(config_of(*back, "x")["rootfs"] == config_of(src, ref)["rootfs"]);
  }
}

TEST_CASE("image interop: layouts written by skopeo and umoci open and read verified") {
  TempDir tmp;
  auto src = trustctl::testing::make_all_kinds_layout(tmp / "src");
  run_ok(skopeo({"copy", "--quiet", "--format", "v2s2", "oci:" + tmp / "src" + ":v1",
                 "oci:" + tmp / "skopeo" + ":v1-docker"}));
  run_ok(skopeo({"copy", "--quiet", "--all", "oci:" + tmp / "src" + ":multi",
                 "oci:" + tmp / "skopeo" + ":multi"}));
  auto by_skopeo = OciLayout::open(tmp / "skopeo");
  REQUIRE(by_skopeo);
  CHECK(by_skopeo->find("v1-docker")->digest == src.find("v1-docker")->digest);
  CHECK(by_skopeo->find("multi")->digest == src.find("multi")->digest);
  auto copy = OciLayout::create(tmp / "copy");
  REQUIRE(copy);
  copy_tree(*by_skopeo, *copy, *by_skopeo->find("v1-docker"));  // every blob read verified
  copy_tree(*by_skopeo, *copy, *by_skopeo->find("multi"));

  run_ok({"umoci", "init", "--layout", tmp / "umoci"});
  run_ok({"umoci", "new", "--image", tmp / "umoci" + ":empty"});
  auto by_umoci = OciLayout::open(tmp / "umoci");
  REQUIRE(by_umoci);
  auto empty = by_umoci->find("");
  REQUIRE(empty);
  copy_tree(*by_umoci, *copy, *empty);
}
