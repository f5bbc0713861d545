// libFuzzer target: TUF metadata parsing and trusted-set verification on fuzzed bytes.
//
// Input: one mode byte, then the bytes of a metadata file.
//   0: parse as every role; a parsed document must serialise and parse again
//   1: TrustedSet::create (a root from the bytes)
//   2: update_root on a fixed trusted root
//   3: update_timestamp on a fixed trusted root
//   4: update_snapshot after a fixed valid timestamp
//   5: update_targets after a fixed valid timestamp and snapshot
//   6: update_delegated_targets ("releases") after fixed valid top-level targets
//   7: delegation path matching: "PATTERN\nTARGET" (patterns come from delegated signers)
// The fixed repository is signed with deterministic ed25519 keys, so seeds built from it carry
// valid signatures. TRUSTCTL_FUZZ_WRITE_SEEDS=DIR writes those seeds (fuzz/corpus/tuf_metadata).
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "support/tuf_builder/repository_builder.h"
#include "trustctl/core/fs.h"
#include "trustctl/crypto/keys.h"
#include "trustctl/tuf/trusted_set.h"

using namespace trustctl;

namespace {

constexpr std::int64_t kNow = 1'750'000'000;

std::shared_ptr<const crypto::PrivateKey> fixed_key(char seed) {
  // PKCS#8 PrivateKeyInfo of an Ed25519 key: fixed prefix + 32 seed bytes.
  std::string der("\x30\x2e\x02\x01\x00\x30\x05\x06\x03\x2b\x65\x70\x04\x22\x04\x20", 16);
  der += std::string(32, seed);
  auto k = crypto::PrivateKey::from_der(crypto::SecretBytes(der));
  if (!k) std::abort();
  return std::make_shared<const crypto::PrivateKey>(std::move(k).value());
}

struct Fixture {
  std::string root1, root2, timestamp, snapshot, targets, delegated;
};

const Fixture& fixture() {
  static const Fixture f = [] {
    tuf::RepositoryOptions options;
    options.now = kNow;
    tuf::RepositoryBuilder repo(options);
    repo.add_key("root", fixed_key(1));
    repo.add_key("timestamp", fixed_key(2));
    repo.add_key("snapshot", fixed_key(3));
    repo.add_key("targets", fixed_key(4));
    tuf::DelegatedRole role;
    role.name = "releases";
    role.paths = std::vector<std::string>{"releases/*"};
    repo.add_delegation("targets", role, {fixed_key(5)});
    repo.add_target("targets", "v1", "one");
    repo.add_target("releases", "releases/v2", "two");
    if (!repo.publish()) std::abort();
    Fixture out;
    out.root1 = repo.files()["1.root.json"];
    repo.add_key("root", fixed_key(6));
    if (!repo.publish_root()) std::abort();
    out.root2 = repo.files()["2.root.json"];
    out.timestamp = repo.files()["timestamp.json"];
    out.snapshot = repo.files()["snapshot.json"];
    out.targets = repo.files()["targets.json"];
    out.delegated = repo.files()["releases.json"];
    return out;
  }();
  return f;
}

template <typename T>
void round_trip(std::string_view data) {
  auto md = tuf::Metadata<T>::from_bytes(data);
  if (!md) return;
  auto bytes = md->to_bytes();
  if (!bytes) return;  // e.g. strings nlohmann cannot write
  auto again = tuf::Metadata<T>::from_bytes(*bytes);
  if (!again) std::abort();  // what we write must parse
  auto a = md->signed_bytes();
  auto b = again->signed_bytes();
  if (!a || !b || *a != *b) std::abort();  // and keep the signed bytes
}

// Trusted sets at each stage, built once and copied per input.
const tuf::TrustedSet& fixed_set(int stage) {
  static const std::vector<tuf::TrustedSet> sets = [] {
    const Fixture& f = fixture();
    auto set = tuf::TrustedSet::create(f.root1, kNow);
    if (!set) std::abort();
    std::vector<tuf::TrustedSet> out{*set};
    if (!set->update_timestamp(f.timestamp)) std::abort();
    out.push_back(*set);
    if (!set->update_snapshot(f.snapshot)) std::abort();
    out.push_back(*set);
    if (!set->update_targets(f.targets)) std::abort();
    out.push_back(*set);
    return out;
  }();
  return sets[static_cast<size_t>(stage)];
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const Fixture& f = fixture();
  if (const char* dir = std::getenv("TRUSTCTL_FUZZ_WRITE_SEEDS")) {
    auto write = [&](const std::string& name, char mode, const std::string& bytes) {
      (void)fs::write_file_atomic(std::string(dir) + "/" + name, std::string(1, mode) + bytes,
                                  0644);
    };
    write("parse-root", 0, f.root1);
    write("parse-targets", 0, f.targets);
    write("create-root", 1, f.root1);
    write("update-root", 2, f.root2);
    write("update-timestamp", 3, f.timestamp);
    write("update-snapshot", 4, f.snapshot);
    write("update-targets", 5, f.targets);
    write("update-delegated", 6, f.delegated);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const char mode = static_cast<char>(data[0] % 8);
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (mode) {
    case 0:
      round_trip<tuf::Root>(bytes);
      round_trip<tuf::Timestamp>(bytes);
      round_trip<tuf::Snapshot>(bytes);
      round_trip<tuf::Targets>(bytes);
      break;
    case 1:
      (void)tuf::TrustedSet::create(bytes, kNow);
      break;
    case 2: {
      tuf::TrustedSet set = fixed_set(0);
      (void)set.update_root(bytes);
      (void)set.check_root_expiry();
      break;
    }
    case 3: {
      tuf::TrustedSet set = fixed_set(0);
      (void)set.update_timestamp(bytes);
      break;
    }
    case 4: {
      tuf::TrustedSet set = fixed_set(1);
      (void)set.update_snapshot(bytes);
      break;
    }
    case 5: {
      tuf::TrustedSet set = fixed_set(2);
      (void)set.update_targets(bytes);
      break;
    }
    case 7: {
      const auto nl = bytes.find('\n');
      tuf::DelegatedRole role;
      role.paths = std::vector<std::string>{std::string(bytes.substr(0, nl))};
      const std::string_view target =
          nl == std::string_view::npos ? std::string_view() : bytes.substr(nl + 1);
      (void)role.is_delegated_path(target);
      break;
    }
    default: {
      tuf::TrustedSet set = fixed_set(3);
      (void)set.update_delegated_targets(bytes, "releases", "targets");
      break;
    }
  }
  return 0;
}
