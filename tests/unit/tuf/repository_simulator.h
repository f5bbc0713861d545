// An in-memory TUF repository for the updater tests (python-tuf's RepositorySimulator): a
// RepositoryBuilder with fresh keys, served through MetadataSource with fault injection.
#pragma once

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "support/temp_dir.h"
#include "support/tuf_builder/repository_builder.h"
#include "trustctl/core/fs.h"
#include "trustctl/crypto/hash.h"
#include "trustctl/crypto/keys.h"
#include "trustctl/tuf/updater.h"

namespace trustctl::tuf::testing {

inline constexpr std::int64_t kNow = 1'750'000'000;  // 2025-06-15, the injected clock

inline SharedKey new_key(crypto::KeyType type = crypto::KeyType::kEd25519) {
  auto k = crypto::PrivateKey::generate(type);
  REQUIRE(k.ok());
  return std::make_shared<const crypto::PrivateKey>(std::move(k).value());
}

class RepositorySimulator : public MetadataSource {
 public:
  explicit RepositorySimulator(RepositoryOptions options = {kNow}) : repo(options) {
    for (const char* role : {"root", "timestamp", "snapshot", "targets"}) {
      keys[role] = new_key();
      repo.add_key(role, keys[role]);
    }
  }

  Result<std::string> fetch(const std::string& name, std::uint64_t max_length) override {
    fetched.push_back(name);
    auto it = repo.files().find(name);
    if (it == repo.files().end()) return Error(ErrorCode::kNotFound, name + ": 404");
    if (it->second.size() > max_length)
      return Error(ErrorCode::kIntegrity,
                   name + " exceeds the limit of " + std::to_string(max_length) + " bytes");
    return it->second;
  }

  void publish() { REQUIRE(repo.publish().ok()); }
  void publish_root() { REQUIRE(repo.publish_root().ok()); }
  void publish_targets(const std::string& role = "targets") {
    REQUIRE(repo.publish_targets(role).ok());
  }
  // snapshot + timestamp
  void publish_snapshot() {
    REQUIRE(repo.publish_snapshot().ok());
    REQUIRE(repo.publish_timestamp().ok());
  }
  void publish_timestamp() { REQUIRE(repo.publish_timestamp().ok()); }
  // Replaces (or adds) the file served under `name`; other names of the same role are kept.
  void serve(const std::string& name, const std::string& bytes) { repo.files()[name] = bytes; }

  RepositoryBuilder repo;
  std::map<std::string, SharedKey> keys;
  std::vector<std::string> fetched;
};

// A temporary metadata dir holding the first root, and an updater over a simulator.
class Client {
 public:
  explicit Client(RepositorySimulator& sim) : dir(tmp_.path), sim_(sim) {
    REQUIRE(fs::write_file_atomic(dir + "/root.json", sim.repo.files().at("1.root.json")).ok());
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  Updater updater() {
    UpdaterConfig c;
    c.metadata_dir = dir;
    c.source = &sim_;
    c.clock = [this] { return now; };
    c.limits = limits;
    c.key_ids = key_ids;
    return Updater(c);
  }
  Status refresh() {
    auto u = updater();
    return u.refresh();
  }
  Result<TargetFile> lookup(const std::string& name) {
    auto u = updater();
    TRUSTCTL_TRY(u.refresh());
    return u.get_targetinfo(name);
  }
  std::string local(const std::string& role) {
    auto r = fs::read_file(dir + "/" + role_file_name(role));
    return r ? *r : std::string();
  }
  std::int64_t local_version(const std::string& role);

  ::trustctl::testing::TempDir tmp_;
  std::string dir;  // tmp_'s path
  std::int64_t now = kNow;
  Limits limits;
  KeyIds key_ids = KeyIds::kOpaque;

 private:
  RepositorySimulator& sim_;
};

inline std::int64_t Client::local_version(const std::string& role) {
  auto bytes = local(role);
  if (bytes.empty()) return 0;
  auto j = nlohmann::json::parse(bytes, nullptr, false);
  if (j.is_discarded()) return -1;
  return j["signed"]["version"].get<std::int64_t>();
}

// Asserts a failure of class `code` whose message contains `needle`.
#define REQUIRE_FAILS_WITH(expr, expected_code, needle)         \
  do {                                                          \
    auto&& st_ = (expr);                                        \
    REQUIRE_FALSE(st_.ok());                                    \
    INFO("message: " << st_.error().message());                 \
    CHECK(st_.error().code() == (expected_code));               \
    CHECK_THAT(st_.error().message(), Catch::Contains(needle)); \
  } while (false)

}  // namespace trustctl::tuf::testing
