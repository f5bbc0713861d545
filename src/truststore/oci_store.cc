#include "trustctl/truststore/oci_store.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "trustctl/core/fs.h"
#include "trustctl/core/log.h"
#include "trustctl/registry/digest.h"
#include "trustctl/registry/manifest.h"

namespace trustctl::truststore {
namespace {

using nlohmann::json;

constexpr std::string_view kEmptyConfig = "{}";
constexpr std::uint64_t kMaxManifestBytes = 4 * 1024 * 1024;

bool safe_file_name(std::string_view name) {
  if (name.empty() || name.size() > 255 || name.front() == '.') return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == '%';
    if (!ok) return false;
  }
  return name.size() > 5 && name.substr(name.size() - 5) == ".json";
}

Error not_trust_manifest(const std::string& why) {
  return Error(ErrorCode::kVerification, "the trust manifest is malformed: " + why);
}

}  // namespace

std::string BlobCache::path_for(const std::string& digest) const {
  auto colon = digest.find(':');
  return dir_ + "/" + digest.substr(0, colon) + "/" + digest.substr(colon + 1);
}

std::optional<std::string> BlobCache::get(const std::string& digest) const {
  auto parsed = registry::Digest::parse(digest, false);
  if (!parsed) return std::nullopt;
  const std::string path = path_for(digest);
  if (!base_.empty() && !fs::check_dirs_below(base_, path.substr(0, path.rfind('/')), false))
    return std::nullopt;
  auto bytes = fs::read_file(path);
  if (!bytes) return std::nullopt;
  // A cache entry is used only when it still hashes to its name.
  if (!(registry::Digest::of(*bytes, parsed->algorithm()) == *parsed)) return std::nullopt;
  return std::move(bytes).value();
}

Status BlobCache::put(const std::string& digest, std::string_view bytes) const {
  TRUSTCTL_TRY_ASSIGN(auto parsed, registry::Digest::parse(digest, false));
  if (!(registry::Digest::of(bytes, parsed.algorithm()) == parsed))
    return Error(ErrorCode::kInternal, "refusing to cache bytes under the wrong digest");
  std::string path = path_for(digest);
  if (base_.empty())
    TRUSTCTL_TRY(fs::make_dirs(path.substr(0, path.rfind('/')), 0700));
  else
    TRUSTCTL_TRY(fs::check_dirs_below(base_, path.substr(0, path.rfind('/')), true));
  return fs::write_file_atomic(path, bytes, 0600);
}

OciTrustStore::OciTrustStore(registry::RegistryClient& client, std::string repository,
                             BlobCache* cache)
    : client_(client), repository_(std::move(repository)), cache_(cache) {}

Result<std::optional<std::string>> OciTrustStore::head() {
  auto d = client_.head_manifest(repository_, std::string(kReservedTag));
  if (!d) {
    if (d.error().code() == ErrorCode::kNotFound) return std::optional<std::string>();
    return d.error();
  }
  return std::optional<std::string>(d->digest);
}

Result<StoreState> OciTrustStore::parse_manifest(const registry::Manifest& m) {
  if (m.is_index()) return not_trust_manifest("it is an index, not an image manifest");
  if (m.artifact_type != kArtifactType)
    return not_trust_manifest("artifactType is '" + m.artifact_type + "', expected '" +
                              std::string(kArtifactType) + "'");
  StoreState state;
  state.manifest_digest = m.descriptor.digest;
  if (auto it = m.annotations.find(std::string(kRepositoryAnnotation)); it != m.annotations.end())
    state.repository = it->second;
  if (auto it = m.annotations.find(std::string(kFormatAnnotation));
      it != m.annotations.end() && it->second != kFormatVersion) {
    return not_trust_manifest("format " + it->second + " is newer than this trustctl reads (" +
                              std::string(kFormatVersion) + "); upgrade trustctl");
  }
  for (const auto& layer : m.layers) {
    if (layer.media_type != kMetadataMediaType)
      return not_trust_manifest("layer " + layer.digest + " has media type " + layer.media_type);
    auto name = layer.annotations.find(std::string(kFileNameAnnotation));
    if (name == layer.annotations.end())
      return not_trust_manifest("layer " + layer.digest + " has no file name");
    if (!safe_file_name(name->second))
      return not_trust_manifest("file name '" + name->second + "' is not allowed");
    if (state.files.count(name->second))
      return not_trust_manifest("file '" + name->second + "' is listed twice");
    state.files[name->second] = TrustFile{name->second, layer.digest, layer.size};
  }
  return state;
}

