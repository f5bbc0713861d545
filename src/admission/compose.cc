// The compose reader: services and their security settings (docs/admission.md).
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>

#include "interpolation.h"
#include "readers.h"
#include "yaml_util.h"

namespace trustctl::admission {
namespace {

const std::set<std::string> kTopLevel = {"version", "services", "networks", "volumes",
                                         "configs", "secrets",  "name"};

class ComposeReader {
 public:
  ComposeReader(const std::string& file, const Environment& env) : file_(file), env_(env) {}

  Result<std::string> str(const YAML::Node& node, std::string_view field) {
    if (!node.IsScalar())
      return usage_at(file_, node, std::string(field) + " must be a single value");
    return interpolate(node.Scalar(), env_, file_, line_of(node));
  }

  Result<bool> boolean(const YAML::Node& node, std::string_view field) {
    TRUSTCTL_TRY_ASSIGN(std::string v, str(node, field));
    std::string l = v;
    std::transform(l.begin(), l.end(), l.begin(), [](char c) {
      return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    });
    if (l == "true" || l == "yes" || l == "on" || l == "y") return true;
    if (l == "false" || l == "no" || l == "off" || l == "n") return false;
    return usage_at(file_, node, std::string(field) + ": \"" + v + "\" is not true or false");
  }

  Result<std::vector<std::string>> list(const YAML::Node& node, std::string_view field) {
    std::vector<std::string> out;
    if (node.IsNull()) return out;
    if (node.IsScalar()) {
      TRUSTCTL_TRY_ASSIGN(std::string v, str(node, field));
      out.push_back(std::move(v));
      return out;
    }
    if (!node.IsSequence()) return usage_at(file_, node, std::string(field) + " must be a list");
    for (const auto& item : node) {
      TRUSTCTL_TRY_ASSIGN(std::string v, str(item, field));
      out.push_back(std::move(v));
    }
    return out;
  }

  Status security_opt(const YAML::Node& node, Container& c) {
    TRUSTCTL_TRY_ASSIGN(auto opts, list(node, "security_opt"));
    for (const auto& opt : opts) {
      auto sep = opt.find_first_of(":=");
      std::string key = opt.substr(0, sep);
      std::string value = sep == std::string::npos ? "" : opt.substr(sep + 1);
      if (key == "no-new-privileges") {
        if (value.empty() || value == "true") {
          c.no_new_privileges = true;
        } else if (value == "false") {
          c.no_new_privileges = false;
        } else {
          return usage_at(file_, node,
                          "security_opt: \"" + opt + "\": no-new-privileges is true or false");
        }
      } else if (key == "seccomp") {
        c.seccomp_profile = value;
      }
    }
    return {};
  }

  Status tmpfs_entry(const std::string& entry, Container& c) {
    TmpfsMount m;
    auto colon = entry.find(':');
    m.path = entry.substr(0, colon);
    if (colon != std::string::npos) {
      std::string opts = entry.substr(colon + 1);
      for (std::size_t pos = 0; pos <= opts.size();) {
        auto comma = opts.find(',', pos);
        std::string o =
            opts.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        if (!o.empty()) m.options.push_back(o);
        if (comma == std::string::npos) break;
        pos = comma + 1;
      }
    }
    c.tmpfs.push_back(std::move(m));
    return {};
  }

  Status volumes(const YAML::Node& node, Container& c) {
    if (node.IsNull()) return {};
    if (!node.IsSequence()) return usage_at(file_, node, "volumes must be a list");
    for (const auto& v : node) {
      if (v.IsScalar()) {
        TRUSTCTL_TRY_ASSIGN(std::string spec, str(v, "volumes"));
        auto colon = spec.find(':');
        std::string source = spec.substr(0, colon);
        if (colon != std::string::npos && is_docker_socket(source))
          c.docker_socket_mounts.push_back(source);
      } else if (v.IsMap()) {
        std::string type, source, target;
        if (v["type"]) {
          TRUSTCTL_TRY_ASSIGN(type, str(v["type"], "volumes.type"));
        }
        if (v["source"]) {
          TRUSTCTL_TRY_ASSIGN(source, str(v["source"], "volumes.source"));
        }
        if (v["target"]) {
          TRUSTCTL_TRY_ASSIGN(target, str(v["target"], "volumes.target"));
        }
        if (type == "bind" && is_docker_socket(source)) c.docker_socket_mounts.push_back(source);
        if (type == "tmpfs") {
          c.tmpfs.push_back(TmpfsMount{target, {}});
          c.not_expressible.push_back("volumes: a long-syntax tmpfs mount at " + target +
                                      " takes size and mode only, not noexec/nosuid");
        }
      } else {
        return usage_at(file_, v, "a volume is a string or a map");
      }
    }
    return {};
  }

  Status healthcheck(const YAML::Node& node, Container& c) {
    if (node.IsNull()) return {};
    if (!node.IsMap()) return usage_at(file_, node, "healthcheck must be a map");
    c.healthcheck = Healthcheck::kPresent;
    if (auto d = node["disable"]) {
      TRUSTCTL_TRY_ASSIGN(bool disabled, boolean(d, "healthcheck.disable"));
      if (disabled) c.healthcheck = Healthcheck::kDisabled;
    }
    if (auto t = node["test"]) {
      TRUSTCTL_TRY_ASSIGN(auto test, list(t, "healthcheck.test"));
      if (!test.empty() && test.front() == "NONE") c.healthcheck = Healthcheck::kDisabled;
    }
    return {};
  }

