// import_docker_archive: a `docker save` tarball into an OCI layout, as a Docker schema2 image.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "tar.h"
#include "trustctl/core/untrusted_json.h"
#include "trustctl/crypto/hash.h"
#include "trustctl/image/archive.h"
#include "trustctl/registry/reference.h"

namespace trustctl::image {
namespace {

using detail::TarEntry;
using nlohmann::json;
using Entries = std::map<std::string, TarEntry>;

struct Archive {
  std::string what;  // "docker archive FILE"
  detail::File file;
  Entries entries;

  Error bad(const std::string& why) const {
    return Error(ErrorCode::kIntegrity, what + ": " + why);
  }
  Result<std::string> read_member(const std::string& name, std::uint64_t cap) const;
};

Result<std::string> Archive::read_member(const std::string& name, std::uint64_t cap) const {
  TRUSTCTL_TRY_ASSIGN(TarEntry e, detail::resolve_tar_file(entries, name, what));
  if (e.size > cap)
    return bad(name + " is " + std::to_string(e.size) + " bytes, more than the " +
               std::to_string(cap) + " allowed");
  return file.read_at(e.offset, e.size);
}

std::vector<std::string> repo_tags_of(const json& image) {
  std::vector<std::string> out;
  auto it = image.find("RepoTags");
  if (it == image.end() || !it->is_array()) return out;
  for (const auto& t : *it)
    if (t.is_string()) out.push_back(t.get<std::string>());
  return out;
}

// docker save writes "lab/app:v1", skopeo "docker.io/lab/app:v1": both name one image.
bool same_repo_tag(const std::string& a, const std::string& b) {
  if (a == b) return true;
  auto ra = registry::Reference::parse(a);
  auto rb = registry::Reference::parse(b);
  return ra && rb && ra->string() == rb->string();
}

// The manifest.json entry holding `repo_tag`, or the only one.
Result<std::pair<json, std::string>> choose_image(const Archive& a, const json& list,
                                                  const std::string& repo_tag) {
  std::string choices;
  for (const auto& image : list) {
    if (!image.is_object()) return a.bad("manifest.json lists something that is not an object");
    const auto tags = repo_tags_of(image);
    for (const auto& t : tags)
      if (!repo_tag.empty() && same_repo_tag(t, repo_tag)) return std::make_pair(image, t);
    for (const auto& t : tags) choices += (choices.empty() ? "" : ", ") + t;
  }
  if (!repo_tag.empty())
    return Error(ErrorCode::kNotFound, a.what + " has no image tagged " + repo_tag +
                                           (choices.empty() ? "" : " (it has " + choices + ")"));
  if (list.size() != 1)
    return Error(ErrorCode::kUsage, a.what + " holds " + std::to_string(list.size()) +
                                        " images; name one with docker-archive:FILE:REPO:TAG (" +
                                        choices + ")");
  const auto tags = repo_tags_of(list[0]);
  return std::make_pair(list[0], tags.size() == 1 ? tags[0] : std::string());
}

Result<std::vector<std::string>> string_list(const Archive& a, const json& j, const char* key,
                                             const std::string& where) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return a.bad(where + " has no " + key + " list");
  if (it->size() > kMaxArchiveLayers)
    return a.bad(where + " lists " + std::to_string(it->size()) + " " + key + ", more than " +
                 std::to_string(kMaxArchiveLayers));
  std::vector<std::string> out;
  for (const auto& v : *it) {
    if (!v.is_string()) return a.bad(where + ": " + key + " holds a non-string");
    out.push_back(v.get<std::string>());
  }
  return out;
}

// The media type a layer's first bytes announce.
Result<std::string_view> layer_media_type(const Archive& a, const std::string& name,
                                          std::string_view head) {
  auto starts = [&](std::string_view magic) { return head.substr(0, magic.size()) == magic; };
  if (starts("\x1f\x8b")) return media_type::kDockerLayerGzip;
  const bool tar = head.size() >= 262 && head.substr(257, 5) == "ustar";
  const bool empty_tar = head.size() >= 512 && std::all_of(head.begin(), head.begin() + 512,
                                                           [](char c) { return c == '\0'; });
  if (tar || empty_tar) return media_type::kDockerLayer;
  std::string kind = "neither a tar nor gzip-compressed";
  if (starts("\x28\xb5\x2f\xfd")) kind = "zstd-compressed";
  if (starts(std::string_view("\xfd"
                              "7zXZ\0",
                              6)))
    kind = "xz-compressed";
  if (starts("BZh")) kind = "bzip2-compressed";
  return Error(ErrorCode::kUnsupported,
               a.what + ": layer " + name + " is " + kind +
                   "; a Docker schema2 image holds tar or tar+gzip layers");
}

// Hashes the layer once to learn its digest and kind, then copies it in verified.
Result<registry::Descriptor> import_layer(const Archive& a, const std::string& name,
                                          const std::string& diff_id, OciLayout& layout) {
  TRUSTCTL_TRY_ASSIGN(TarEntry e, detail::resolve_tar_file(a.entries, name, a.what));
  crypto::Hasher hasher(crypto::HashAlgorithm::kSha256);
  std::string head;
  TRUSTCTL_TRY(a.file.stream(e.offset, e.size, [&](std::string_view chunk) {
    if (head.size() < 512) head.append(chunk.substr(0, 512 - head.size()));
    hasher.update(chunk);
    return true;
  }));
  registry::Descriptor d;
  d.digest = "sha256:" + hasher.finish_hex();
  d.size = static_cast<std::int64_t>(e.size);
  TRUSTCTL_TRY_ASSIGN(auto type, layer_media_type(a, name, head));
  d.media_type = std::string(type);
  // An uncompressed layer is its own diff_id; a config that disagrees would fail docker load.
  if (type == media_type::kDockerLayer && d.digest != diff_id)
    return a.bad("layer " + name + " has digest " + d.digest + " but the config's diff_id is " +
                 diff_id);
  if (layout.has_blob(d)) return d;
  TRUSTCTL_TRY_ASSIGN(auto writer, layout.write_blob(d));
  TRUSTCTL_TRY(a.file.stream(e.offset, e.size, [&](std::string_view chunk) {
    return static_cast<bool>(writer.write(chunk));
  }));
  TRUSTCTL_TRY(writer.commit());  // a layer changed between the passes fails here
  return d;
}

Result<registry::Descriptor> put_json_blob(OciLayout& layout, std::string bytes,
                                           std::string_view type) {
  registry::Descriptor d;
  d.media_type = std::string(type);
  d.digest = registry::Digest::of(bytes).string();
  d.size = static_cast<std::int64_t>(bytes.size());
  TRUSTCTL_TRY(layout.put_blob(d, bytes));
  return d;
}

Result<registry::Descriptor> import_config(const Archive& a, const json& image,
                                           std::vector<std::string>& diff_ids, OciLayout& layout) {
  auto config_name = image.find("Config");
  if (config_name == image.end() || !config_name->is_string())
    return a.bad("manifest.json names no Config");
  const std::string name = config_name->get<std::string>();
  TRUSTCTL_TRY_ASSIGN(std::string bytes, a.read_member(name, kMaxArchiveConfigBytes));
  auto config = parse_untrusted_json(bytes, a.what + ": config " + name, ErrorCode::kIntegrity);
  if (!config) return config.error();
  auto rootfs = config->is_object() ? config->find("rootfs") : config->end();
  if (rootfs == config->end() || !rootfs->is_object())
    return a.bad("config " + name + " has no rootfs");
  TRUSTCTL_TRY_ASSIGN(diff_ids, string_list(a, *rootfs, "diff_ids", "config " + name));
  return put_json_blob(layout, std::move(bytes), registry::media_type::kDockerConfig);
}

std::string schema2_manifest(const registry::Descriptor& config,
                             const std::vector<registry::Descriptor>& layers) {
  using ordered = nlohmann::ordered_json;
  auto desc = [](const registry::Descriptor& d) {
    return ordered{{"mediaType", d.media_type}, {"size", d.size}, {"digest", d.digest}};
  };
  ordered m = {{"schemaVersion", 2},
               {"mediaType", std::string(registry::media_type::kDockerManifest)},
               {"config", desc(config)},
               {"layers", ordered::array()}};
  for (const auto& l : layers) m["layers"].push_back(desc(l));
  return m.dump();
}

Result<Archive> open_archive(const std::string& file) {
  const std::string what = "docker archive " + file;
  TRUSTCTL_TRY_ASSIGN(auto f, detail::File::open_regular(file, what, true));
  detail::TarLimits limits{kMaxArchiveEntries};
  TRUSTCTL_TRY_ASSIGN(auto entries, detail::index_tar(f, limits, what));
  return Archive{what, std::move(f), std::move(entries)};
}

}  // namespace

