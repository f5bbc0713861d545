// OciLayout against the fixture layouts and against a layout an attacker edited.
#include "trustctl/image/layout.h"

#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "support/image_layouts.h"
#include "support/temp_dir.h"
#include "trustctl/core/fs.h"

using trustctl::ErrorCode;
using trustctl::image::OciLayout;
using trustctl::registry::Descriptor;
using trustctl::testing::TempDir;

namespace {

// Reads the manifest and, recursively, every blob it names; returns how many blobs were read.
int read_tree(const OciLayout& layout, const Descriptor& d) {
  auto bytes = layout.read_small_blob(d);
  INFO(d.digest);
  REQUIRE(bytes);
  auto m = trustctl::registry::parse_manifest(*bytes, d.media_type);
  REQUIRE(m);
  int n = 1;
  for (const auto& child : m->manifests) n += read_tree(layout, child);
  if (m->is_index()) return n;
  std::vector<Descriptor> blobs = m->layers;
  blobs.push_back(m->config);
  for (const auto& b : blobs) {
    std::uint64_t got = 0;
    auto st = layout.read_blob(b, [&](std::string_view chunk) {
      got += chunk.size();
      return true;
    });
    INFO(b.digest);
    REQUIRE(st);
    CHECK(got == static_cast<std::uint64_t>(b.size));
    CHECK(layout.has_blob(b));
    ++n;
  }
  return n;
}

Descriptor first_layer(const OciLayout& layout, const std::string& ref) {
  auto m = trustctl::registry::parse_manifest(*layout.read_small_blob(*layout.find(ref)), "");
  REQUIRE(m);
  return m->layers.at(0);
}

std::string blob_file(const OciLayout& layout, const Descriptor& d) { return *layout.blob_path(d); }

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    out.push_back(e.path().filename().string());
  return out;
}

// Anything in the layout's root but its own three names is a leftover.
bool has_temp_files(const std::string& dir) {
  for (const auto& name : list_dir(dir))
    if (name != "oci-layout" && name != "index.json" && name != "blobs") return true;
  return false;
}

Descriptor descriptor_of(const std::string& bytes, std::string type = "application/octet-stream") {
  Descriptor d;
  d.media_type = std::move(type);
  d.digest = trustctl::registry::Digest::of(bytes).string();
  d.size = static_cast<std::int64_t>(bytes.size());
  return d;
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

}  // namespace

TEST_CASE("layout: all five fixture images open, are found by ref and read verified") {
  TempDir tmp;
  auto built = trustctl::testing::make_all_kinds_layout(tmp / "layout");
  auto layout = OciLayout::open(tmp / "layout");
  REQUIRE(layout);
  CHECK(layout->manifests().size() == 5);
  const std::pair<const char*, std::string_view> kinds[] = {
      {"v1", trustctl::registry::media_type::kOciManifest},
      {"multi", trustctl::registry::media_type::kOciIndex},
      {"secure-app", trustctl::registry::media_type::kOciManifest},
      {"v1-docker", trustctl::registry::media_type::kDockerManifest},
      {"multi-docker", trustctl::registry::media_type::kDockerManifestList}};
  for (const auto& [ref, type] : kinds) {
    auto d = layout->find(ref);
    INFO(ref);
    REQUIRE(d);
    CHECK(d->media_type == type);
    CHECK(d->annotations.at(trustctl::image::kRefNameAnnotation) == ref);
    CHECK(read_tree(*layout, *d) >= 3);
  }
  CHECK(layout->find("v1")->digest ==
        "sha256:587708c8f8f1e61cdc96f1ec9f79a90573d6b6fc247d8e77c9e5145899861652");
  CHECK(layout->find("secure-app")->digest ==
        "sha256:5a5f596f95ccf38b57db31f0405dcf9b1c4d6065acbdee852ce3f468dcb42008");
  // The converted Docker images are the very bytes skopeo --format v2s2 pushes.
  CHECK(layout->find("v1-docker")->digest ==
        "sha256:102b2ce8e4a73bea5da9249b18d36dc2e3ad96fec634a0aa88bac67bb8de1790");
  CHECK(layout->find("multi-docker")->digest ==
        "sha256:bcddd5f9ededc12ab2e32f6d77a1300ba3229a31d3e97845648bf059b4374157");
}

