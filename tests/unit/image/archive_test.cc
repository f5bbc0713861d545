// docker-archive import and export, against archives written by GNU tar, by us, and by hand
// the way an attacker would.
#include "trustctl/image/archive.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/image_layouts.h"
#include "support/temp_dir.h"
#include "trustctl/core/fs.h"
#include "trustctl/core/subprocess.h"
#include "trustctl/crypto/hash.h"

using nlohmann::json;
using trustctl::ErrorCode;
using trustctl::image::OciLayout;
using trustctl::registry::Descriptor;
using trustctl::testing::TempDir;

namespace {

// A tar member written by hand (ustar, checksum computed here), so hostile names and sizes
// can be expressed; `declared` overrides the size field.
std::string member(const std::string& name, const std::string& data, char type = '0',
                   const std::string& link = "", long long declared = -1) {
  std::string h(512, '\0');
  std::memcpy(h.data(), name.data(), std::min<std::size_t>(name.size(), 100));
  std::snprintf(h.data() + 100, 8, "%07o", 0644);
  std::snprintf(h.data() + 108, 8, "%07o", 0);
  std::snprintf(h.data() + 116, 8, "%07o", 0);
  std::snprintf(h.data() + 124, 12, "%011llo",
                declared >= 0 ? declared : static_cast<long long>(data.size()));
  std::snprintf(h.data() + 136, 12, "%011o", 0);
  h[156] = type;
  std::memcpy(h.data() + 157, link.data(), std::min<std::size_t>(link.size(), 100));
  std::memcpy(h.data() + 257,
              "ustar\0"
              "00",
              8);
  std::memset(h.data() + 148, ' ', 8);
  unsigned sum = 0;
  for (char c : h) sum += static_cast<unsigned char>(c);
  std::snprintf(h.data() + 148, 8, "%06o", sum);
  std::string out = h + data;
  out.append((512 - data.size() % 512) % 512, '\0');
  return out;
}

std::string end_of_tar() { return std::string(1024, '\0'); }

std::string sha256(const std::string& bytes) {
  return "sha256:" + trustctl::crypto::sha256_hex(bytes);
}

// A valid uncompressed layer: a tar with one file.
std::string layer_tar(const std::string& content) {
  return member("hello.txt", content) + end_of_tar();
}

std::string config_for(const std::vector<std::string>& layers) {
  json diff_ids = json::array();
  for (const auto& l : layers) diff_ids.push_back(sha256(l));
  return json{{"architecture", "amd64"},
              {"os", "linux"},
              {"config", json::object()},
              {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}}
      .dump();
}

std::string manifest_json(const std::string& config, const std::vector<std::string>& layers,
                          const std::string& tag = "repo/app:v1") {
  return json::array({{{"Config", config}, {"RepoTags", {tag}}, {"Layers", layers}}}).dump();
}

// An archive like skopeo's: <hex>.json config, <hex>.tar layers.
std::string simple_archive(const std::string& layer) {
  const std::string config = config_for({layer});
  const std::string chex = trustctl::crypto::sha256_hex(config);
  const std::string lhex = trustctl::crypto::sha256_hex(layer);
  return member("manifest.json", manifest_json(chex + ".json", {lhex + ".tar"})) +
         member(chex + ".json", config) + member(lhex + ".tar", layer) + end_of_tar();
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

trustctl::Error import_error(const TempDir& tmp, const std::string& archive,
                             const std::string& tag = "") {
  write_text(tmp / "hostile.tar", archive);
  auto layout = OciLayout::create(tmp / "dest");
  REQUIRE(layout);
  auto imported = trustctl::image::import_docker_archive(tmp / "hostile.tar", tag, *layout);
  REQUIRE_FALSE(imported);
  return imported.error();
}

std::vector<Descriptor> layers_of(const OciLayout& layout, const Descriptor& d) {
  auto m = trustctl::registry::parse_manifest(*layout.read_small_blob(d), d.media_type);
  REQUIRE(m);
  return m->layers;
}

}  // namespace

TEST_CASE("archive: an image written as a docker archive imports back to the same blobs") {
  TempDir tmp;
  trustctl::testing::make_all_kinds_layout(tmp / "src");
  auto src = OciLayout::open(tmp / "src");
  REQUIRE(src);
  for (const char* ref : {"secure-app", "v1-docker"}) {
    INFO(ref);
    const auto d = *src->find(ref);
    REQUIRE(trustctl::image::write_docker_archive(tmp / "out.tar", *src, d, "lab/app:signed"));
    auto listed = trustctl::run_process({"tar", "-tf", tmp / "out.tar"});  // GNU tar reads it
    REQUIRE(listed);
    CHECK(listed->exit_status == 0);
    CHECK_THAT(listed->out, Catch::Contains("manifest.json") && Catch::Contains(".tar.gz"));
    auto dest = OciLayout::create(tmp / (std::string("dest-") + ref));
    REQUIRE(dest);
    auto imported = trustctl::image::import_docker_archive(tmp / "out.tar", "", *dest);
    REQUIRE(imported);
    CHECK(imported->repo_tag == "lab/app:signed");
    CHECK(dest->find("lab/app:signed")->digest == imported->manifest.digest);
    CHECK(imported->manifest.media_type == trustctl::registry::media_type::kDockerManifest);
    auto m = trustctl::registry::parse_manifest(*dest->read_small_blob(imported->manifest), "");
    auto orig = trustctl::registry::parse_manifest(*src->read_small_blob(d), "");
    REQUIRE(m);
    REQUIRE(orig);
    CHECK(m->config.digest == orig->config.digest);
    CHECK(m->config.media_type == trustctl::registry::media_type::kDockerConfig);
    REQUIRE(m->layers.size() == orig->layers.size());
    CHECK(m->layers[0].digest == orig->layers[0].digest);
    CHECK(m->layers[0].media_type == trustctl::image::media_type::kDockerLayerGzip);
    CHECK(dest->read_small_blob(m->layers[0]));
  }
  std::filesystem::remove(tmp / "out.tar");
  auto refused =
      trustctl::image::write_docker_archive(tmp / "out.tar", *src, *src->find("multi"), "");
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code() == ErrorCode::kUsage);
  CHECK_FALSE(trustctl::fs::exists(tmp / "out.tar"));
}

