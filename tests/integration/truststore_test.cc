// The trust store on Debian's registry: layout, caching, tampering, and detect-and-repair
// publishing with concurrent writers.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "registry_env.h"
#include "trustctl/registry/digest.h"
#include "trustctl/truststore/oci_store.h"

using namespace trustctl;
using namespace trustctl::testing;
using namespace trustctl::truststore;

TEST_CASE("files written to the store read back through the reserved tag") {
  TempDir tmp;
  auto reg = start_registry();
  auto client = client_for(*reg, tmp.path);
  BlobCache cache(tmp.path + "/cache");
  OciTrustStore store(*client, "secure-app", &cache);

  auto none = store.read();
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());

  std::map<std::string, std::string> files = {{"1.root.json", R"({"signed":"root"})"},
                                              {"timestamp.json", R"({"signed":"ts"})"}};
  auto written = store.write(files);
  REQUIRE(written.ok());
  CHECK(written->files.size() == 2);

  // A fresh reader with an empty cache sees the same files.
  BlobCache empty(tmp.path + "/cache2");
  auto reader_client = client_for(*reg, tmp.path);
  OciTrustStore reader(*reader_client, "secure-app", &empty);
  auto state = reader.read();
  REQUIRE(state.ok());
  REQUIRE(state->has_value());
  CHECK((*state)->manifest_digest == written->manifest_digest);
  CHECK((*state)->repository == "secure-app");
  CHECK(reader.file(**state, "1.root.json", 1000).value() == R"({"signed":"root"})");
  CHECK(reader.file(**state, "nope.json", 1000).error().code() == ErrorCode::kNotFound);
  CHECK(reader.file(**state, "timestamp.json", 3).error().code() == ErrorCode::kIntegrity);

  // The tag is an ordinary manifest to the registry, with the documented shape.
  auto m = client->get_manifest("secure-app", std::string(kReservedTag));
  REQUIRE(m.ok());
  CHECK(m->artifact_type == kArtifactType);
  REQUIRE(m->layers.size() == 2);
  CHECK(m->layers[0].annotations.at(std::string(kFileNameAnnotation)) == "1.root.json");
}

TEST_CASE("an unchanged repository costs one HEAD request once cached") {
  TempDir tmp;
  auto reg = start_registry();
  BlobCache cache(tmp.path + "/cache");
  {
    auto c = client_for(*reg, tmp.path);
    OciTrustStore writer(*c, "app", &cache);
    REQUIRE(writer.write({{"timestamp.json", "{}"}, {"1.root.json", "{\"r\":1}"}}).ok());
  }
  auto client = client_for(*reg, tmp.path);
  REQUIRE(client->ping().ok());
  OciTrustStore store(*client, "app", &cache);
  auto before = client->request_count();
  auto state = store.read();
  REQUIRE(state.ok());
  REQUIRE(state->has_value());
  CHECK(store.file(**state, "timestamp.json", 100).value() == "{}");
  CHECK(store.file(**state, "1.root.json", 100).value() == "{\"r\":1}");
  CHECK(client->request_count() - before == 1);
}

TEST_CASE("a tampered cache entry is not used, a tampered registry blob is refused") {
  TempDir tmp;
  auto reg = start_registry();
  auto client = client_for(*reg, tmp.path);
  BlobCache cache(tmp.path + "/cache");
  OciTrustStore store(*client, "app", &cache);
  auto written = store.write({{"timestamp.json", "original"}});
  REQUIRE(written.ok());
  const std::string digest = written->files.at("timestamp.json").digest;
  // Replace the cached copy with other bytes: the cache refuses it and refetches.
  std::string cache_file = tmp.path + "/cache/sha256/" + digest.substr(7);
  REQUIRE(fs::write_file_atomic(cache_file, "tampered").ok());
  CHECK(store.file(*written, "timestamp.json", 100).value() == "original");

  // Now the registry's copy: corrupt it on disk and read with no cache.
  std::string hex = digest.substr(7);
  std::string blob = reg->data_dir() + "/docker/registry/v2/blobs/sha256/" + hex.substr(0, 2) +
                     "/" + hex + "/data";
  REQUIRE(fs::write_file_atomic(blob, "origina!", 0644).ok());
  OciTrustStore uncached(*client, "app", nullptr);
  auto r = uncached.file(*written, "timestamp.json", 100);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().exit_code() == 12);

  // And a blob the manifest lists that was deleted: tampering (12), not "not found" (11).
  REQUIRE(client->delete_blob("app", digest).ok());
  auto gone = uncached.file(*written, "timestamp.json", 100);
  REQUIRE_FALSE(gone.ok());
  CHECK(gone.error().exit_code() == 12);
  INFO(gone.error().message());
  CHECK(gone.error().message().find("tampered") != std::string::npos);
}