Result<ImportedImage> import_docker_archive(const std::string& file, const std::string& repo_tag,
                                            OciLayout& layout) {
  TRUSTCTL_TRY_ASSIGN(const Archive a, open_archive(file));
  TRUSTCTL_TRY_ASSIGN(std::string text, a.read_member("manifest.json", kMaxArchiveManifestBytes));
  auto list = parse_untrusted_json(text, a.what + ": manifest.json", ErrorCode::kIntegrity, 8);
  if (!list) return list.error();
  if (!list->is_array() || list->empty())
    return a.bad("manifest.json is not a non-empty list of images");
  TRUSTCTL_TRY_ASSIGN(auto chosen, choose_image(a, *list, repo_tag));
  const json& image = chosen.first;
  std::vector<std::string> diff_ids;
  TRUSTCTL_TRY_ASSIGN(auto config, import_config(a, image, diff_ids, layout));
  TRUSTCTL_TRY_ASSIGN(auto names, string_list(a, image, "Layers", "manifest.json"));
  if (names.size() != diff_ids.size())
    return a.bad("manifest.json lists " + std::to_string(names.size()) +
                 " layers but the config has " + std::to_string(diff_ids.size()) + " diff_ids");
  std::vector<registry::Descriptor> layers;
  for (std::size_t i = 0; i < names.size(); ++i) {
    TRUSTCTL_TRY_ASSIGN(auto d, import_layer(a, names[i], diff_ids[i], layout));
    layers.push_back(std::move(d));
  }
  ImportedImage out;
  out.repo_tag = chosen.second;
  out.layout_ref = out.repo_tag.empty() ? "latest" : out.repo_tag;
  TRUSTCTL_TRY_ASSIGN(out.manifest, put_json_blob(layout, schema2_manifest(config, layers),
                                                  registry::media_type::kDockerManifest));
  TRUSTCTL_TRY(layout.tag(out.layout_ref, out.manifest));
  return out;
}

}  // namespace trustctl::image
