// trustctl resolve REF: what the registry says a tag (or digest) is. Unverified by design:
// this is the registry's word, shown as such; `verify` is the trusted path.
#include <nlohmann/json.hpp>
#include <ostream>

#include "command.h"
#include "registry_access.h"
#include "trustctl/core/untrusted_json.h"

namespace trustctl::cli {
namespace {

using nlohmann::json;
using registry::Manifest;

constexpr std::uint64_t kMaxConfigBytes = 4 * 1024 * 1024;

struct ImageConfig {
  std::string platform;
  std::string user;
};

// The config blob of an image manifest (verified against its digest) for platform and user.
Result<ImageConfig> read_config(registry::RegistryClient& client, const std::string& repository,
                                const Manifest& m) {
  TRY_ASSIGN(auto bytes, client.fetch_blob(repository, m.config.digest, kMaxConfigBytes));
  ImageConfig c;
  // A config that is not JSON only lacks platform and user; one nested without bound is hostile.
  auto parsed = parse_untrusted_json(bytes, "config blob " + m.config.digest, ErrorCode::kProtocol);
  if (!parsed && parsed.error().code() == ErrorCode::kIntegrity) return parsed.error();
  const json j = parsed ? std::move(*parsed) : json();
  if (!j.is_object()) return c;
  registry::Platform p;
  if (j.contains("os") && j["os"].is_string()) p.os = j["os"];
  if (j.contains("architecture") && j["architecture"].is_string())
    p.architecture = j["architecture"];
  if (j.contains("variant") && j["variant"].is_string()) p.variant = j["variant"];
  if (!p.os.empty()) c.platform = p.string();
  if (j.contains("config") && j["config"].is_object() && j["config"].contains("User") &&
      j["config"]["User"].is_string())
    c.user = j["config"]["User"];
  return c;
}

Status run(const Invocation& inv) {
  cxxopts::Options options(inv.program,
                           "Resolve REF through the registry and show its digest, media type, "
                           "size and platforms. This is the registry's unverified answer; use "
                           "`trustctl verify` for the trusted one.\n\nUsage: trustctl resolve "
                           "REF");
  TRY_ASSIGN(auto p, parse(options, inv));
  if (p.help) return {};
  if (p.positional.size() != 1)
    return Error(ErrorCode::kUsage,
                 "resolve takes exactly one reference, e.g. "
                 "localhost:5000/secure-app:v1");
  TRY_ASSIGN(auto ref, parse_reference(p.positional[0]));
  auto client = connect_registry(ref.api_host(), p.global);
  TRY_ASSIGN(auto manifest, client->get_manifest(ref.repository, ref.reference_or("latest")));

  json out = {{"reference", ref.string()},
              {"registry", ref.registry},
              {"repository", ref.repository},
              {"tag", ref.digest.empty() ? ref.reference_or("latest") : ref.tag},
              {"digest", manifest.descriptor.digest},
              {"mediaType", manifest.descriptor.media_type},
              {"size", manifest.descriptor.size}};
  ImageConfig config;
  if (manifest.is_index()) {
    json platforms = json::array();
    for (const auto& d : manifest.manifests) {
      platforms.push_back({{"platform", d.platform.os.empty() ? "" : d.platform.string()},
                           {"digest", d.digest},
                           {"mediaType", d.media_type},
                           {"size", d.size}});
    }
    out["platforms"] = platforms;
  } else {
    TRY_ASSIGN(config, read_config(*client, ref.repository, manifest));
    std::int64_t total = 0;
    for (const auto& l : manifest.layers) total += l.size;
    out["config"] = {{"digest", manifest.config.digest}, {"mediaType", manifest.config.media_type}};
    if (!config.platform.empty()) out["platform"] = config.platform;
    out["user"] = config.user;
    out["layers"] = manifest.layers.size();
    out["layersSize"] = total;
  }
  // Printing recurses over the value: only JSON of bounded depth (parse_manifest checked these
  // very bytes) gets here.
  TRY_ASSIGN(out["manifest"],
             parse_untrusted_json(manifest.bytes, "manifest", ErrorCode::kIntegrity));

  std::ostream& o = *inv.out;
  if (p.global.output == OutputFormat::kJson) {
    o << out.dump(2) << "\n";
    return {};
  }
  o << ref.name() << ":" << out["tag"].get<std::string>() << "\n"
    << "  digest:     " << manifest.descriptor.digest << "\n"
    << "  media type: " << manifest.descriptor.media_type << "\n"
    << "  size:       " << manifest.descriptor.size << " bytes\n";
  if (manifest.is_index()) {
    o << "  platforms:\n";
    for (const auto& d : manifest.manifests) {
      std::string plat = d.platform.os.empty() ? "(none)" : d.platform.string();
      plat.resize(std::max<size_t>(plat.size(), 16), ' ');
      o << "    " << plat << " " << d.digest << "\n";
    }
  } else {
    if (!config.platform.empty()) o << "  platform:   " << config.platform << "\n";
    o << "  user:       " << (config.user.empty() ? "(unset: runs as root)" : config.user) << "\n"
      << "  layers:     " << manifest.layers.size() << " (" << out["layersSize"].get<std::int64_t>()
      << " bytes)\n";
  }
  o << "  (resolved by the registry, not verified)\n";
  return {};
}

}  // namespace

Command resolve_command() {
  return {"resolve", "Show what the registry says REF is (digest, type, platforms)", run};
}

}  // namespace trustctl::cli