TEST_CASE("archive: a corrupted layer leaves no archive and no temporary file behind") {
  TempDir tmp;
  trustctl::testing::make_all_kinds_layout(tmp / "src");
  auto src = OciLayout::open(tmp / "src");
  REQUIRE(src);
  const auto d = *src->find("v1");
  const auto layer = layers_of(*src, d).at(0);
  std::string bytes = *trustctl::fs::read_file(*src->blob_path(layer));
  bytes[40] = static_cast<char>(bytes[40] ^ 0x20);
  write_text(*src->blob_path(layer), bytes);
  std::filesystem::create_directories(tmp / "out");
  auto written = trustctl::image::write_docker_archive(tmp / "out/image.tar", *src, d, "a:b");
  REQUIRE_FALSE(written);
  CHECK(written.error().code() == ErrorCode::kIntegrity);
  CHECK_THAT(written.error().message(), Catch::Contains(layer.digest));
  CHECK(std::filesystem::is_empty(tmp / "out"));
}

TEST_CASE("archive: GNU tar archives with pax and GNU long names and linked duplicate layers") {
  TempDir tmp;
  const std::string layer = layer_tar("layer one\n");
  const std::string config = config_for({layer, layer, layer});
  const std::string long_dir = std::string(120, 'd');  // over ustar's 100-byte name field
  std::filesystem::create_directories(tmp / ("tree/" + long_dir));
  std::filesystem::create_directories(tmp / "tree/second");
  write_text(tmp / ("tree/" + long_dir + "/layer.tar"), layer);
  std::filesystem::create_symlink("../" + long_dir + "/layer.tar", tmp / "tree/second/layer.tar");
  std::filesystem::create_directories(tmp / "tree/third");  // GNU tar stores a hard link
  std::filesystem::create_hard_link(tmp / ("tree/" + long_dir + "/layer.tar"),
                                    tmp / "tree/third/layer.tar");
  write_text(tmp / "tree/config.json", config);
  write_text(tmp / "tree/manifest.json",
             manifest_json("config.json",
                           {long_dir + "/layer.tar", "second/layer.tar", "third/layer.tar"}));
  for (const char* format : {"--format=posix", "--format=gnu"}) {
    INFO(format);
    auto made =
        trustctl::run_process({"tar", format, "-C", tmp / "tree", "-cf", tmp / "gnu.tar", "."});
    REQUIRE(made);
    REQUIRE(made->exit_status == 0);
    auto layout = OciLayout::create(tmp / (std::string("dest") + format));
    REQUIRE(layout);
    auto imported = trustctl::image::import_docker_archive(tmp / "gnu.tar", "repo/app:v1", *layout);
    INFO((imported ? "" : imported.error().message()));
    REQUIRE(imported);
    const auto layers = layers_of(*layout, imported->manifest);
    REQUIRE(layers.size() == 3);
    for (const auto& l : layers) CHECK(l.digest == sha256(layer));
    CHECK(layers[0].media_type == trustctl::image::media_type::kDockerLayer);
    CHECK(*layout->read_small_blob(layers[0]) == layer);
  }
}

