#include "trustctl/image/layout.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "file_util.h"
#include "trustctl/core/fs.h"
#include "trustctl/core/untrusted_json.h"

namespace trustctl::image {
namespace {

using nlohmann::json;

constexpr char kLayoutVersion[] = "1.0.0";

// A layout someone else prepared is bad data, not a usage error.
Error malformed(const std::string& dir, const std::string& why) {
  return Error(ErrorCode::kIntegrity, "OCI layout " + dir + ": " + why);
}

Status check_oci_layout_file(const std::string& dir) {
  auto text = fs::read_regular_file(dir + "/oci-layout", 4096);
  if (!text) {
    if (text.error().code() == ErrorCode::kNotFound)
      return Error(ErrorCode::kNotFound, dir + " is not an OCI layout (it has no oci-layout file)");
    return malformed(dir, text.error().message());
  }
  auto j = parse_untrusted_json(*text, dir + "/oci-layout", ErrorCode::kIntegrity, 2);
  if (!j) return malformed(dir, j.error().message());
  auto v = j->is_object() ? j->find("imageLayoutVersion") : j->end();
  if (v == j->end() || !v->is_string() || v->get<std::string>().rfind("1.", 0) != 0)
    return malformed(dir, "oci-layout has no imageLayoutVersion 1.x");
  return {};
}

bool is_empty_dir(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return false;
  bool empty = true;
  while (const dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) {
      empty = false;
      break;
    }
  }
  ::closedir(d);
  return empty;
}

Status initialise(const std::string& dir) {
  TRUSTCTL_TRY(fs::make_dirs(dir, 0755));
  if (!is_empty_dir(dir))
    return Error(ErrorCode::kUsage,
                 dir + " is neither an OCI layout nor an empty folder; name another folder");
  TRUSTCTL_TRY(fs::check_dirs_below(dir, dir + "/blobs/sha256", true, 0755));
  json index = {{"schemaVersion", 2},
                {"mediaType", std::string(registry::media_type::kOciIndex)},
                {"manifests", json::array()}};
  TRUSTCTL_TRY(fs::write_file_atomic(dir + "/index.json", index.dump(), 0644));
  json layout = {{"imageLayoutVersion", kLayoutVersion}};
  // oci-layout last: a folder is a layout only once everything else is there.
  return fs::write_file_atomic(dir + "/oci-layout", layout.dump(), 0644);
}

std::string ref_name(const registry::Descriptor& d) {
  auto it = d.annotations.find(kRefNameAnnotation);
  return it == d.annotations.end() ? std::string() : it->second;
}

json descriptor_json(const std::string& ref, const registry::Descriptor& m) {
  json j = {{"mediaType", m.media_type}, {"digest", m.digest}, {"size", m.size}};
  if (!m.platform.os.empty() || !m.platform.architecture.empty()) {
    json p = {{"architecture", m.platform.architecture}, {"os", m.platform.os}};
    if (!m.platform.variant.empty()) p["variant"] = m.platform.variant;
    j["platform"] = p;
  }
  if (!m.artifact_type.empty()) j["artifactType"] = m.artifact_type;
  json annotations = json::object();
  for (const auto& [k, v] : m.annotations) annotations[k] = v;
  annotations[kRefNameAnnotation] = ref;
  j["annotations"] = annotations;
  return j;
}

}  // namespace

Status OciLayout::load_index() {
  const std::string path = dir_ + "/index.json";
  auto text = fs::read_regular_file(path, kMaxIndexJsonBytes);
  if (!text) return malformed(dir_, text.error().message());
  // index.json is an image index in all but name; parse_manifest checks every descriptor.
  auto index = registry::parse_manifest(std::move(*text), registry::media_type::kOciIndex);
  if (!index) return malformed(dir_, "index.json: " + index.error().message());
  manifests_ = std::move(index->manifests);
  return {};
}

Result<OciLayout> OciLayout::open(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0)
    return Error(ErrorCode::kNotFound, "OCI layout " + dir + " does not exist");
  if (!S_ISDIR(st.st_mode)) return Error(ErrorCode::kNotFound, dir + " is not a folder");
  TRUSTCTL_TRY(check_oci_layout_file(dir));
  // blobs/ and blobs/<alg>/ must be real folders: a link could point reads anywhere.
  for (const char* sub : {"/blobs/sha256", "/blobs/sha512"}) {
    auto checked = fs::check_dirs_below(dir, dir + sub, false);
    if (!checked) return malformed(dir, checked.error().message());
  }
  OciLayout layout(dir);
  TRUSTCTL_TRY(layout.load_index());
  return layout;
}

Result<OciLayout> OciLayout::create(const std::string& dir) {
  struct stat st {};
  if (::stat((dir + "/oci-layout").c_str(), &st) != 0) TRUSTCTL_TRY(initialise(dir));
  auto layout = open(dir);
  if (layout) TRUSTCTL_TRY(fs::check_dirs_below(dir, dir + "/blobs/sha256", true, 0755));
  return layout;
}

