// The TUF metadata model (spec 1.0.x): Root, Timestamp, Snapshot, Targets (with delegations)
// and the signed envelope Metadata<T>. No I/O: bytes in, bytes out (docs/tuf-verifier.md).
//
// Unknown fields are kept (each object's `unrecognized` map) and written back by to_bytes(), so
// re-serialising metadata written by another implementation keeps its signatures valid.
// Signatures are always checked over the canonical JSON of the parsed "signed" object as it was
// received (signed_bytes()), never over the typed model re-encoded.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trustctl/core/result.h"
#include "trustctl/crypto/keys.h"

namespace trustctl::tuf {

enum class RoleType { kRoot, kTimestamp, kSnapshot, kTargets };

inline constexpr std::string_view kRoot = "root";
inline constexpr std::string_view kTimestamp = "timestamp";
inline constexpr std::string_view kSnapshot = "snapshot";
inline constexpr std::string_view kTargets = "targets";
inline constexpr std::string_view kSpecVersion = "1.0.31";

// RFC 3339 "YYYY-MM-DDTHH:MM:SSZ" <-> unix seconds (kVerification on anything else).
Result<std::int64_t> parse_expires(std::string_view text);
std::string format_expires(std::int64_t unix_seconds);

// Hashes of a file as listed in metadata: algorithm -> lowercase hex.
using Hashes = std::map<std::string, std::string>;
// Computes the listed hashes; sha256 and sha512 are supported.
Result<Hashes> compute_hashes(std::string_view data, const std::vector<std::string>& algorithms);
// kIntegrity unless `data` has `length` (when set) and every hash in `hashes`; `what` names the
// file in the message. An unsupported algorithm is a mismatch (as python-tuf).
Status verify_length_and_hashes(std::string_view data, std::optional<std::int64_t> length,
                                const Hashes& hashes, std::string_view what);

// A role's key IDs and threshold, as root lists them.
struct Role {
  std::vector<std::string> keyids;
  std::int64_t threshold = 1;
  nlohmann::json unrecognized = nlohmann::json::object();
};

// Key objects by key ID, kept as JSON and loaded when a signature is checked (an unsupported key
// type then simply does not count towards a threshold).
using Keys = std::map<std::string, nlohmann::json>;

// What a key ID says about its key. The TUF specification treats key IDs as names (kOpaque):
// existing repositories list keys under IDs computed in other ways (sigstore's root, tuf-on-ci).
// trustctl's own trust data uses kComputed: every key ID must be the sha256 of the canonical
// JSON of the key object listed under it, so a key ID that is shown, pinned or counted always
// stands for exactly one key (docs/security-model.md).
enum class KeyIds { kOpaque, kComputed };

// kVerification naming `where` and the first key whose ID is not the sha256 of its key object.
Status check_key_ids(const Keys& keys, std::string_view where);

// Fields every signed payload has.
struct SignedCommon {
  std::string spec_version{kSpecVersion};
  std::int64_t version = 1;
  std::int64_t expires = 0;  // unix seconds
  nlohmann::json unrecognized = nlohmann::json::object();

  bool is_expired(std::int64_t now) const { return now >= expires; }
};

struct Root : SignedCommon {
  static constexpr RoleType kType = RoleType::kRoot;
  std::optional<bool> consistent_snapshot;  // absent is false
  Keys keys;
  std::map<std::string, Role> roles;  // root, timestamp, snapshot, targets

  bool consistent() const { return consistent_snapshot.value_or(false); }
  // Adds `key` to `keys` and to role `role` (no duplicate key IDs).
  void add_key(const std::string& role, const crypto::PublicKey& key);
  void remove_key(const std::string& role, const std::string& keyid);

  static Result<Root> from_json(const nlohmann::json& j);
  nlohmann::json to_json() const;
};

// A file referenced from timestamp or snapshot.
struct MetaFile {
  std::int64_t version = 1;
  std::optional<std::int64_t> length;
  Hashes hashes;  // empty: not listed
  nlohmann::json unrecognized = nlohmann::json::object();

  // Version only, or version + length + sha256 of `bytes`.
  static MetaFile of(std::int64_t version);
  static MetaFile of(std::int64_t version, std::string_view bytes);
};

struct Timestamp : SignedCommon {
  static constexpr RoleType kType = RoleType::kTimestamp;
  MetaFile snapshot_meta;  // meta["snapshot.json"]

  static Result<Timestamp> from_json(const nlohmann::json& j);
  nlohmann::json to_json() const;
};

struct Snapshot : SignedCommon {
  static constexpr RoleType kType = RoleType::kSnapshot;
  std::map<std::string, MetaFile> meta;  // "targets.json", "<role>.json"

  static Result<Snapshot> from_json(const nlohmann::json& j);
  nlohmann::json to_json() const;
};

struct TargetFile {
  std::int64_t length = 0;
  Hashes hashes;
  std::optional<nlohmann::json> custom;
  nlohmann::json unrecognized = nlohmann::json::object();

  // length and sha256 of `bytes`.
  static TargetFile of(std::string_view bytes, std::optional<nlohmann::json> custom = {});
  Status verify(std::string_view bytes, std::string_view name) const;
};

struct DelegatedRole {
  std::string name;
  std::vector<std::string> keyids;
  std::int64_t threshold = 1;
  bool terminating = false;
  std::optional<std::vector<std::string>> paths;
  std::optional<std::vector<std::string>> path_hash_prefixes;
  nlohmann::json unrecognized = nlohmann::json::object();