TEST_CASE("layout: an empty ref picks the only image and names the choices when several") {
  TempDir tmp;
  trustctl::testing::make_all_kinds_layout(tmp / "layout");
  auto layout = OciLayout::open(tmp / "layout");
  REQUIRE(layout);
  auto several = layout->find("");
  REQUIRE_FALSE(several);
  CHECK(several.error().code() == ErrorCode::kUsage);
  CHECK_THAT(several.error().message(), Catch::Contains("secure-app") && Catch::Contains("v1"));

  auto one = OciLayout::create(tmp / "one");
  REQUIRE(one);
  CHECK(one->find("").error().code() == ErrorCode::kNotFound);
  auto d = trustctl::testing::put_json(*one, "{}", trustctl::registry::media_type::kOciManifest);
  REQUIRE(one->tag("only", d));
  REQUIRE(one->find(""));
  CHECK(one->find("")->digest == d.digest);
}

TEST_CASE("layout: a missing ref, folder or oci-layout file is kNotFound") {
  TempDir tmp;
  trustctl::testing::make_all_kinds_layout(tmp / "layout");
  auto layout = OciLayout::open(tmp / "layout");
  REQUIRE(layout);
  auto missing = layout->find("v2");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code() == ErrorCode::kNotFound);
  CHECK_THAT(missing.error().message(), Catch::Contains("'v2'"));
  CHECK(OciLayout::open(tmp / "nothing").error().code() == ErrorCode::kNotFound);
  std::filesystem::create_directories(tmp / "plain");
  CHECK(OciLayout::open(tmp / "plain").error().code() == ErrorCode::kNotFound);
}

TEST_CASE("layout: malformed, deeply nested or lying index.json is kIntegrity") {
  TempDir tmp;
  trustctl::testing::make_all_kinds_layout(tmp / "layout");
  const std::string index = tmp / "layout/index.json";
  const std::string good = *trustctl::fs::read_file(index);
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  const std::string cases[] = {
      "{not json",
      deep,
      "{\"schemaVersion\":2,\"manifests\":" + deep + "}",
      "[]",
      "{\"schemaVersion\":2,\"manifests\":[{\"digest\":\"sha256:../../etc/passwd\",\"size\":1}]}",
      "{\"schemaVersion\":2,\"manifests\":[{\"digest\":\"sha256:" + std::string(64, 'a') +
          "\",\"size\":-1}]}",
  };
  for (const auto& text : cases) {
    write_text(index, text);
    auto opened = OciLayout::open(tmp / "layout");
    INFO(text.substr(0, 80));
    REQUIRE_FALSE(opened);
    CHECK(opened.error().code() == ErrorCode::kIntegrity);
    CHECK_THAT(opened.error().message(), Catch::Contains("index.json"));
  }
  std::filesystem::remove(index);
  std::filesystem::create_symlink("/dev/zero", index);
  CHECK(OciLayout::open(tmp / "layout").error().code() == ErrorCode::kIntegrity);
  std::filesystem::remove(index);
  write_text(index, good);
  write_text(tmp / "layout/oci-layout", "{\"imageLayoutVersion\":\"2.0.0\"}");
  CHECK(OciLayout::open(tmp / "layout").error().code() == ErrorCode::kIntegrity);
}

TEST_CASE("layout: a blob with one byte flipped is kIntegrity naming its digest") {
  TempDir tmp;
  trustctl::testing::make_all_kinds_layout(tmp / "layout");
  auto layout = OciLayout::open(tmp / "layout");
  REQUIRE(layout);
  const Descriptor layer = first_layer(*layout, "secure-app");
  std::string bytes = *trustctl::fs::read_file(blob_file(*layout, layer));
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x01);
  write_text(blob_file(*layout, layer), bytes);
  CHECK(layout->has_blob(layer));  // same size: only reading can tell
  auto read = layout->read_blob(layer, [](std::string_view) { return true; });
  REQUIRE_FALSE(read);
  CHECK(read.error().code() == ErrorCode::kIntegrity);
  CHECK_THAT(read.error().message(), Catch::Contains(layer.digest));
  CHECK(layout->read_small_blob(layer).error().code() == ErrorCode::kIntegrity);
}

TEST_CASE("layout: a truncated or missing blob is refused") {
  TempDir tmp;
  trustctl::testing::make_all_kinds_layout(tmp / "layout");
  auto layout = OciLayout::open(tmp / "layout");
  REQUIRE(layout);
  const Descriptor layer = first_layer(*layout, "v1");
  const std::string path = blob_file(*layout, layer);
  std::filesystem::resize_file(path, static_cast<std::uintmax_t>(layer.size - 10));
  CHECK_FALSE(layout->has_blob(layer));
  auto read = layout->read_blob(layer, [](std::string_view) { return true; });
  REQUIRE_FALSE(read);
  CHECK(read.error().code() == ErrorCode::kIntegrity);
  CHECK_THAT(read.error().message(), Catch::Contains(layer.digest));
  std::filesystem::remove(path);
  CHECK(layout->read_blob(layer, [](std::string_view) { return true; }).error().code() ==
        ErrorCode::kNotFound);
}

