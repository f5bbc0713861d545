#include "trustctl/trust/verified_cache.h"

#include <charconv>
#include <nlohmann/json.hpp>

#include "trustctl/core/fs.h"
#include "trustctl/core/log.h"
#include "trustctl/core/untrusted_json.h"
#include "trustctl/crypto/hash.h"
#include "trustctl/trust/store_view.h"

namespace trustctl::trust {
namespace {

using nlohmann::json;

constexpr int kFormat = 1;
constexpr std::uint64_t kMaxCacheBytes = std::uint64_t{256} << 20;

// One line per tag: tag, digest, length, media type, signers (comma-separated), tab-separated.
// A value that would break the line is not cached (the whole view is then not cached).
bool line_safe(std::string_view s, bool in_list) {
  for (char c : s)
    if (c == '\t' || c == '\n' || c == '\r' || (in_list && c == ',')) return false;
  return true;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    auto at = s.find(sep);
    out.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return out;
    s.remove_prefix(at + 1);
  }
}

json role_json(const std::string& name, const std::vector<std::string>& keyids,
               std::int64_t threshold, std::int64_t version, std::int64_t expires) {
  return {{"name", name},
          {"keyids", keyids},
          {"threshold", threshold},
          {"version", version},
          {"expires", expires}};
}

template <typename Info>
Info role_from(const json& j) {
  Info info;
  info.name = j.at("name").get<std::string>();
  info.keyids = j.at("keyids").get<std::vector<std::string>>();
  info.threshold = j.at("threshold").get<std::int64_t>();
  info.version = j.at("version").get<std::int64_t>();
  info.expires = j.at("expires").get<std::int64_t>();
  return info;
}

// The earliest expiry of what the view trusts.
std::int64_t earliest_expiry(const TrustedView& view) {
  std::int64_t earliest = INT64_MAX;
  for (const auto& r : view.roles) earliest = std::min(earliest, r.expires);
  for (const auto& s : view.signers)
    if (s.version > 0) earliest = std::min(earliest, s.expires);
  return earliest;
}

// What ties a cache entry to the trust dir's trusted state: the digest of the saved root and
// timestamp (every verification that changes what is trusted rewrites the timestamp; a
// rotation rewrites the root; forgetting removes both).
std::optional<std::string> metadata_digest(const std::string& metadata_dir) {
  std::string material;
  for (const char* name : {"root.json", "timestamp.json"}) {
    auto bytes = fs::read_file(metadata_dir + "/" + name);
    if (!bytes) return std::nullopt;
    material += crypto::sha256_hex(*bytes) + "\n";
  }
  return crypto::sha256_hex(material);
}

}  // namespace

std::optional<std::string> verified_cache_text(const VerifiedKey& key, const TrustedView& view) {
  if (!view.warnings.empty() || !view.tag_errors.empty() || !view.signer_errors.empty() ||
      !view.pending.empty())
    return std::nullopt;
  json roles = json::array(), signers = json::array(), checks = json::array();
  for (const auto& r : view.roles)
    roles.push_back(role_json(r.name, r.keyids, r.threshold, r.version, r.expires));
  for (const auto& s : view.signers) {
    if (!s.error.empty()) return std::nullopt;
    signers.push_back(role_json(s.name, s.keyids, s.threshold, s.version, s.expires));
  }
  for (const auto& c : view.checks)
    checks.push_back({{"name", c.name}, {"passed", c.passed}, {"detail", c.detail}});
  json header = {{"format", kFormat},
                 {"head", key.head},
                 {"metadata", key.metadata_digest},
                 {"alias", key.repository_alias},
                 {"origin", root_origin_name(key.origin)},
                 {"roles", roles},
                 {"signers", signers},
                 {"checks", checks},
                 {"tags", view.tags.size()}};
  std::string out = header.dump() + "\n";
  out.reserve(out.size() + view.tags.size() * 128);
  for (const auto& t : view.tags) {
    if (!line_safe(t.tag, false) || !line_safe(t.digest, false) || !line_safe(t.media_type, false))
      return std::nullopt;
    out += t.tag + '\t' + t.digest + '\t' + std::to_string(t.length) + '\t' + t.media_type + '\t';
    for (size_t i = 0; i < t.signers.size(); ++i) {
      if (!line_safe(t.signers[i], true) || t.signers[i].empty()) return std::nullopt;
      out += (i ? "," : "") + t.signers[i];
    }
    out += '\n';
  }
  return out;
}