TEST_CASE("archive: the image is chosen by REPO:TAG, else the only one") {
  TempDir tmp;
  const std::string a = layer_tar("a\n"), b = layer_tar("b\n");
  const std::string ca = config_for({a}), cb = config_for({b});
  json list = json::array({{{"Config", "a.json"}, {"RepoTags", {"x/a:1"}}, {"Layers", {"a.tar"}}},
                           {{"Config", "b.json"}, {"RepoTags", nullptr}, {"Layers", {"b.tar"}}}});
  const std::string archive = member("manifest.json", list.dump()) + member("a.json", ca) +
                              member("a.tar", a) + member("b.json", cb) + member("b.tar", b) +
                              end_of_tar();
  write_text(tmp / "two.tar", archive);
  auto layout = OciLayout::create(tmp / "dest");
  REQUIRE(layout);
  auto several = trustctl::image::import_docker_archive(tmp / "two.tar", "", *layout);
  REQUIRE_FALSE(several);
  CHECK(several.error().code() == ErrorCode::kUsage);
  CHECK_THAT(several.error().message(), Catch::Contains("x/a:1"));
  auto missing = trustctl::image::import_docker_archive(tmp / "two.tar", "x/a:2", *layout);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code() == ErrorCode::kNotFound);
  auto chosen = trustctl::image::import_docker_archive(tmp / "two.tar", "x/a:1", *layout);
  REQUIRE(chosen);
  CHECK(layers_of(*layout, chosen->manifest).at(0).digest == sha256(a));

  write_text(tmp / "untagged.tar", member("manifest.json", json::array({list[1]}).dump()) +
                                       member("b.json", cb) + member("b.tar", b) + end_of_tar());
  auto untagged = trustctl::image::import_docker_archive(tmp / "untagged.tar", "", *layout);
  REQUIRE(untagged);
  CHECK(untagged->repo_tag.empty());
  CHECK(layout->find(untagged->layout_ref)->digest == untagged->manifest.digest);
}