TEST_CASE("layout: a blob replaced by a link to /dev/zero or by a FIFO is refused unread") {
  TempDir tmp;
  trustctl::testing::make_all_kinds_layout(tmp / "layout");
  auto layout = OciLayout::open(tmp / "layout");
  REQUIRE(layout);
  const Descriptor layer = first_layer(*layout, "v1");
  const std::string path = blob_file(*layout, layer);
  std::filesystem::remove(path);
  std::filesystem::create_symlink("/dev/zero", path);
  CHECK_FALSE(layout->has_blob(layer));
  auto linked = layout->read_blob(layer, [](std::string_view) { return true; });
  REQUIRE_FALSE(linked);
  CHECK(linked.error().code() == ErrorCode::kIntegrity);
  CHECK_THAT(linked.error().message(), Catch::Contains("symbolic link"));
  std::filesystem::remove(path);
  REQUIRE(::mkfifo(path.c_str(), 0644) == 0);
  CHECK_FALSE(layout->has_blob(layer));
  auto fifo = layout->read_small_blob(layer);  // must not block waiting for a writer
  REQUIRE_FALSE(fifo);
  CHECK(fifo.error().code() == ErrorCode::kIntegrity);
  CHECK_THAT(fifo.error().message(), Catch::Contains("not a regular file"));
}

TEST_CASE("layout: blobs/sha256 as a link elsewhere is refused at open") {
  TempDir tmp;
  trustctl::testing::make_all_kinds_layout(tmp / "layout");
  std::filesystem::rename(tmp / "layout/blobs/sha256", tmp / "elsewhere");
  std::filesystem::create_directory_symlink(tmp / "elsewhere", tmp / "layout/blobs/sha256");
  auto opened = OciLayout::open(tmp / "layout");
  REQUIRE_FALSE(opened);
  CHECK(opened.error().code() == ErrorCode::kIntegrity);
}

TEST_CASE("layout: read_small_blob refuses a blob over its cap without reading") {
  TempDir tmp;
  trustctl::testing::make_all_kinds_layout(tmp / "layout");
  auto layout = OciLayout::open(tmp / "layout");
  REQUIRE(layout);
  auto capped = layout->read_small_blob(first_layer(*layout, "v1"), 16);
  REQUIRE_FALSE(capped);
  CHECK(capped.error().code() == ErrorCode::kIntegrity);
}

TEST_CASE("layout: create initialises an empty layout open reads back, and refuses other folders") {
  TempDir tmp;
  auto created = OciLayout::create(tmp / "new/layout");
  REQUIRE(created);
  CHECK(created->manifests().empty());
  struct stat st {};
  REQUIRE(::stat((tmp / "new/layout/blobs/sha256").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0755);
  REQUIRE(OciLayout::open(tmp / "new/layout"));
  REQUIRE(OciLayout::create(tmp / "new/layout"));  // a second create just opens it
  write_text(tmp / "new/other.txt", "x");
  auto refused = OciLayout::create(tmp / "new");
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code() == ErrorCode::kUsage);
}

TEST_CASE("blob writer: a wrong digest fails commit and leaves no blob and no temporary file") {
  TempDir tmp;
  auto layout = OciLayout::create(tmp / "l");
  REQUIRE(layout);
  Descriptor d = descriptor_of("the promised bytes");
  auto writer = layout->write_blob(d);
  REQUIRE(writer);
  REQUIRE(writer->write("the altered bytes!"));  // same length, other bytes
  auto committed = writer->commit();
  REQUIRE_FALSE(committed);
  CHECK(committed.error().code() == ErrorCode::kIntegrity);
  CHECK_THAT(committed.error().message(), Catch::Contains(d.digest));
  CHECK_FALSE(trustctl::fs::exists(blob_file(*layout, d)));
  CHECK(list_dir(tmp / "l/blobs/sha256").empty());
  CHECK_FALSE(has_temp_files(tmp / "l"));
}

TEST_CASE("blob writer: too many or too few bytes are refused and cleaned up") {
  TempDir tmp;
  auto layout = OciLayout::create(tmp / "l");
  REQUIRE(layout);
  Descriptor d = descriptor_of("four");
  auto longer = layout->write_blob(d);
  REQUIRE(longer);
  CHECK(longer->write("four").ok());
  auto over = longer->write("more");
  REQUIRE_FALSE(over);
  CHECK(over.error().code() == ErrorCode::kIntegrity);
  CHECK_FALSE(longer->commit());
  auto shorter = layout->write_blob(d);
  REQUIRE(shorter);
  REQUIRE(shorter->write("fou"));
  CHECK(shorter->commit().error().code() == ErrorCode::kIntegrity);
  CHECK(list_dir(tmp / "l/blobs/sha256").empty());
  CHECK_FALSE(has_temp_files(tmp / "l"));
}