  // Whether this role is trusted for `target_path`: a `paths` pattern matches (shell-style
  // wildcards * ? [..] per "/"-separated part, same number of parts, as python-tuf) or a
  // path_hash_prefix is a prefix of sha256-hex(target_path).
  bool is_delegated_path(std::string_view target_path) const;
};

struct Delegations {
  Keys keys;
  std::vector<DelegatedRole> roles;  // in priority order
  nlohmann::json unrecognized = nlohmann::json::object();

  const DelegatedRole* find(std::string_view name) const;
};

struct Targets : SignedCommon {
  static constexpr RoleType kType = RoleType::kTargets;
  std::map<std::string, TargetFile> targets;
  std::optional<Delegations> delegations;

  // Adds a delegated role with its keys (creating `delegations` when needed).
  void add_delegation(DelegatedRole role, const std::vector<crypto::PublicKey>& keys);

  static Result<Targets> from_json(const nlohmann::json& j);
  nlohmann::json to_json() const;
};

// fnmatch-style matching of one path part: * and ? (never "/"), [abc], [a-z], [!a].
bool match_path_part(std::string_view name, std::string_view pattern);

struct Signature {
  std::string keyid;
  std::string sig;  // hex
};

// The signed envelope {"signatures":[...],"signed":{...}}.
template <typename T>
class Metadata {
 public:
  Metadata() = default;
  explicit Metadata(T signed_part) : signed_(std::move(signed_part)) {}

  // Strict parse (canonical_json::parse), `_type` check, spec_version major 1, version >= 1,
  // expires in RFC 3339 "Z" form, no two signatures by one key ID. kVerification otherwise.
  static Result<Metadata<T>> from_bytes(std::string_view bytes);
  // Standard TUF JSON (sorted keys, no whitespace, control characters escaped), unknown fields
  // included; "signed" exactly as received unless changed here.
  Result<std::string> to_bytes() const;

  const T& signed_part() const { return signed_; }
  // Mutable access; invalidates the cached signed bytes, so sign again after changing.
  T& mutate() {
    signed_bytes_.reset();
    original_signed_.reset();
    return signed_;
  }
  const std::vector<Signature>& signatures() const { return signatures_; }
  std::vector<Signature>& mutable_signatures() { return signatures_; }

  // The bytes signatures cover: the canonical JSON of "signed" as received, or of the typed
  // model when it was built or changed here.
  Result<std::string> signed_bytes() const;

  // Signs the canonical bytes of "signed" with `key`; replaces an existing signature by the
  // same key ID, appends otherwise.
  Status sign(const crypto::PrivateKey& key);

  // Checks that `delegate` is signed by at least `threshold` distinct keys authorised for
  // `role` here (T must be Root or Targets). One public key listed under two key IDs counts
  // once. kVerification naming the role, the count and the threshold otherwise.
  template <typename U>
  Status verify_delegate(std::string_view role, const Metadata<U>& delegate) const;

 private:
  T signed_{};
  std::vector<Signature> signatures_;
  nlohmann::json unrecognized_ = nlohmann::json::object();
  std::optional<std::string> signed_bytes_;
  std::optional<nlohmann::json> original_signed_;  // "signed" as received
};

// Verifies signatures over `message` by the keys of `role_keyids` in `keys` (distinct public
// keys only) and returns how many verified. Used by Metadata::verify_delegate.
std::int64_t count_valid_signatures(const Keys& keys, const std::vector<std::string>& role_keyids,
                                    const std::vector<Signature>& signatures,
                                    std::string_view message);

// The role name for messages: "root", "targets", "delegated role 'x'".
std::string_view role_type_name(RoleType type);

template <typename T>
template <typename U>
Status Metadata<T>::verify_delegate(std::string_view role, const Metadata<U>& delegate) const {
  static_assert(std::is_same_v<T, Root> || std::is_same_v<T, Targets>,
                "only root and targets delegate");
  const std::vector<std::string>* keyids = nullptr;
  std::int64_t threshold = 0;
  const Keys* keys = nullptr;
  if constexpr (std::is_same_v<T, Root>) {
    auto it = signed_.roles.find(std::string(role));
    if (it != signed_.roles.end()) {
      keyids = &it->second.keyids;
      threshold = it->second.threshold;
    }
    keys = &signed_.keys;
  } else {
    if (signed_.delegations) {
      if (const auto* r = signed_.delegations->find(role)) {
        keyids = &r->keyids;
        threshold = r->threshold;
      }
      keys = &signed_.delegations->keys;
    }
  }
  if (keyids == nullptr || keys == nullptr)
    return Error(ErrorCode::kVerification, "role '" + std::string(role) + "' is not delegated");
  if (threshold < 1)
    return Error(ErrorCode::kVerification,
                 "role '" + std::string(role) + "' has an invalid threshold");
  TRUSTCTL_TRY_ASSIGN(auto message, delegate.signed_bytes());
  std::int64_t valid = count_valid_signatures(*keys, *keyids, delegate.signatures(), message);
  if (valid < threshold)
    return Error(ErrorCode::kVerification,
                 "role '" + std::string(role) + "': " + std::to_string(valid) +
                     " valid signature(s) by distinct authorised keys, threshold is " +
                     std::to_string(threshold));
  return {};
}

extern template class Metadata<Root>;
extern template class Metadata<Timestamp>;
extern template class Metadata<Snapshot>;
extern template class Metadata<Targets>;

}  // namespace trustctl::tuf