TEST_CASE("archive: entry names that are absolute or climb out with .. are refused") {
  TempDir tmp;
  const std::string layer = layer_tar("x");
  for (const std::string name : {"../x", "/etc/x", "a/../../x", "ok/../x"}) {
    INFO(name);
    auto e = import_error(tmp, member(name, "evil") + simple_archive(layer).substr(0));
    CHECK(e.code() == ErrorCode::kIntegrity);
    CHECK_THAT(e.message(), Catch::Contains("'" + name + "'") && Catch::Contains("refused"));
  }
  const std::string config = config_for({layer});
  auto traversal =
      import_error(tmp, member("manifest.json", manifest_json("c.json", {"../../etc/passwd"})) +
                            member("c.json", config) + end_of_tar());
  CHECK(traversal.code() == ErrorCode::kIntegrity);
  CHECK_THAT(traversal.message(), Catch::Contains("../../etc/passwd"));
  auto abs_link = import_error(tmp, member("manifest.json", manifest_json("c.json", {"l.tar"})) +
                                        member("c.json", config) +
                                        member("l.tar", "", '2', "/etc/passwd") + end_of_tar());
  CHECK(abs_link.code() == ErrorCode::kIntegrity);
  CHECK_THAT(abs_link.message(), Catch::Contains("outside the archive"));
  auto up_link = import_error(tmp, member("manifest.json", manifest_json("c.json", {"l.tar"})) +
                                       member("c.json", config) +
                                       member("l.tar", "", '2', "../l.tar") + end_of_tar());
  CHECK(up_link.code() == ErrorCode::kIntegrity);
  auto loop = import_error(tmp, member("manifest.json", manifest_json("c.json", {"l.tar"})) +
                                    member("c.json", config) + member("l.tar", "", '2', "m.tar") +
                                    member("m.tar", "", '2', "l.tar") + end_of_tar());
  CHECK(loop.code() == ErrorCode::kIntegrity);
  CHECK_THAT(loop.message(), Catch::Contains("links more than"));
}

TEST_CASE("archive: an oversized or deeply nested manifest.json is refused") {
  TempDir tmp;
  auto huge = import_error(tmp, member("manifest.json", std::string(2u << 20, ' ')) + end_of_tar());
  CHECK(huge.code() == ErrorCode::kIntegrity);
  CHECK_THAT(huge.message(), Catch::Contains("manifest.json") && Catch::Contains("allowed"));
  auto deep = import_error(
      tmp, member("manifest.json", std::string(5000, '[') + std::string(5000, ']')) + end_of_tar());
  CHECK(deep.code() == ErrorCode::kIntegrity);
  CHECK_THAT(deep.message(), Catch::Contains("nested deeper"));
  auto none = import_error(tmp, member("other.txt", "x") + end_of_tar());
  CHECK(none.code() == ErrorCode::kIntegrity);
  CHECK_THAT(none.message(), Catch::Contains("manifest.json") && Catch::Contains("missing"));
}

TEST_CASE("archive: a missing layer or config, or a layer that is not its diff_id, is refused") {
  TempDir tmp;
  const std::string layer = layer_tar("x");
  const std::string config = config_for({layer});
  auto missing = import_error(tmp, member("manifest.json", manifest_json("c.json", {"gone.tar"})) +
                                       member("c.json", config) + end_of_tar());
  CHECK(missing.code() == ErrorCode::kIntegrity);
  CHECK_THAT(missing.message(), Catch::Contains("'gone.tar' is missing"));
  auto no_config = import_error(tmp, member("manifest.json", manifest_json("c.json", {"l.tar"})) +
                                         member("l.tar", layer) + end_of_tar());
  CHECK_THAT(no_config.message(), Catch::Contains("'c.json' is missing"));
  const std::string other = layer_tar("y");
  auto swapped =
      import_error(tmp, member("manifest.json", manifest_json("c.json", {"l.tar"})) +
                            member("c.json", config) + member("l.tar", other) + end_of_tar());
  CHECK(swapped.code() == ErrorCode::kIntegrity);
  CHECK_THAT(swapped.message(), Catch::Contains("diff_id"));
  auto counts =
      import_error(tmp, member("manifest.json", manifest_json("c.json", {"l.tar", "l.tar"})) +
                            member("c.json", config) + member("l.tar", layer) + end_of_tar());
  CHECK_THAT(counts.message(), Catch::Contains("2 layers but the config has 1"));
  auto zstd = import_error(
      tmp, member("manifest.json", manifest_json("c.json", {"l.tar"})) + member("c.json", config) +
               member("l.tar", std::string("\x28\xb5\x2f\xfd rest", 9)) + end_of_tar());
  CHECK(zstd.code() == ErrorCode::kUnsupported);
  CHECK_THAT(zstd.message(), Catch::Contains("zstd"));
}

