// docker's config.json and docker-credential-* helpers.
//
// Error codes: a config.json that cannot be read or is not the expected JSON is kIo (a local
// file trustctl cannot use; the message names the file and, for a syntax error, the line and
// column, never the content since it holds secrets). A helper that cannot be started is kIo; a
// helper failing `get` is kAuth (the credentials are unavailable); a helper failing `store` or
// `erase` is kIo; a helper printing something that is not its protocol is kProtocol.
//
// Lookup falls through: credHelpers[host], then credsStore, then auths[host]; a helper that
// answers "credentials not found" passes on to the next source.
#include "trustctl/auth/credentials.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>

#include "trustctl/core/encoding.h"
#include "trustctl/core/environment.h"
#include "trustctl/core/fs.h"
#include "trustctl/core/log.h"
#include "trustctl/core/subprocess.h"

namespace trustctl::auth {
namespace {

// ordered_json keeps the file's key order when it is rewritten.
using Json = nlohmann::ordered_json;

constexpr std::string_view kDockerHubKey = "https://index.docker.io/v1/";
constexpr std::string_view kIdentityTokenUser = "<token>";
// The fields of an auths entry that hold credentials; the others (e.g. "email") are kept.
constexpr const char* kCredentialFields[] = {"auth", "username", "password", "identitytoken",
                                             "registrytoken"};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && lower(s.substr(0, prefix.size())) == prefix;
}

std::string dump(const Json& j) {
  return j.dump(1, '\t', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string line_col(const std::string& text, size_t byte) {
  size_t line = 1, col = 1;
  for (size_t i = 0; i + 1 < byte && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(col);
}

// The config, or nullopt when the file does not exist.
Result<std::optional<Json>> load_config(const std::string& path) {
  if (!fs::exists(path)) return std::optional<Json>();
  TRUSTCTL_TRY_ASSIGN(std::string text, fs::read_file(path));
  if (std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isspace(c) != 0; })) {
    return std::optional<Json>(Json::object());  // docker accepts an empty file
  }
  Json j;
  try {
    j = Json::parse(text);
  } catch (const Json::parse_error& e) {
    // e.what() quotes the text around the error, which may be a secret: report the position.
    return Error(ErrorCode::kIo,
                 "cannot parse " + path + ": invalid JSON at " + line_col(text, e.byte));
  }
  auto bad = [&](std::string_view what) {
    return Error(ErrorCode::kIo, "cannot use " + path + ": " + std::string(what));
  };
  if (!j.is_object()) return bad("the top level is not a JSON object");
  if (auto it = j.find("auths"); it != j.end() && !it->is_object() && !it->is_null()) {
    return bad("\"auths\" is not an object");
  }
  if (auto it = j.find("credHelpers"); it != j.end() && !it->is_object() && !it->is_null()) {
    return bad("\"credHelpers\" is not an object");
  }
  if (auto it = j.find("credsStore"); it != j.end() && !it->is_string() && !it->is_null()) {
    return bad("\"credsStore\" is not a string");
  }
  return std::optional<Json>(std::move(j));
}

// Where a rename must happen: the target of a symlinked config.json.
std::string write_target(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
    std::unique_ptr<char, decltype(&std::free)> real(::realpath(path.c_str(), nullptr), &std::free);
    if (real) return real.get();
  }
  return path;
}

Status save_config(const std::string& path, const Json& config) {
  std::string target = write_target(path);
  auto slash = target.find_last_of('/');
  if (slash != std::string::npos && slash > 0)
    TRUSTCTL_TRY(fs::make_dirs(target.substr(0, slash), 0700));
  return fs::write_file_atomic(target, dump(config), 0600);
}

std::optional<std::string> cred_helper_for(const Json& config, const std::string& host_key) {
  auto it = config.find("credHelpers");
  if (it == config.end() || !it->is_object()) return std::nullopt;
  for (const auto& [key, value] : it->items()) {
    if (normalize_config_key(key) == host_key && value.is_string() &&
        !value.get<std::string>().empty()) {
      return value.get<std::string>();
    }
  }
  return std::nullopt;
}

std::optional<std::string> creds_store(const Json& config) {
  auto it = config.find("credsStore");
  if (it == config.end() || !it->is_string() || it->get<std::string>().empty()) {
    return std::nullopt;
  }
  return it->get<std::string>();
}

// The helper configured for the host: credHelpers first, then credsStore.
std::optional<std::string> helper_for(const Json& config, const std::string& host_key) {
  if (auto h = cred_helper_for(config, host_key)) return h;
  return creds_store(config);
}

std::string first_line(std::string_view text) {
  auto start = text.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) return "";
  text.remove_prefix(start);
  std::string line(text.substr(0, text.find_first_of("\r\n")));
  if (line.size() > 200) line = line.substr(0, 200) + "...";
  return line;
}