Result<registry::Descriptor> OciLayout::find(const std::string& ref) const {
  if (ref.empty()) {
    if (manifests_.size() == 1) return manifests_.front();
    if (manifests_.empty()) return Error(ErrorCode::kNotFound, "OCI layout " + dir_ + " is empty");
    std::string names;
    for (const auto& m : manifests_) {
      const std::string name = ref_name(m);
      names += (names.empty() ? "" : ", ") + (name.empty() ? m.digest : name);
    }
    return Error(ErrorCode::kUsage,
                 "OCI layout " + dir_ + " holds " + std::to_string(manifests_.size()) +
                     " images; name one with oci:" + dir_ + ":REF (" + names + ")");
  }
  for (const auto& m : manifests_)
    if (ref_name(m) == ref) return m;
  return Error(ErrorCode::kNotFound, "OCI layout " + dir_ + " has no image named '" + ref + "'");
}

Result<std::string> OciLayout::blob_path(const registry::Descriptor& d) const {
  TRUSTCTL_TRY_ASSIGN(auto digest, registry::Digest::parse(d.digest, false));
  return dir_ + "/blobs/" + std::string(crypto::hash_algorithm_name(digest.algorithm())) + "/" +
         digest.hex();
}

bool OciLayout::has_blob(const registry::Descriptor& d) const {
  auto path = blob_path(d);
  struct stat st {};
  return path && ::lstat(path->c_str(), &st) == 0 && S_ISREG(st.st_mode) && d.size >= 0 &&
         st.st_size == d.size;
}

Status OciLayout::read_blob(const registry::Descriptor& d,
                            const std::function<bool(std::string_view)>& write) const {
  TRUSTCTL_TRY_ASSIGN(auto digest, registry::Digest::parse(d.digest, false));
  TRUSTCTL_TRY_ASSIGN(const std::string path, blob_path(d));
  TRUSTCTL_TRY_ASSIGN(detail::File file, detail::File::open_regular(path, "blob " + d.digest));
  if (file.size() != static_cast<std::uint64_t>(d.size))
    return Error(ErrorCode::kIntegrity, "blob " + d.digest + " in " + dir_ + " is " +
                                            std::to_string(file.size()) + " bytes, expected " +
                                            std::to_string(d.size));
  registry::DigestVerifier verifier(digest, d.size);
  TRUSTCTL_TRY(file.stream(0, file.size(), [&](std::string_view chunk) {
    if (!verifier.update(chunk)) return false;
    return write(chunk);
  }));
  return verifier.finish("blob " + d.digest + " in " + dir_);
}

Result<std::string> OciLayout::read_small_blob(const registry::Descriptor& d,
                                               std::uint64_t max_bytes) const {
  if (d.size < 0 || static_cast<std::uint64_t>(d.size) > max_bytes)
    return Error(ErrorCode::kIntegrity, "blob " + d.digest + " is " + std::to_string(d.size) +
                                            " bytes, more than the " + std::to_string(max_bytes) +
                                            " allowed");
  std::string out;
  out.reserve(static_cast<std::size_t>(d.size));
  TRUSTCTL_TRY(read_blob(d, [&](std::string_view chunk) {
    out.append(chunk);
    return true;
  }));
  return out;
}

Status OciLayout::put_blob(const registry::Descriptor& d, std::string_view bytes) {
  TRUSTCTL_TRY_ASSIGN(auto writer, write_blob(d));
  TRUSTCTL_TRY(writer.write(bytes));
  return writer.commit();
}

Status OciLayout::tag(const std::string& ref, const registry::Descriptor& manifest) {
  if (ref.empty()) return Error(ErrorCode::kUsage, "an image in an OCI layout needs a ref name");
  if (!has_blob(manifest))
    return Error(ErrorCode::kNotFound, "cannot tag " + ref + " in " + dir_ + ": manifest " +
                                           manifest.digest + " is not in the layout");
  // Re-read: another process may have tagged something since this layout was opened.
  const std::string path = dir_ + "/index.json";
  TRUSTCTL_TRY_ASSIGN(std::string text, fs::read_regular_file(path, kMaxIndexJsonBytes));
  auto parsed = parse_untrusted_json(text, path, ErrorCode::kIntegrity);
  if (!parsed || !parsed->is_object() || !parsed->contains("manifests") ||
      !(*parsed)["manifests"].is_array())
    return malformed(dir_, "index.json has no manifests list");
  json kept = json::array();
  for (const auto& entry : (*parsed)["manifests"]) {
    const auto a = entry.find("annotations");
    const bool same = entry.is_object() && a != entry.end() && a->is_object() &&
                      a->value(kRefNameAnnotation, json()) == ref;
    if (!same) kept.push_back(entry);  // other entries stay byte for byte what they were
  }
  kept.push_back(descriptor_json(ref, manifest));
  (*parsed)["manifests"] = kept;
  TRUSTCTL_TRY(fs::write_file_atomic(path, parsed->dump(), 0644));
  return load_index();
}

}  // namespace trustctl::image