std::optional<TrustedView> read_verified_cache(std::string_view text, const VerifiedKey& key) {
  const auto eol = text.find('\n');
  if (eol == std::string_view::npos) return std::nullopt;
  auto parsed =
      parse_untrusted_json(text.substr(0, eol), "the verified-state cache", ErrorCode::kIo);
  if (!parsed) return std::nullopt;
  try {
    const json& h = *parsed;
    if (h.at("format").get<int>() != kFormat || h.at("head").get<std::string>() != key.head ||
        h.at("metadata").get<std::string>() != key.metadata_digest ||
        h.at("alias").get<std::string>() != key.repository_alias ||
        h.at("origin").get<std::string>() != root_origin_name(key.origin))
      return std::nullopt;
    TrustedView view;
    view.origin = key.origin;
    for (const auto& r : h.at("roles")) view.roles.push_back(role_from<RoleInfo>(r));
    for (const auto& s : h.at("signers")) view.signers.push_back(role_from<SignerInfo>(s));
    for (const auto& c : h.at("checks"))
      view.checks.push_back({c.at("name").get<std::string>(), c.at("passed").get<bool>(),
                             c.at("detail").get<std::string>()});
    const auto count = h.at("tags").get<std::size_t>();
    view.tags.reserve(count);
    std::string_view rest = text.substr(eol + 1);
    while (!rest.empty()) {
      const auto end = rest.find('\n');
      if (end == std::string_view::npos) return std::nullopt;  // a cut-off file
      auto fields = split(rest.substr(0, end), '\t');
      rest.remove_prefix(end + 1);
      if (fields.size() != 5) return std::nullopt;
      SignedTag t;
      t.tag = fields[0];
      t.digest = fields[1];
      const auto* end_of_length = fields[2].data() + fields[2].size();
      if (std::from_chars(fields[2].data(), end_of_length, t.length).ptr != end_of_length ||
          fields[2].empty() || t.length < 0)
        return std::nullopt;
      t.media_type = fields[3];
      for (auto s : split(fields[4], ',')) t.signers.emplace_back(s);
      view.tags.push_back(std::move(t));
    }
    if (view.tags.size() != count) return std::nullopt;
    return view;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

Result<TrustedView> current_view(const Verifier& verifier, truststore::TrustStore& store) {
  const TrustDir& dir = verifier.dir();
  const registry::Reference& ref = verifier.repository();
  TRUSTCTL_TRY_ASSIGN(auto head, store.head());
  auto key_for = [&](const std::string& digest) -> std::optional<VerifiedKey> {
    auto metadata = dir.metadata_dir(ref);
    if (!metadata) return std::nullopt;
    auto md = metadata_digest(*metadata);
    if (!md) return std::nullopt;
    return VerifiedKey{digest, *md, verifier.options().repository_alias, dir.root_origin(ref)};
  };
  auto file = head ? dir.verified_cache_file(ref) : Result<std::string>(std::string());
  if (head && file) {
    if (auto key = key_for(*head)) {
      if (auto text = fs::read_regular_file(*file, kMaxCacheBytes)) {
        if (auto view = read_verified_cache(*text, *key)) {
          if (earliest_expiry(*view) - verifier.now() >= verifier.options().expiry_warning) {
            log::debug("trust data of " + ref.name() + " unchanged since it was verified (" +
                       *head + "): using " + *file);
            return std::move(*view);
          }
        }
      }
    }
  }
  // A full verification, from the head just read (not a second HEAD).
  std::optional<truststore::StoreState> state;
  if (head) {
    TRUSTCTL_TRY_ASSIGN(state, store.read(*head));
  }
  Result<StoreView> verified = state ? verify_state(verifier, store, std::move(*state))
                                     : verify_store(verifier, store);  // the "no data" errors
  if (!verified) return verified.error();
  if (file && !file->empty()) {
    auto key = key_for(verified->state.manifest_digest);
    auto text = key ? verified_cache_text(*key, verified->view()) : std::nullopt;
    if (text) {
      if (auto st = fs::write_file_atomic(*file, *text, 0600); !st)
        log::debug("cannot write " + *file + ": " + st.error().message());
    } else {
      std::remove(file->c_str());  // a stale entry must not outlive what it described
    }
  }
  return std::move(verified->verified.view);
}

}  // namespace trustctl::trust
