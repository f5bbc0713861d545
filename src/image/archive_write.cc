// write_docker_archive: an image of an OCI layout as a tarball `docker load` accepts.
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <set>

#include "file_util.h"
#include "tar.h"
#include "trustctl/image/archive.h"

namespace trustctl::image {
namespace {

std::string parent_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string hex_of(const std::string& digest) { return digest.substr(digest.find(':') + 1); }

// The archive being written to its temporary file.
struct TarOut {
  int fd;
  std::string tmp;

  Status raw(std::string_view bytes) { return detail::write_all(fd, bytes, tmp); }
  Status member(const std::string& name, std::string_view bytes) {
    TRUSTCTL_TRY(raw(detail::tar_file_header(name, bytes.size())));
    TRUSTCTL_TRY(raw(bytes));
    return raw(detail::tar_padding(bytes.size()));
  }
  // The blob's bytes as they come out of the layout, verified on the way.
  Status blob(const OciLayout& layout, const std::string& name, const registry::Descriptor& d) {
    TRUSTCTL_TRY(raw(detail::tar_file_header(name, static_cast<std::uint64_t>(d.size))));
    Status written;
    TRUSTCTL_TRY(layout.read_blob(d, [&](std::string_view chunk) {
      written = raw(chunk);
      return written.ok();
    }));
    TRUSTCTL_TRY(written);
    return raw(detail::tar_padding(static_cast<std::uint64_t>(d.size)));
  }
};

Result<registry::Manifest> image_manifest(const OciLayout& layout, const registry::Descriptor& d) {
  TRUSTCTL_TRY_ASSIGN(std::string bytes, layout.read_small_blob(d));
  TRUSTCTL_TRY_ASSIGN(auto m, registry::parse_manifest(std::move(bytes), d.media_type));
  if (m.is_index())
    return Error(ErrorCode::kUsage, "manifest " + d.digest + " is an index (" +
                                        m.descriptor.media_type +
                                        "); a docker archive holds one image: pick a platform");
  return m;
}

// Layers stay as stored; docker load and skopeo recognise gzip by its bytes, the name only
// tells a reader what to expect.
std::string layer_file(const registry::Descriptor& d) {
  const bool gzip = d.media_type.find("gzip") != std::string::npos;
  return hex_of(d.digest) + (gzip ? ".tar.gz" : ".tar");
}

Status write_members(TarOut& out, const OciLayout& layout, const registry::Manifest& m,
                     const std::string& repo_tag) {
  nlohmann::json entry = {{"Config", hex_of(m.config.digest) + ".json"},
                          {"RepoTags", nullptr},
                          {"Layers", nlohmann::json::array()}};
  if (!repo_tag.empty()) entry["RepoTags"] = {repo_tag};
  for (const auto& l : m.layers) entry["Layers"].push_back(layer_file(l));
  TRUSTCTL_TRY(out.member("manifest.json", nlohmann::json::array({entry}).dump()));
  TRUSTCTL_TRY(out.blob(layout, hex_of(m.config.digest) + ".json", m.config));
  std::set<std::string> written;  // a layer listed twice is stored once
  for (const auto& l : m.layers) {
    if (!written.insert(l.digest).second) continue;
    TRUSTCTL_TRY(out.blob(layout, layer_file(l), l));
  }
  return out.raw(detail::tar_end());
}

}  // namespace

Status write_docker_archive(const std::string& file, const OciLayout& layout,
                            const registry::Descriptor& manifest, const std::string& repo_tag) {
  TRUSTCTL_TRY_ASSIGN(const auto m, image_manifest(layout, manifest));
  if (m.layers.size() > kMaxArchiveLayers)
    return Error(ErrorCode::kIntegrity, "manifest " + manifest.digest + " has " +
                                            std::to_string(m.layers.size()) + " layers");
  const auto slash = file.find_last_of('/');
  const std::string base = slash == std::string::npos ? file : file.substr(slash + 1);
  TRUSTCTL_TRY_ASSIGN(auto tmp, detail::make_temp_file(parent_of(file), "." + base + ".tmp-"));
  TarOut out{tmp.first, tmp.second};
  if (auto written = write_members(out, layout, m, repo_tag); !written) {
    ::close(out.fd);
    ::unlink(out.tmp.c_str());
    return written.error().wrap("writing docker archive " + file);
  }
  return detail::finish_temp_file(out.fd, out.tmp, file);
}

}  // namespace trustctl::image