TEST_CASE("blob writer: abort and destruction without commit leave nothing") {
  TempDir tmp;
  auto layout = OciLayout::create(tmp / "l");
  REQUIRE(layout);
  Descriptor d = descriptor_of("half of it, then gone");
  {
    auto writer = layout->write_blob(d);
    REQUIRE(writer);
    REQUIRE(writer->write("half of it"));
    CHECK(has_temp_files(tmp / "l"));
    writer->abort();
    CHECK_FALSE(has_temp_files(tmp / "l"));
    auto second = layout->write_blob(d);
    REQUIRE(second);
    REQUIRE(second->write("half of it"));
  }  // destroyed without commit
  CHECK_FALSE(has_temp_files(tmp / "l"));
  CHECK(list_dir(tmp / "l/blobs/sha256").empty());
  CHECK_FALSE(layout->has_blob(d));
}

TEST_CASE("blob writer: a second writer of an existing blob is fine") {
  TempDir tmp;
  auto layout = OciLayout::create(tmp / "l");
  REQUIRE(layout);
  const std::string bytes(3u << 20, 'z');  // several chunks
  Descriptor d = descriptor_of(bytes);
  REQUIRE(layout->put_blob(d, bytes));
  auto again = layout->write_blob(d);
  REQUIRE(again);
  for (std::size_t i = 0; i < bytes.size(); i += 1000)
    REQUIRE(again->write(std::string_view(bytes).substr(i, 1000)));
  REQUIRE(again->commit());
  CHECK(*layout->read_small_blob(d) == bytes);
  struct stat st {};
  REQUIRE(::stat(blob_file(*layout, d).c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0644);
  CHECK_FALSE(has_temp_files(tmp / "l"));
  Descriptor bad = d;
  bad.digest = "sha256:../../../../etc/passwd";
  CHECK(layout->write_blob(bad).error().code() == ErrorCode::kIntegrity);
}

TEST_CASE("tag: replaces the entry for its ref and keeps the others as they were") {
  TempDir tmp;
  trustctl::testing::make_all_kinds_layout(tmp / "layout");
  auto layout = OciLayout::open(tmp / "layout");
  REQUIRE(layout);
  const auto app = *layout->find("secure-app");
  REQUIRE(layout->tag("v1", app));
  CHECK(layout->manifests().size() == 5);
  CHECK(layout->find("v1")->digest == app.digest);
  REQUIRE(layout->tag("v9", app));
  auto reopened = OciLayout::open(tmp / "layout");
  REQUIRE(reopened);
  CHECK(reopened->manifests().size() == 6);
  CHECK(reopened->find("v9")->digest == app.digest);
  CHECK(reopened->find("multi")->media_type == trustctl::registry::media_type::kOciIndex);
  CHECK(reopened->find("multi-docker")->digest == layout->find("multi-docker")->digest);
  Descriptor absent =
      descriptor_of("not stored", std::string(trustctl::registry::media_type::kOciManifest));
  CHECK(layout->tag("v10", absent).error().code() == ErrorCode::kNotFound);
  CHECK(layout->tag("", app).error().code() == ErrorCode::kUsage);
}

TEST_CASE("tag: a write that fails midway leaves the old index.json intact") {
  TempDir tmp;
  trustctl::testing::make_all_kinds_layout(tmp / "layout");
  auto layout = OciLayout::open(tmp / "layout");
  REQUIRE(layout);
  const std::string before = *trustctl::fs::read_file(tmp / "layout/index.json");
  REQUIRE(before.size() > 200);
  // Root ignores a read-only folder, so fail the write itself: files may not grow past 64 bytes.
  struct rlimit old {};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &old) == 0);
  auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = old;
  small.rlim_cur = 64;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
  auto tagged = layout->tag("v9", *layout->find("v1"));
  ::setrlimit(RLIMIT_FSIZE, &old);
  ::signal(SIGXFSZ, old_handler);
  REQUIRE_FALSE(tagged);
  CHECK(tagged.error().code() == ErrorCode::kIo);
  CHECK(*trustctl::fs::read_file(tmp / "layout/index.json") == before);
  CHECK_FALSE(has_temp_files(tmp / "layout"));
  REQUIRE(OciLayout::open(tmp / "layout"));
  CHECK(OciLayout::open(tmp / "layout")->find("v9").error().code() == ErrorCode::kNotFound);
}