Result<std::optional<StoreState>> OciTrustStore::read(std::optional<std::string> digest) {
  if (!digest) {
    TRUSTCTL_TRY_ASSIGN(digest, head());
    if (!digest) return std::optional<StoreState>();
  }
  std::string bytes;
  std::string content_type(registry::media_type::kOciManifest);
  if (auto cached = cache_ ? cache_->get(*digest) : std::nullopt) {
    bytes = std::move(*cached);
  } else {
    auto fetched = client_.get_manifest(repository_, *digest);  // verified against the digest
    if (!fetched) {
      if (fetched.error().code() == ErrorCode::kNotFound) return std::optional<StoreState>();
      return fetched.error();
    }
    bytes = fetched->bytes;
    content_type = fetched->descriptor.media_type;
    if (cache_) TRUSTCTL_TRY(cache_->put(*digest, bytes));
  }
  TRUSTCTL_TRY_ASSIGN(auto manifest, registry::parse_manifest(std::move(bytes), content_type));
  TRUSTCTL_TRY_ASSIGN(auto state, parse_manifest(manifest));
  return std::optional<StoreState>(std::move(state));
}

Result<std::string> OciTrustStore::file(const StoreState& state, const std::string& name,
                                        std::uint64_t max_length) {
  auto it = state.files.find(name);
  if (it == state.files.end())
    return Error(ErrorCode::kNotFound, "the trust data has no file " + name);
  const TrustFile& f = it->second;
  if (f.size < 0 || static_cast<std::uint64_t>(f.size) > max_length)
    return Error(ErrorCode::kIntegrity, name + " is " + std::to_string(f.size) +
                                            " bytes, over the limit of " +
                                            std::to_string(max_length));
  if (cache_) {
    if (auto cached = cache_->get(f.digest)) return std::move(*cached);
  }
  std::string bytes;
  auto st = client_.get_blob(
      repository_, f.digest, f.size,
      [&](std::string_view chunk) {
        bytes.append(chunk);
        return true;
      },
      [&] { bytes.clear(); });
  if (!st) {
    if (st.error().code() == ErrorCode::kNotFound) {
      // The signed-for manifest lists it, so a missing blob is tampering, not absence.
      return Error(ErrorCode::kVerification, "the trust manifest lists " + name + " (" + f.digest +
                                                 ") but the registry has no such "
                                                 "blob: the trust data was tampered with");
    }
    return st.error().wrap(name);
  }
  if (cache_) TRUSTCTL_TRY(cache_->put(f.digest, bytes));
  return bytes;
}

std::string OciTrustStore::manifest_for(const std::string& repository,
                                        const std::vector<TrustFile>& files) {
  json layers = json::array();
  for (const auto& f : files) {
    layers.push_back({{"mediaType", kMetadataMediaType},
                      {"digest", f.digest},
                      {"size", f.size},
                      {"annotations", {{kFileNameAnnotation, f.name}}}});
  }
  json m = {
      {"schemaVersion", 2},
      {"mediaType", registry::media_type::kOciManifest},
      {"artifactType", kArtifactType},
      {"config",
       {{"mediaType", registry::media_type::kOciEmpty},
        {"digest", registry::Digest::of(kEmptyConfig).string()},
        {"size", kEmptyConfig.size()}}},
      {"layers", layers},
      {"annotations", {{kFormatAnnotation, kFormatVersion}, {kRepositoryAnnotation, repository}}}};
  return m.dump();
}

Result<StoreState> OciTrustStore::write(const std::map<std::string, std::string>& files) {
  std::vector<TrustFile> listed;
  StoreState state;
  state.repository = repository_;
  TRUSTCTL_TRY(client_.push_blob(repository_, std::string(kEmptyConfig),
                                 std::string(registry::media_type::kOciEmpty)));
  for (const auto& [name, bytes] : files) {  // std::map: sorted by name
    if (!safe_file_name(name))
      return Error(ErrorCode::kInternal, "refusing to store metadata file '" + name + "'");
    TRUSTCTL_TRY_ASSIGN(auto d,
                        client_.push_blob(repository_, bytes, std::string(kMetadataMediaType)));
    TrustFile f{name, d.digest, d.size};
    if (cache_) TRUSTCTL_TRY(cache_->put(d.digest, bytes));
    listed.push_back(f);
    state.files[name] = f;
  }
  std::string manifest = manifest_for(repository_, listed);
  if (manifest.size() > kMaxManifestBytes)
    return Error(ErrorCode::kInternal, "the trust manifest would exceed 4 MiB");
  TRUSTCTL_TRY_ASSIGN(
      auto put, client_.put_manifest(repository_, std::string(kReservedTag),
                                     std::string(registry::media_type::kOciManifest), manifest));
  state.manifest_digest = put.digest;
  if (cache_) TRUSTCTL_TRY(cache_->put(put.digest, manifest));
  return state;
}

Status OciTrustStore::erase(const std::string& head) {
  return client_.delete_manifest(repository_, head);
}

}  // namespace trustctl::truststore
