#include "registry.h"

#include <algorithm>

namespace trustctl::cli {
namespace {

using nlohmann::json;

std::string shown_tag(const ResolveReport& r) {
  return r.reference.digest.empty() ? r.reference.reference_or("latest") : r.reference.tag;
}

std::int64_t layers_size(const registry::Manifest& m) {
  std::int64_t total = 0;
  for (const auto& l : m.layers) total += l.size;
  return total;
}

}  // namespace

json to_json(const ResolveReport& r) {
  const auto& m = r.manifest;
  json out = {{"reference", r.reference.string()},
              {"registry", r.reference.registry},
              {"repository", r.reference.repository},
              {"tag", shown_tag(r)},
              {"digest", m.descriptor.digest},
              {"mediaType", m.descriptor.media_type},
              {"size", m.descriptor.size}};
  if (m.is_index()) {
    json platforms = json::array();
    for (const auto& d : m.manifests)
      platforms.push_back({{"platform", d.platform.os.empty() ? "" : d.platform.string()},
                           {"digest", d.digest},
                           {"mediaType", d.media_type},
                           {"size", d.size}});
    out["platforms"] = platforms;
  } else {
    out["config"] = {{"digest", m.config.digest}, {"mediaType", m.config.media_type}};
    if (!r.platform.empty()) out["platform"] = r.platform;
    out["user"] = r.user;
    out["layers"] = m.layers.size();
    out["layers_size"] = layers_size(m);
  }
  out["manifest"] = r.manifest_json;
  return out;
}

void print_text(std::ostream& o, const ResolveReport& r) {
  const auto& m = r.manifest;
  o << r.reference.name() << ":" << shown_tag(r) << "\n"
    << "  digest:     " << m.descriptor.digest << "\n"
    << "  media type: " << m.descriptor.media_type << "\n"
    << "  size:       " << m.descriptor.size << " bytes\n";
  if (m.is_index()) {
    o << "  platforms:\n";
    for (const auto& d : m.manifests) {
      std::string plat = d.platform.os.empty() ? "(none)" : d.platform.string();
      plat.resize(std::max<size_t>(plat.size(), 16), ' ');
      o << "    " << plat << " " << d.digest << "\n";
    }
  } else {
    if (!r.platform.empty()) o << "  platform:   " << r.platform << "\n";
    o << "  user:       " << (r.user.empty() ? "(unset: runs as root)" : r.user) << "\n"
      << "  layers:     " << m.layers.size() << " (" << layers_size(m) << " bytes)\n";
  }
  o << "  (resolved by the registry, not verified)\n";
}

json to_json(const LoginReport& r) {
  return {{"registry", r.registry}, {"status", "login succeeded"}, {"config", r.config_path}};
}

void print_text(std::ostream& out, const LoginReport& r) {
  out << "Login succeeded: " << r.registry << " (saved in " << r.config_path << ")\n";
}

json to_json(const LogoutReport& r) { return {{"registry", r.registry}, {"status", "logged out"}}; }

void print_text(std::ostream& out, const LogoutReport& r) {
  out << "Removed credentials for " << r.registry << "\n";
}

}  // namespace trustctl::cli