bool says_not_found(const ProcessOutput& out) {
  return lower(out.out).find("credentials not found") != std::string::npos ||
         lower(out.err).find("credentials not found") != std::string::npos;
}

// Runs docker-credential-<name> <action> with `input` on stdin.
Result<ProcessOutput> run_helper(const std::string& name, const std::string& action,
                                 std::string_view input) {
  const std::string program = "docker-credential-" + name;
  // The name comes from config.json; it must not turn into a path.
  bool valid = !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.';
  });
  if (!valid) return Error(ErrorCode::kIo, "invalid credential helper name \"" + name + "\"");
  auto out = run_process({program, action}, input);
  if (!out) return out.error().wrap("credential helper " + program);
  return out;
}

Error helper_failure(ErrorCode code, const std::string& name, const std::string& action,
                     const ProcessOutput& out) {
  std::string msg = "credential helper docker-credential-" + name + " " + action +
                    " failed (exit status " + std::to_string(out.exit_status) + ")";
  std::string why = first_line(out.err);
  if (why.empty()) why = first_line(out.out);
  if (!why.empty()) msg += ": " + why;
  return Error(code, std::move(msg));
}

Result<std::optional<Credentials>> helper_get(const std::string& name, const std::string& server) {
  TRUSTCTL_TRY_ASSIGN(ProcessOutput out, run_helper(name, "get", server));
  if (out.exit_status != 0) {
    if (says_not_found(out)) return std::optional<Credentials>();
    return helper_failure(ErrorCode::kAuth, name, "get", out);
  }
  Json j = Json::parse(out.out, nullptr, false);
  if (!j.is_object()) {
    return Error(ErrorCode::kProtocol,
                 "credential helper docker-credential-" + name + " get printed malformed JSON");
  }
  auto field = [&j](const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  Credentials c;
  std::string user = field("Username");
  std::string secret = field("Secret");
  if (user == kIdentityTokenUser) {
    c.identity_token = secret;
  } else {
    c.username = user;
    c.password = secret;
  }
  if (c.empty()) return std::optional<Credentials>();
  return std::optional<Credentials>(std::move(c));
}

// The auths entry for the host: the exact key first, then any key normalising to the host.
const Json* find_auths_entry(const Json& config, const std::string& host_key,
                             std::string* key_out) {
  auto auths = config.find("auths");
  if (auths == config.end() || !auths->is_object()) return nullptr;
  const std::string exact = config_key_for(host_key);
  if (auto it = auths->find(exact); it != auths->end()) {
    *key_out = exact;
    return &*it;
  }
  for (const auto& [key, value] : auths->items()) {
    if (normalize_config_key(key) == host_key) {
      *key_out = key;
      return &value;
    }
  }
  return nullptr;
}

Result<std::optional<Credentials>> from_auths(const Json& config, const std::string& host_key,
                                              const std::string& path) {
  std::string key;
  const Json* entry = find_auths_entry(config, host_key, &key);
  if (!entry) return std::optional<Credentials>();
  auto bad = [&](std::string_view what) {
    return Error(ErrorCode::kIo,
                 "cannot use " + path + ": auths[\"" + key + "\"] " + std::string(what));
  };
  if (!entry->is_object()) return bad("is not an object");
  Credentials c;
  for (const char* f : kCredentialFields) {
    auto it = entry->find(f);
    if (it == entry->end() || it->is_null()) continue;
    if (!it->is_string()) return bad(std::string("field \"") + f + "\" is not a string");
  }
  auto field = [entry](const char* key_name) {
    auto it = entry->find(key_name);
    return it != entry->end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  c.username = field("username");
  c.password = field("password");
  if (std::string auth = field("auth"); !auth.empty()) {
    auto decoded = encoding::base64_decode(auth);
    if (!decoded) return bad("field \"auth\" is not base64");
    auto colon = decoded->find(':');
    if (colon == std::string::npos) return bad("field \"auth\" is not base64 of user:password");
    c.username = decoded->substr(0, colon);
    c.password = decoded->substr(colon + 1);
  }
  c.identity_token = field("identitytoken");
  c.registry_token = field("registrytoken");
  if (c.empty()) return std::optional<Credentials>();
  return std::optional<Credentials>(std::move(c));
}

// Removes the credential fields of every auths entry for the host; entries left empty are
// removed unless their key is `keep_key`. Returns whether anything changed.
bool strip_auths(Json& config, const std::string& host_key, const std::string& keep_key) {
  auto auths = config.find("auths");
  if (auths == config.end() || !auths->is_object()) return false;
  bool changed = false;
  std::vector<std::string> drop;
  for (auto& [key, value] : auths->items()) {
    if (normalize_config_key(key) != host_key) continue;
    if (value.is_object()) {
      for (const char* f : kCredentialFields) changed |= value.erase(f) > 0;
      if (value.empty() && key != keep_key) drop.push_back(key);
    } else if (key != keep_key) {
      drop.push_back(key);
    }
  }
  for (const auto& key : drop) {
    auths->erase(key);
    changed = true;
  }
  return changed;
}

}  // namespace

std::string normalize_config_key(std::string_view key) {
  auto start = key.find_first_not_of(" \t\r\n");
  auto end = key.find_last_not_of(" \t\r\n");
  if (start == std::string_view::npos) return "";
  key = key.substr(start, end - start + 1);
  if (istarts_with(key, "https://")) {
    key.remove_prefix(8);
  } else if (istarts_with(key, "http://")) {
    key.remove_prefix(7);
  }
  key = key.substr(0, key.find('/'));
  std::string host = lower(key);
  if (host == "index.docker.io" || host == "registry-1.docker.io" || host == "docker.io") {
    return "docker.io";
  }
  return host;
}

std::string config_key_for(std::string_view registry_host) {
  std::string host = normalize_config_key(registry_host);
  if (host == "docker.io") return std::string(kDockerHubKey);
  return host;
}

std::string DockerConfig::default_path() {
  if (auto dir = env_value("DOCKER_CONFIG")) return *dir + "/config.json";
  return fs::home_dir() + "/.docker/config.json";
}

DockerConfig::DockerConfig(std::string path) : path_(std::move(path)) {}

Result<std::optional<Credentials>> DockerConfig::lookup(std::string_view registry_host) const {
  TRUSTCTL_TRY_ASSIGN(auto config, load_config(path_));
  if (!config) return std::optional<Credentials>();
  const std::string host_key = normalize_config_key(registry_host);
  const std::string server = config_key_for(host_key);

  auto from_helper =
      [&](const std::optional<std::string>& helper) -> Result<std::optional<Credentials>> {
    if (!helper) return std::optional<Credentials>();
    TRUSTCTL_TRY_ASSIGN(auto found, helper_get(*helper, server));
    if (found) {
      log::debug("using credentials for " + host_key + " from docker-credential-" + *helper);
    }
    return found;
  };
  auto specific = cred_helper_for(*config, host_key);
  TRUSTCTL_TRY_ASSIGN(auto found, from_helper(specific));
  if (found) return found;
  auto store = creds_store(*config);
  if (store && store != specific) {
    TRUSTCTL_TRY_ASSIGN(found, from_helper(store));
    if (found) return found;
  }
  TRUSTCTL_TRY_ASSIGN(found, from_auths(*config, host_key, path_));
  if (found) log::debug("using credentials for " + host_key + " from " + path_);
  return found;
}

Status DockerConfig::store(std::string_view registry_host, const Credentials& credentials) const {
  TRUSTCTL_TRY_ASSIGN(auto loaded, load_config(path_));
  Json config = loaded ? std::move(*loaded) : Json::object();
  const std::string host_key = normalize_config_key(registry_host);
  if (host_key.empty())
    return Error(ErrorCode::kUsage, "no registry host to store credentials for");
  const std::string key = config_key_for(host_key);
  if (!config.contains("auths") || !config["auths"].is_object()) config["auths"] = Json::object();

  if (auto helper = helper_for(config, host_key)) {
    if (!credentials.registry_token.empty() && credentials.identity_token.empty() &&
        credentials.username.empty() && credentials.password.empty()) {
      return Error(ErrorCode::kUsage,
                   "a registry token cannot be stored in credential helper "
                   "docker-credential-" +
                       *helper);
    }
    Json payload = Json::object();
    payload["ServerURL"] = key;
    if (!credentials.identity_token.empty()) {
      payload["Username"] = std::string(kIdentityTokenUser);
      payload["Secret"] = credentials.identity_token;
    } else {
      payload["Username"] = credentials.username;
      payload["Secret"] = credentials.password;
    }
    TRUSTCTL_TRY_ASSIGN(
        ProcessOutput out,
        run_helper(*helper, "store",
                   payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
    if (out.exit_status != 0) return helper_failure(ErrorCode::kIo, *helper, "store", out);
    // Like docker: the file keeps an empty entry naming the registry, no secret.
    strip_auths(config, host_key, key);
    if (!config["auths"].contains(key) || !config["auths"][key].is_object()) {
      config["auths"][key] = Json::object();
    }
    return save_config(path_, config);
  }

  strip_auths(config, host_key, key);
  Json& entry = config["auths"][key];
  if (!entry.is_object()) entry = Json::object();
  if (!credentials.username.empty() || !credentials.password.empty()) {
    entry["auth"] = encoding::base64_encode(credentials.username + ":" + credentials.password);
  }
  if (!credentials.identity_token.empty()) entry["identitytoken"] = credentials.identity_token;
  if (!credentials.registry_token.empty()) entry["registrytoken"] = credentials.registry_token;
  return save_config(path_, config);
}

Status DockerConfig::erase(std::string_view registry_host) const {
  TRUSTCTL_TRY_ASSIGN(auto config, load_config(path_));
  if (!config) return {};
  const std::string host_key = normalize_config_key(registry_host);
  bool changed = false;
  if (auto auths = config->find("auths"); auths != config->end() && auths->is_object()) {
    std::vector<std::string> drop;
    for (const auto& [key, value] : auths->items()) {
      if (normalize_config_key(key) == host_key) drop.push_back(key);
    }
    for (const auto& key : drop) auths->erase(key);
    changed = !drop.empty();
  }
  if (changed) TRUSTCTL_TRY(save_config(path_, *config));
  if (auto helper = helper_for(*config, host_key)) {
    TRUSTCTL_TRY_ASSIGN(ProcessOutput out, run_helper(*helper, "erase", config_key_for(host_key)));
    if (out.exit_status != 0 && !says_not_found(out)) {
      return helper_failure(ErrorCode::kIo, *helper, "erase", out);
    }
  }
  return {};
}

}  // namespace trustctl::auth