TEST_CASE("a manifest under the reserved tag that is not a trust manifest is refused") {
  TempDir tmp;
  auto reg = start_registry();
  REQUIRE(push_fixtures(*reg, "app").ok());
  auto client = client_for(*reg, tmp.path);
  // Someone with push rights puts an ordinary image under the reserved tag.
  auto image = client->get_manifest("app", "v1");
  REQUIRE(image.ok());
  REQUIRE(client
              ->put_manifest("app", std::string(kReservedTag), image->descriptor.media_type,
                             image->bytes)
              .ok());
  OciTrustStore store(*client, "app", nullptr);
  auto r = store.read();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().exit_code() == 12);
  CHECK(r.error().message().find("artifactType") != std::string::npos);
}

TEST_CASE("concurrent publishers lose nothing (detect and repair), run repeatedly") {
  TempDir tmp;
  auto reg = start_registry();
  const int kWriters = 8;
  for (int round = 0; round < 6; ++round) {
    const std::string repo = "race" + std::to_string(round);
    std::vector<std::thread> threads;
    std::vector<Status> results(kWriters);
    for (int w = 0; w < kWriters; ++w) {
      threads.emplace_back([&, w] {
        auto client = client_for(*reg, tmp.path);
        OciTrustStore store(*client, repo, nullptr);
        const std::string me = "writer" + std::to_string(w);
        auto names_of = [&](const StoreState& s) -> Result<std::set<std::string>> {
          TRUSTCTL_TRY_ASSIGN(auto bytes, store.file(s, "names.json", 1 << 20));
          std::set<std::string> out;
          for (const auto& n : nlohmann::json::parse(bytes)) out.insert(n.get<std::string>());
          return out;
        };
        PublishOptions opts;
        opts.settle = std::chrono::milliseconds(300);
        opts.max_attempts = 40;
        auto r = publish(
            store,
            [&](const std::optional<StoreState>& cur)
                -> Result<std::map<std::string, std::string>> {
              std::set<std::string> names;
              if (cur) {
                TRUSTCTL_TRY_ASSIGN(names, names_of(*cur));
              }
              names.insert(me);
              return std::map<std::string, std::string>{
                  {"names.json", nlohmann::json(names).dump()}};
            },
            [&](const StoreState& latest) -> Result<bool> {
              TRUSTCTL_TRY_ASSIGN(auto names, names_of(latest));
              return names.count(me) > 0;
            },
            opts);
        results[w] = r.ok() ? Status() : Status(r.error());
      });
    }
    for (auto& t : threads) t.join();
    for (int w = 0; w < kWriters; ++w) {
      INFO("round " << round << " writer " << w << ": "
                    << (results[w].ok() ? "" : results[w].error().message()));
      CHECK(results[w].ok());
    }
    auto client = client_for(*reg, tmp.path);
    OciTrustStore store(*client, repo, nullptr);
    auto final_state = store.read();
    REQUIRE(final_state.ok());
    REQUIRE(final_state->has_value());
    auto names = nlohmann::json::parse(store.file(**final_state, "names.json", 1 << 20).value());
    CHECK(names.size() == static_cast<size_t>(kWriters));
  }
}
