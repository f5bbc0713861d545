#include "trustctl/tuf/metadata.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "json_util.h"
#include "trustctl/canonical_json/canonical_json.h"
#include "trustctl/crypto/hash.h"

namespace trustctl::tuf {

using nlohmann::json;

std::string_view role_type_name(RoleType type) {
  switch (type) {
    case RoleType::kRoot:
      return kRoot;
    case RoleType::kTimestamp:
      return kTimestamp;
    case RoleType::kSnapshot:
      return kSnapshot;
    case RoleType::kTargets:
      return kTargets;
  }
  return "";
}

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

}  // namespace

Result<std::int64_t> parse_expires(std::string_view s) {
  auto bad = [&] {
    return Error(ErrorCode::kVerification, "expires '" + std::string(s) +
                                               "' is not an RFC 3339 time of the form "
                                               "YYYY-MM-DDTHH:MM:SSZ");
  };
  static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:ddZ";
  if (s.size() != kShape.size()) return bad();
  for (size_t i = 0; i < s.size(); ++i) {
    if (kShape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != kShape[i]) return bad();
  }
  auto num = [&](size_t pos, size_t len) {
    unsigned v = 0;
    for (size_t i = pos; i < pos + len; ++i) v = v * 10 + static_cast<unsigned>(s[i] - '0');
    return v;
  };
  const unsigned year = num(0, 4), month = num(5, 2), day = num(8, 2), hour = num(11, 2),
                 minute = num(14, 2), second = num(17, 2);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return bad();
  const std::int64_t days = days_from_civil(year, month, day);
  std::int64_t y2;
  unsigned m2, d2;
  civil_from_days(days, y2, m2, d2);
  if (y2 != year || m2 != month || d2 != day) return bad();  // e.g. February 30
  return days * 86400 + hour * 3600 + minute * 60 + second;
}

std::string format_expires(std::int64_t t) {
  std::int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
  std::int64_t secs = t - days * 86400;
  std::int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ",
                static_cast<long long>(y), m, d, static_cast<long long>(secs / 3600),
                static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60));
  return buf;
}

Result<Hashes> compute_hashes(std::string_view data, const std::vector<std::string>& algorithms) {
  Hashes out;
  for (const auto& a : algorithms) {
    if (a == "sha256") {
      out[a] = crypto::sha256_hex(data);
    } else if (a == "sha512") {
      out[a] = crypto::sha512_hex(data);
    } else {
      return Error(ErrorCode::kIntegrity, "unsupported hash algorithm '" + a + "'");
    }
  }
  return out;
}

Status verify_length_and_hashes(std::string_view data, std::optional<std::int64_t> length,
                                const Hashes& hashes, std::string_view what) {
  if (length && static_cast<std::int64_t>(data.size()) != *length)
    return Error(ErrorCode::kIntegrity, std::string(what) + ": length " +
                                            std::to_string(data.size()) + " bytes, expected " +
                                            std::to_string(*length));
  for (const auto& [algorithm, expected] : hashes) {
    auto got = compute_hashes(data, {algorithm});
    if (!got) return got.error().wrap(what);
    if (got->at(algorithm) != expected)
      return Error(ErrorCode::kIntegrity, std::string(what) + ": " + algorithm + " is " +
                                              got->at(algorithm) + ", expected " + expected);
  }
  return {};
}

// ---- pieces -------------------------------------------------------------------------------