  Result<Container> service(const YAML::Node& key, const YAML::Node& svc) {
    Container c;
    c.file = file_;
    c.workload = key.Scalar();
    c.name = key.Scalar();
    c.line = line_of(key);
    if (!svc.IsMap()) return usage_at(file_, key, "service " + c.name + " must be a map");
    for (const auto& kv : svc) {
      const std::string field = kv.first.Scalar();
      const YAML::Node& v = kv.second;
      if (field == "extends")
        return usage_at(file_, kv.first,
                        "service " + c.name +
                            ": `extends` is not followed by admit (the base service's settings "
                            "would go unchecked): check the merged file "
                            "(docker compose config > merged.yml)");
      if (field == "image") {
        TRUSTCTL_TRY_ASSIGN(c.image, str(v, "image"));
        c.line = line_of(v);
      } else if (field == "user") {
        TRUSTCTL_TRY_ASSIGN(std::string user, str(v, "user"));
        if (!user.empty()) {
          c.user = user;
          std::string name = user.substr(0, user.find(':'));
          c.non_root = !(name == "root" || name == "0");
        }
      } else if (field == "read_only") {
        TRUSTCTL_TRY_ASSIGN(bool ro, boolean(v, "read_only"));
        c.read_only_rootfs = ro;
      } else if (field == "cap_drop" || field == "cap_add") {
        TRUSTCTL_TRY_ASSIGN(auto caps, list(v, field));
        auto& target = field == "cap_drop" ? c.cap_drop : c.cap_add;
        for (auto& cap : caps) target.push_back(capability_name(cap));
      } else if (field == "security_opt") {
        TRUSTCTL_TRY(security_opt(v, c));
      } else if (field == "privileged") {
        TRUSTCTL_TRY_ASSIGN(c.privileged, boolean(v, "privileged"));
      } else if (field == "tmpfs") {
        TRUSTCTL_TRY_ASSIGN(auto entries, list(v, "tmpfs"));
        for (const auto& e : entries) TRUSTCTL_TRY(tmpfs_entry(e, c));
      } else if (field == "network_mode" || field == "pid" || field == "ipc") {
        TRUSTCTL_TRY_ASSIGN(std::string mode, str(v, field));
        if (mode == "host") {
          if (field == "network_mode") c.host_network = true;
          if (field == "pid") c.host_pid = true;
          if (field == "ipc") c.host_ipc = true;
        }
      } else if (field == "volumes") {
        TRUSTCTL_TRY(volumes(v, c));
      } else if (field == "healthcheck") {
        TRUSTCTL_TRY(healthcheck(v, c));
      }
      // Every other service field (ports, environment, x-...) does not bear on the checks.
    }
    return c;
  }

  Result<Document> read(const YAML::Node& root) {
    Document doc;
    doc.file = file_;
    doc.kind = DocumentKind::kCompose;
    for (const auto& kv : root) {
      if (!kv.first.IsScalar()) return usage_at(file_, kv.first, "a top-level key must be a name");
      const std::string& key = kv.first.Scalar();
      if (key.starts_with("x-")) continue;
      // What another file contributes cannot be checked from this one: refused, never ignored.
      if (key == "include")
        return usage_at(file_, kv.first,
                        "`include` is not followed by admit: check the merged file "
                        "(docker compose config > merged.yml) or pass the included files too");
      if (!kTopLevel.contains(key))
        return usage_at(file_, kv.first,
                        "unknown top-level key \"" + key +
                            "\" in a compose file (known: version, name, services, networks, "
                            "volumes, configs, secrets, x-*)");
    }
    if (auto version = root["version"]; version) {
      TRUSTCTL_TRY_ASSIGN(std::string v, str(version, "version"));
      if (!(v.starts_with("2") || v.starts_with("3")))
        return usage_at(file_, version,
                        "compose file version \"" + v + "\" (known: 2.x, 3.x, none)");
    }
    YAML::Node services = root["services"];
    if (!services) return usage_at(file_, root, "a compose file needs `services`");
    if (!services.IsMap()) return usage_at(file_, services, "services must be a map");
    for (const auto& kv : services) {
      TRUSTCTL_TRY_ASSIGN(Container c, service(kv.first, kv.second));
      doc.containers.push_back(std::move(c));
    }
    return doc;
  }

 private:
  std::string file_;
  const Environment& env_;
};

}  // namespace

Result<Document> read_compose_node(const YAML::Node& raw, const std::string& file,
                                   const ReadOptions& options) {
  std::string env_file = options.env_file;
  if (env_file.empty()) env_file = (std::filesystem::path(file).parent_path() / ".env").string();
  TRUSTCTL_TRY_ASSIGN(
      Environment env,
      compose_environment(options.environment ? *options.environment : process_environment(),
                          env_file));
  TRUSTCTL_TRY_ASSIGN(YAML::Node root, apply_merge_keys(raw, file));
  if (!root.IsMap()) return usage_at(file, raw, "a compose file is a map");
  try {
    return ComposeReader(file, env).read(root);
  } catch (const YAML::Exception& e) {
    return usage_at(file, e.mark.line + 1, "unexpected YAML structure: " + e.msg);
  }
}

Result<Document> read_compose(std::string_view text, const std::string& file,
                              const ReadOptions& options) {
  TRUSTCTL_TRY_ASSIGN(auto docs, load_all(text, file));
  if (docs.size() != 1) return usage_at(file, 1, "a compose file is one YAML document");
  return read_compose_node(docs.front(), file, options);
}

}  // namespace trustctl::admission
