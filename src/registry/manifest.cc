#include "trustctl/registry/manifest.h"

#include <nlohmann/json.hpp>

#include "trustctl/core/untrusted_json.h"
#include "trustctl/registry/digest.h"

namespace trustctl::registry {
namespace {

using nlohmann::json;

// What the registry served for a manifest is not one: bad bytes or a lie (exit 12).
Error invalid(const std::string& why) {
  return Error(ErrorCode::kIntegrity, "invalid manifest: " + why);
}

// A genuine manifest of a kind trustctl does not read (schema 1, artifact manifests).
Error unsupported(const std::string& why) {
  return Error(ErrorCode::kUnsupported, "unsupported manifest: " + why);
}

std::string string_field(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::map<std::string, std::string> annotations_of(const json& j) {
  std::map<std::string, std::string> out;
  auto it = j.find("annotations");
  if (it == j.end() || !it->is_object()) return out;
  for (const auto& [k, v] : it->items())
    if (v.is_string()) out[k] = v.get<std::string>();
  return out;
}

Result<Descriptor> descriptor_of(const json& j, const std::string& where) {
  if (!j.is_object()) return invalid(where + " is not an object");
  Descriptor d;
  d.media_type = string_field(j, "mediaType");
  d.digest = string_field(j, "digest");
  auto digest = Digest::parse(d.digest, false);
  if (!digest) return invalid(where + ": " + digest.error().message());
  auto size = j.find("size");
  if (size == j.end() || !size->is_number_integer()) return invalid(where + " has no integer size");
  if (!size->is_number_unsigned() && size->get<std::int64_t>() < 0)
    return invalid(where + " has a negative size (" + size->dump() + ")");
  const auto n = size->get<std::uint64_t>();
  if (n > static_cast<std::uint64_t>(kMaxDescriptorSize))
    return invalid(where + " has an absurd size (" + size->dump() + " bytes, over 1 TiB)");
  d.size = static_cast<std::int64_t>(n);
  d.artifact_type = string_field(j, "artifactType");
  d.annotations = annotations_of(j);
  if (auto p = j.find("platform"); p != j.end() && p->is_object()) {
    d.platform.os = string_field(*p, "os");
    d.platform.architecture = string_field(*p, "architecture");
    d.platform.variant = string_field(*p, "variant");
  }
  return d;
}

}  // namespace

bool is_manifest_media_type(std::string_view t) {
  return t == media_type::kOciManifest || t == media_type::kOciIndex ||
         t == media_type::kDockerManifest || t == media_type::kDockerManifestList;
}

bool is_index_media_type(std::string_view t) {
  return t == media_type::kOciIndex || t == media_type::kDockerManifestList;
}

std::string manifest_accept_header() {
  return std::string(media_type::kOciManifest) + ", " + std::string(media_type::kOciIndex) + ", " +
         std::string(media_type::kDockerManifest) + ", " +
         std::string(media_type::kDockerManifestList);
}

std::string Platform::string() const {
  std::string s = os + "/" + architecture;
  if (!variant.empty()) s += "/" + variant;
  return s;
}

Result<Manifest> parse_manifest(std::string bytes, std::string_view content_type) {
  auto parsed = parse_untrusted_json(bytes, "invalid manifest", ErrorCode::kIntegrity);
  if (!parsed) return parsed.error();
  json j = std::move(*parsed);
  if (!j.is_object()) return invalid("body is not a JSON object");

  // Strip parameters such as "; charset=utf-8".
  std::string header(content_type.substr(0, content_type.find(';')));
  while (!header.empty() && header.back() == ' ') header.pop_back();
  std::string body_type = string_field(j, "mediaType");
  std::string type;
  if (is_manifest_media_type(header)) {
    if (!body_type.empty() && body_type != header)
      return invalid("served as " + header + " but its mediaType says " + body_type);
    type = header;
  } else if (is_manifest_media_type(body_type)) {
    type = body_type;
  } else if (j.contains("manifests")) {
    type = std::string(media_type::kOciIndex);
  } else if (j.contains("config") && j.contains("layers")) {
    type = std::string(media_type::kOciManifest);
  } else if (j.contains("schemaVersion") && j["schemaVersion"] == 1) {
    return unsupported("Docker schema 1 (" + (header.empty() ? body_type : header) + ")");
  } else {
    return unsupported("media type '" + (header.empty() ? body_type : header) + "'");
  }

  auto schema = j.find("schemaVersion");
  if (schema == j.end() || !schema->is_number_integer() || *schema != 2)
    return invalid("schemaVersion must be 2");
  // The shape must be the one the type claims: an index served as an image manifest (or the
  // other way round) is a lie about what the bytes are.
  if (is_index_media_type(type) && !j.contains("manifests") && j.contains("layers"))
    return invalid("served as " + type + " but the body is an image manifest (it has layers)");
  if (!is_index_media_type(type) && j.contains("manifests") && !j.contains("layers"))
    return invalid("served as " + type + " but the body is an index (it has manifests)");

  Manifest m;
  m.descriptor.media_type = type;
  m.descriptor.digest = Digest::of(bytes).string();
  m.descriptor.size = static_cast<std::int64_t>(bytes.size());
  m.artifact_type = string_field(j, "artifactType");
  m.annotations = annotations_of(j);
  if (is_index_media_type(type)) {
    auto list = j.find("manifests");
    if (list == j.end() || !list->is_array()) return invalid("index has no manifests list");
    for (size_t i = 0; i < list->size(); ++i) {
      TRUSTCTL_TRY_ASSIGN(auto d,
                          descriptor_of((*list)[i], "manifests[" + std::to_string(i) + "]"));
      m.manifests.push_back(std::move(d));
    }
  } else {
    auto config = j.find("config");
    if (config == j.end()) return invalid("image manifest has no config");
    TRUSTCTL_TRY_ASSIGN(m.config, descriptor_of(*config, "config"));
    auto layers = j.find("layers");
    if (layers == j.end() || !layers->is_array())
      return invalid("image manifest has no layers list");
    for (size_t i = 0; i < layers->size(); ++i) {
      TRUSTCTL_TRY_ASSIGN(auto d, descriptor_of((*layers)[i], "layers[" + std::to_string(i) + "]"));
      m.layers.push_back(std::move(d));
    }
  }
  m.bytes = std::move(bytes);
  return m;
}

}  // namespace trustctl::registry