namespace {

using detail::Fields;

Result<Keys> parse_keys(const json& j, const std::string& where) {
  if (!j.is_object()) return detail::bad(where + " must be an object");
  Keys keys;
  for (const auto& [id, key] : j.items()) {
    Fields f(key, where + "." + id);
    TRUSTCTL_TRY(f.object());
    TRUSTCTL_TRY(f.require_string("keytype"));
    TRUSTCTL_TRY(f.require_string("scheme"));
    if (!key.contains("keyval") || !key["keyval"].is_object())
      return detail::bad(where + "." + id + ".keyval must be an object");
    keys[id] = key;
  }
  return keys;
}

Result<std::vector<std::string>> parse_keyids(const json& j, const std::string& where) {
  TRUSTCTL_TRY_ASSIGN(auto ids, detail::string_array(j, where));
  std::set<std::string> seen(ids.begin(), ids.end());
  if (seen.size() != ids.size()) return detail::bad(where + " lists a key ID twice");
  return ids;
}

Result<Hashes> parse_hashes(const json& j, const std::string& where) {
  if (!j.is_object() || j.empty()) return detail::bad(where + " must be a non-empty object");
  Hashes h;
  for (const auto& [alg, value] : j.items()) {
    if (!value.is_string()) return detail::bad(where + "." + alg + " must be a string");
    h[alg] = value.get<std::string>();
  }
  return h;
}

Result<MetaFile> parse_meta_file(const json& j, const std::string& where) {
  Fields f(j, where);
  TRUSTCTL_TRY(f.object());
  MetaFile m;
  TRUSTCTL_TRY_ASSIGN(m.version, f.integer("version"));
  if (m.version < 1) return detail::bad(where + ".version must be >= 1");
  if (f.has("length")) {
    TRUSTCTL_TRY_ASSIGN(auto len, f.integer("length"));
    if (len < 0) return detail::bad(where + ".length must be >= 0");
    m.length = len;
  }
  if (f.has("hashes")) {
    TRUSTCTL_TRY_ASSIGN(m.hashes, parse_hashes(j["hashes"], where + ".hashes"));
    f.take("hashes");
  }
  m.unrecognized = f.rest();
  return m;
}

json meta_file_json(const MetaFile& m) {
  json j = m.unrecognized;
  j["version"] = m.version;
  if (m.length) j["length"] = *m.length;
  if (!m.hashes.empty()) j["hashes"] = m.hashes;
  return j;
}

Status parse_common(Fields& f, SignedCommon& c, RoleType type) {
  TRUSTCTL_TRY_ASSIGN(auto t, f.string("_type"));
  if (t != role_type_name(type))
    return detail::bad("_type is '" + t + "', expected '" + std::string(role_type_name(type)) +
                       "'");
  TRUSTCTL_TRY_ASSIGN(c.spec_version, f.string("spec_version"));
  {
    std::vector<std::string> parts;
    std::string cur;
    bool ok = true;
    for (char ch : c.spec_version + ".") {
      if (ch == '.') {
        ok = ok && !cur.empty();
        parts.push_back(cur);
        cur.clear();
      } else if (ch >= '0' && ch <= '9') {
        cur += ch;
      } else {
        ok = false;
      }
    }
    if (!ok || parts.size() < 2 || parts.size() > 3)
      return detail::bad("spec_version '" + c.spec_version + "' is not MAJOR.MINOR[.PATCH]");
    if (parts[0] != "1")
      return detail::bad("unsupported spec_version '" + c.spec_version + "' (major 1 only)");
  }
  TRUSTCTL_TRY_ASSIGN(c.version, f.integer("version"));
  if (c.version < 1) return detail::bad("version " + std::to_string(c.version) + " is below 1");
  TRUSTCTL_TRY_ASSIGN(auto expires, f.string("expires"));
  TRUSTCTL_TRY_ASSIGN(c.expires, parse_expires(expires));
  return {};
}

json common_json(const SignedCommon& c, RoleType type) {
  json j = c.unrecognized;
  j["_type"] = role_type_name(type);
  j["spec_version"] = c.spec_version;
  j["version"] = c.version;
  j["expires"] = format_expires(c.expires);
  return j;
}

Result<Role> parse_role(const json& j, const std::string& where) {
  Fields f(j, where);
  TRUSTCTL_TRY(f.object());
  Role r;
  if (!f.has("keyids")) return detail::bad(where + ".keyids is missing");
  TRUSTCTL_TRY_ASSIGN(r.keyids, parse_keyids(j["keyids"], where + ".keyids"));
  f.take("keyids");
  TRUSTCTL_TRY_ASSIGN(r.threshold, f.integer("threshold"));
  if (r.threshold < 1) return detail::bad(where + ".threshold must be >= 1");
  r.unrecognized = f.rest();
  return r;
}

bool match_bracket(std::string_view pattern, size_t& pi, char c, bool& matched) {
  // pattern[pi] == '['; on success pi points past ']'.
  size_t i = pi + 1;
  bool negate = false;
  if (i < pattern.size() && (pattern[i] == '!' || pattern[i] == '^')) negate = true, ++i;
  bool any = false;
  bool first = true;
  while (i < pattern.size() && (first || pattern[i] != ']')) {
    first = false;
    char lo = pattern[i];
    char hi = lo;
    if (i + 2 < pattern.size() && pattern[i + 1] == '-' && pattern[i + 2] != ']') {
      hi = pattern[i + 2];
      i += 3;
    } else {
      ++i;
    }
    if (lo <= c && c <= hi) any = true;
  }
  if (i >= pattern.size()) return false;  // no closing bracket: '[' is literal
  pi = i + 1;
  matched = any != negate;
  return true;
}

// Iterative wildcard matching that backtracks only to the last '*': every other token matches
// exactly one character, so this is complete, and it takes O(|name| * |pattern|) time whatever
// the pattern (recursing into every '*' is exponential, and delegated signers write patterns).
bool match_wildcards(std::string_view name, std::string_view pattern) {
  size_t ni = 0, pi = 0;
  size_t star_pi = std::string_view::npos, star_ni = 0;
  while (ni < name.size()) {
    if (pi < pattern.size()) {
      const char p = pattern[pi];
      if (p == '*') {
        star_pi = ++pi;
        star_ni = ni;
        continue;
      }
      if (p == '?') {
        ++pi, ++ni;
        continue;
      }
      size_t next = pi;
      bool matched = false;
      if (p == '[' && match_bracket(pattern, next, name[ni], matched)) {
        if (matched) {
          pi = next, ++ni;
          continue;
        }
      } else if (p == name[ni]) {
        ++pi, ++ni;
        continue;
      }
    }
    if (star_pi == std::string_view::npos) return false;
    pi = star_pi;  // let the last '*' swallow one more character
    ni = ++star_ni;
  }
  while (pi < pattern.size() && pattern[pi] == '*') ++pi;
  return pi == pattern.size();
}

std::vector<std::string_view> split_slash(std::string_view s) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (;;) {
    size_t pos = s.find('/', start);
    if (pos == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

}  // namespace

bool match_path_part(std::string_view name, std::string_view pattern) {
  return match_wildcards(name, pattern);
}

bool DelegatedRole::is_delegated_path(std::string_view target_path) const {
  if (paths) {
    auto target_parts = split_slash(target_path);
    for (const auto& pattern : *paths) {
      auto pattern_parts = split_slash(pattern);
      if (pattern_parts.size() != target_parts.size()) continue;
      bool all = true;
      for (size_t i = 0; i < target_parts.size() && all; ++i)
        all = match_path_part(target_parts[i], pattern_parts[i]);
      if (all) return true;
    }
    return false;
  }
  if (path_hash_prefixes) {
    const std::string hash = crypto::sha256_hex(target_path);
    for (const auto& prefix : *path_hash_prefixes)
      if (hash.compare(0, prefix.size(), prefix) == 0) return true;
  }
  return false;
}

const DelegatedRole* Delegations::find(std::string_view name) const {
  for (const auto& r : roles)
    if (r.name == name) return &r;
  return nullptr;
}

MetaFile MetaFile::of(std::int64_t version) {
  MetaFile m;
  m.version = version;
  return m;
}

MetaFile MetaFile::of(std::int64_t version, std::string_view bytes) {
  MetaFile m;
  m.version = version;
  m.length = static_cast<std::int64_t>(bytes.size());
  m.hashes["sha256"] = crypto::sha256_hex(bytes);
  return m;
}

TargetFile TargetFile::of(std::string_view bytes, std::optional<json> custom) {
  TargetFile t;
  t.length = static_cast<std::int64_t>(bytes.size());
  t.hashes["sha256"] = crypto::sha256_hex(bytes);
  t.custom = std::move(custom);
  return t;
}

Status TargetFile::verify(std::string_view bytes, std::string_view name) const {
  return verify_length_and_hashes(bytes, length, hashes, "target '" + std::string(name) + "'");
}

// ---- Root ---------------------------------------------------------------------------------

void Root::add_key(const std::string& role, const crypto::PublicKey& key) {
  const std::string id = key.key_id();
  keys[id] = key.to_tuf_json();
  auto& ids = roles[role].keyids;
  if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
}

void Root::remove_key(const std::string& role, const std::string& keyid) {
  auto& ids = roles[role].keyids;
  ids.erase(std::remove(ids.begin(), ids.end(), keyid), ids.end());
  for (const auto& [name, r] : roles)
    if (std::find(r.keyids.begin(), r.keyids.end(), keyid) != r.keyids.end()) return;
  keys.erase(keyid);
}

Result<Root> Root::from_json(const json& j) {
  Fields f(j, "root");
  TRUSTCTL_TRY(f.object());
  Root r;
  TRUSTCTL_TRY(parse_common(f, r, kType));
  if (f.has("consistent_snapshot")) {
    TRUSTCTL_TRY_ASSIGN(auto cs, f.boolean("consistent_snapshot"));
    r.consistent_snapshot = cs;
  }
  if (!f.has("keys")) return detail::bad("root.keys is missing");
  TRUSTCTL_TRY_ASSIGN(r.keys, parse_keys(j["keys"], "root.keys"));
  f.take("keys");
  if (!f.has("roles") || !j["roles"].is_object())
    return detail::bad("root.roles must be an object");
  for (const auto& [name, role] : j["roles"].items()) {
    TRUSTCTL_TRY_ASSIGN(r.roles[name], parse_role(role, "root.roles." + name));
  }
  f.take("roles");
  std::set<std::string> names;
  for (const auto& [name, role] : r.roles) names.insert(name);
  if (names != std::set<std::string>{"root", "timestamp", "snapshot", "targets"})
    return detail::bad("root.roles must be exactly root, timestamp, snapshot and targets");
  r.unrecognized = f.rest();
  return r;
}

json Root::to_json() const {
  json j = common_json(*this, kType);
  if (consistent_snapshot) j["consistent_snapshot"] = *consistent_snapshot;
  j["keys"] = json::object();
  for (const auto& [id, k] : keys) j["keys"][id] = k;
  j["roles"] = json::object();
  for (const auto& [name, role] : roles) {
    json rj = role.unrecognized;
    rj["keyids"] = role.keyids;
    rj["threshold"] = role.threshold;
    j["roles"][name] = rj;
  }
  return j;
}

// ---- Timestamp / Snapshot -------------------------------------------------------------------

Result<Timestamp> Timestamp::from_json(const json& j) {
  Fields f(j, "timestamp");
  TRUSTCTL_TRY(f.object());
  Timestamp t;
  TRUSTCTL_TRY(parse_common(f, t, kType));
  if (!f.has("meta") || !j["meta"].is_object() || j["meta"].size() != 1 ||
      !j["meta"].contains("snapshot.json"))
    return detail::bad("timestamp.meta must list exactly snapshot.json");
  TRUSTCTL_TRY_ASSIGN(t.snapshot_meta,
                      parse_meta_file(j["meta"]["snapshot.json"], "timestamp.meta"));
  f.take("meta");
  t.unrecognized = f.rest();
  return t;
}

json Timestamp::to_json() const {
  json j = common_json(*this, kType);
  j["meta"] = {{"snapshot.json", meta_file_json(snapshot_meta)}};
  return j;
}

Result<Snapshot> Snapshot::from_json(const json& j) {
  Fields f(j, "snapshot");
  TRUSTCTL_TRY(f.object());
  Snapshot s;
  TRUSTCTL_TRY(parse_common(f, s, kType));
  if (!f.has("meta") || !j["meta"].is_object()) return detail::bad("snapshot.meta is missing");
  for (const auto& [name, m] : j["meta"].items()) {
    TRUSTCTL_TRY_ASSIGN(s.meta[name], parse_meta_file(m, "snapshot.meta." + name));
  }
  f.take("meta");
  s.unrecognized = f.rest();
  return s;
}

json Snapshot::to_json() const {
  json j = common_json(*this, kType);
  j["meta"] = json::object();
  for (const auto& [name, m] : meta) j["meta"][name] = meta_file_json(m);
  return j;
}

// ---- Targets ------------------------------------------------------------------------------

void Targets::add_delegation(DelegatedRole role, const std::vector<crypto::PublicKey>& keys) {
  if (!delegations) delegations.emplace();
  for (const auto& k : keys) {
    const std::string id = k.key_id();
    delegations->keys[id] = k.to_tuf_json();
    if (std::find(role.keyids.begin(), role.keyids.end(), id) == role.keyids.end())
      role.keyids.push_back(id);
  }
  for (auto& r : delegations->roles) {
    if (r.name == role.name) {
      r = std::move(role);
      return;
    }
  }
  delegations->roles.push_back(std::move(role));
}

namespace {

Result<TargetFile> parse_target_file(const json& j, const std::string& where) {
  Fields f(j, where);
  TRUSTCTL_TRY(f.object());
  TargetFile t;
  TRUSTCTL_TRY_ASSIGN(t.length, f.integer("length"));
  if (t.length < 0) return detail::bad(where + ".length must be >= 0");
  if (!f.has("hashes")) return detail::bad(where + ".hashes is missing");
  TRUSTCTL_TRY_ASSIGN(t.hashes, parse_hashes(j["hashes"], where + ".hashes"));
  f.take("hashes");
  if (f.has("custom")) {
    t.custom = j["custom"];
    f.take("custom");
  }
  t.unrecognized = f.rest();
  return t;
}

Result<Delegations> parse_delegations(const json& j) {
  Fields f(j, "delegations");
  TRUSTCTL_TRY(f.object());
  Delegations d;
  if (!f.has("keys")) return detail::bad("delegations.keys is missing");
  TRUSTCTL_TRY_ASSIGN(d.keys, parse_keys(j["keys"], "delegations.keys"));
  f.take("keys");
  if (!f.has("roles") || !j["roles"].is_array())
    return detail::bad("delegations.roles must be an array");
  std::set<std::string> names;
  for (const auto& rj : j["roles"]) {
    Fields rf(rj, "delegations.roles[]");
    TRUSTCTL_TRY(rf.object());
    DelegatedRole r;
    TRUSTCTL_TRY_ASSIGN(r.name, rf.string("name"));
    const std::string where = "delegated role '" + r.name + "'";
    if (!names.insert(r.name).second) return detail::bad(where + " is listed twice");
    if (r.name == "root" || r.name == "timestamp" || r.name == "snapshot" || r.name == "targets")
      return detail::bad(where + " has the name of a top-level role");
    if (!rf.has("keyids")) return detail::bad(where + ": keyids is missing");
    TRUSTCTL_TRY_ASSIGN(r.keyids, parse_keyids(rj["keyids"], where + " keyids"));
    rf.take("keyids");
    TRUSTCTL_TRY_ASSIGN(r.threshold, rf.integer("threshold"));
    if (r.threshold < 1) return detail::bad(where + ": threshold must be >= 1");
    TRUSTCTL_TRY_ASSIGN(r.terminating, rf.boolean("terminating"));
    if (rf.has("paths")) {
      TRUSTCTL_TRY_ASSIGN(r.paths, detail::string_array(rj["paths"], where + " paths"));
      rf.take("paths");
    }
    if (rf.has("path_hash_prefixes")) {
      TRUSTCTL_TRY_ASSIGN(
          r.path_hash_prefixes,
          detail::string_array(rj["path_hash_prefixes"], where + " path_hash_prefixes"));
      rf.take("path_hash_prefixes");
    }
    if (r.paths.has_value() == r.path_hash_prefixes.has_value())
      return detail::bad(where + " must have exactly one of paths and path_hash_prefixes");
    r.unrecognized = rf.rest();
    d.roles.push_back(std::move(r));
  }
  f.take("roles");
  d.unrecognized = f.rest();
  return d;
}

json delegations_json(const Delegations& d) {
  json j = d.unrecognized;
  j["keys"] = json::object();
  for (const auto& [id, k] : d.keys) j["keys"][id] = k;
  j["roles"] = json::array();
  for (const auto& r : d.roles) {
    json rj = r.unrecognized;
    rj["name"] = r.name;
    rj["keyids"] = r.keyids;
    rj["threshold"] = r.threshold;
    rj["terminating"] = r.terminating;
    if (r.paths) rj["paths"] = *r.paths;
    if (r.path_hash_prefixes) rj["path_hash_prefixes"] = *r.path_hash_prefixes;
    j["roles"].push_back(rj);
  }
  return j;
}

}  // namespace

Result<Targets> Targets::from_json(const json& j) {
  Fields f(j, "targets");
  TRUSTCTL_TRY(f.object());
  Targets t;
  TRUSTCTL_TRY(parse_common(f, t, kType));
  if (!f.has("targets") || !j["targets"].is_object())
    return detail::bad("targets.targets must be an object");
  for (const auto& [name, tj] : j["targets"].items()) {
    TRUSTCTL_TRY_ASSIGN(t.targets[name], parse_target_file(tj, "target '" + name + "'"));
  }
  f.take("targets");
  if (f.has("delegations")) {
    TRUSTCTL_TRY_ASSIGN(t.delegations, parse_delegations(j["delegations"]));
    f.take("delegations");
  }
  t.unrecognized = f.rest();
  return t;
}

json Targets::to_json() const {
  json j = common_json(*this, kType);
  j["targets"] = json::object();
  for (const auto& [name, t] : targets) {
    json tj = t.unrecognized;
    tj["length"] = t.length;
    tj["hashes"] = t.hashes;
    if (t.custom) tj["custom"] = *t.custom;
    j["targets"][name] = tj;
  }
  if (delegations) j["delegations"] = delegations_json(*delegations);
  return j;
}

// ---- signatures ----------------------------------------------------------------------------

Status check_key_ids(const Keys& keys, std::string_view where) {
  for (const auto& [id, key] : keys) {
    auto computed = crypto::key_id_of(key);
    if (!computed || *computed != id)
      return Error(ErrorCode::kVerification, std::string(where) + " lists a key under the ID " +
                                                 id + ", but that key's ID is " +
                                                 (computed ? *computed : "not computable") +
                                                 " (a key listed under another key's ID)");
  }
  return {};
}

std::int64_t count_valid_signatures(const Keys& keys, const std::vector<std::string>& role_keyids,
                                    const std::vector<Signature>& signatures,
                                    std::string_view message) {
  std::set<std::string> seen_ids;
  std::set<std::string> counted_keys;  // SPKI DER of keys already counted
  std::int64_t valid = 0;
  for (const auto& id : role_keyids) {
    if (!seen_ids.insert(id).second) continue;
    auto key_it = keys.find(id);
    if (key_it == keys.end()) continue;
    auto sig_it = std::find_if(signatures.begin(), signatures.end(),
                               [&](const Signature& s) { return s.keyid == id; });
    if (sig_it == signatures.end()) continue;
    auto key = crypto::PublicKey::from_tuf_json(key_it->second);
    if (!key) continue;
    auto raw = detail::hex_decode(sig_it->sig);
    if (!raw) continue;
    if (!key->verify(message, *raw, crypto::EcdsaEncoding::kDer)) continue;
    if (!counted_keys.insert(key->spki_der()).second) continue;
    ++valid;
  }
  return valid;
}

// ---- the envelope -------------------------------------------------------------------------

template <typename T>
Result<Metadata<T>> Metadata<T>::from_bytes(std::string_view bytes) {
  const std::string what(role_type_name(T::kType));
  auto parsed = canonical_json::parse(bytes);
  if (!parsed) return parsed.error().wrap(what + " metadata");
  const json& j = *parsed;
  Fields f(j, what);
  if (auto s = f.object(); !s) return s.error().wrap(what + " metadata");
  Metadata<T> m;
  if (!j.contains("signed") || !j["signed"].is_object())
    return detail::bad(what + " metadata: \"signed\" must be an object");
  if (!j.contains("signatures") || !j["signatures"].is_array())
    return detail::bad(what + " metadata: \"signatures\" must be an array");
  auto typed = T::from_json(j["signed"]);
  if (!typed) return typed.error().wrap(what + " metadata");
  m.signed_ = std::move(typed).value();
  std::set<std::string> ids;
  for (const auto& sj : j["signatures"]) {
    Fields sf(sj, what + " signature");
    TRUSTCTL_TRY(sf.object());
    Signature s;
    TRUSTCTL_TRY_ASSIGN(s.keyid, sf.string("keyid"));
    TRUSTCTL_TRY_ASSIGN(s.sig, sf.string("sig"));
    if (!ids.insert(s.keyid).second)
      return detail::bad(what + " metadata: two signatures by key ID " + s.keyid);
    m.signatures_.push_back(std::move(s));
  }
  f.take("signed");
  f.take("signatures");
  m.unrecognized_ = f.rest();
  auto sb = canonical_json::encode(j["signed"]);
  if (!sb) return detail::bad(what + " metadata: " + sb.error().message());
  m.signed_bytes_ = std::move(sb).value();
  m.original_signed_ = j["signed"];
  return m;
}

template <typename T>
Result<std::string> Metadata<T>::signed_bytes() const {
  if (signed_bytes_) return *signed_bytes_;
  return canonical_json::encode(signed_.to_json());
}

template <typename T>
Result<std::string> Metadata<T>::to_bytes() const {
  json j = unrecognized_;
  // Received metadata: the "signed" object goes back exactly as it was signed.
  j["signed"] = original_signed_ ? *original_signed_ : signed_.to_json();
  j["signatures"] = json::array();
  for (const auto& s : signatures_) j["signatures"].push_back({{"keyid", s.keyid}, {"sig", s.sig}});
  try {
    return j.dump();
  } catch (const json::exception& e) {
    return Error(ErrorCode::kUsage, std::string("metadata cannot be serialised: ") + e.what());
  }
}

template <typename T>
Status Metadata<T>::sign(const crypto::PrivateKey& key) {
  TRUSTCTL_TRY_ASSIGN(auto message, signed_bytes());
  TRUSTCTL_TRY_ASSIGN(auto raw, key.sign(message, crypto::EcdsaEncoding::kDer));
  Signature s{key.public_key().key_id(), crypto::hex_encode(raw)};
  for (auto& existing : signatures_) {
    if (existing.keyid == s.keyid) {
      existing = std::move(s);
      return {};
    }
  }
  signatures_.push_back(std::move(s));
  return {};
}

template class Metadata<Root>;
template class Metadata<Timestamp>;
template class Metadata<Snapshot>;
template class Metadata<Targets>;

}  // namespace trustctl::tuf