TEST_CASE("archive: broken tar structure is refused with the offset named") {
  TempDir tmp;
  std::string bad_sum = simple_archive(layer_tar("x"));
  bad_sum[10] = 'Z';  // inside the first header's name: its checksum no longer matches
  auto sum = import_error(tmp, bad_sum);
  CHECK(sum.code() == ErrorCode::kIntegrity);
  CHECK_THAT(sum.message(), Catch::Contains("checksum") && Catch::Contains("byte 0"));
  auto past_end = import_error(tmp, member("manifest.json", "[]", '0', "", 1ll << 32));
  CHECK(past_end.code() == ErrorCode::kIntegrity);
  CHECK_THAT(past_end.message(), Catch::Contains("past the archive's end"));
  auto junk = import_error(tmp, "not a tar at all");
  CHECK(junk.code() == ErrorCode::kIntegrity);
  std::string many;
  for (std::uint64_t i = 0; i <= trustctl::image::kMaxArchiveEntries; ++i)
    many += member("f" + std::to_string(i), "");
  auto count = import_error(tmp, many + end_of_tar());
  CHECK(count.code() == ErrorCode::kIntegrity);
  CHECK_THAT(count.message(), Catch::Contains("more than 16384 entries"));
  auto twice = import_error(tmp, member("manifest.json", "[]") + simple_archive(layer_tar("x")));
  CHECK_THAT(twice.message(), Catch::Contains("appears twice"));
}

TEST_CASE("archive: a FIFO or a missing file is refused without blocking") {
  TempDir tmp;
  REQUIRE(::mkfifo((tmp / "fifo.tar").c_str(), 0644) == 0);
  auto layout = OciLayout::create(tmp / "dest");
  REQUIRE(layout);
  auto fifo = trustctl::image::import_docker_archive(tmp / "fifo.tar", "", *layout);
  REQUIRE_FALSE(fifo);
  CHECK(fifo.error().code() == ErrorCode::kIntegrity);
  auto missing = trustctl::image::import_docker_archive(tmp / "none.tar", "", *layout);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code() == ErrorCode::kNotFound);
}

namespace {

// "LEN key=value\n", LEN counting itself.
std::string pax_record(const std::string& key, const std::string& value) {
  const std::string body = " " + key + "=" + value + "\n";
  std::size_t len = body.size() + 1;
  while (std::to_string(len).size() + body.size() != len) ++len;
  return std::to_string(len) + body;
}

}  // namespace

TEST_CASE("archive: Docker 25 blobs/sha256 paths, and pax path and size records") {
  TempDir tmp;
  const std::string layer = layer_tar("pax\n");
  const std::string config = config_for({layer});
  const std::string chex = trustctl::crypto::sha256_hex(config);
  const std::string lhex = trustctl::crypto::sha256_hex(layer);
  const std::string name = "blobs/sha256/" + lhex;
  // The layer's real name and size are only in the pax header; the ustar fields lie.
  const std::string pax =
      pax_record("path", name) + pax_record("size", std::to_string(layer.size()));
  const std::string archive =
      member("manifest.json", manifest_json("blobs/sha256/" + chex, {name})) +
      member("blobs/sha256/" + chex, config) + member("PaxHeaders/x", pax, 'x') +
      member("wrong-name", layer, '0', "", 0) + end_of_tar();
  write_text(tmp / "d25.tar", archive);
  auto layout = OciLayout::create(tmp / "dest");
  REQUIRE(layout);
  auto imported = trustctl::image::import_docker_archive(tmp / "d25.tar", "", *layout);
  INFO((imported ? "" : imported.error().message()));
  REQUIRE(imported);
  const auto layers = layers_of(*layout, imported->manifest);
  REQUIRE(layers.size() == 1);
  CHECK(layers[0].digest == "sha256:" + lhex);
  CHECK(layers[0].size == static_cast<std::int64_t>(layer.size()));
}
