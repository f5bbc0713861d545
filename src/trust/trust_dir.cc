#include "trustctl/trust/trust_dir.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "trustctl/core/fs.h"

namespace trustctl::trust {
namespace {

using nlohmann::json;

constexpr std::string_view kTrustFile = "trust.json";

std::string octal(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

Result<json> read_json_object(const std::string& path) {
  TRUSTCTL_TRY_ASSIGN(auto bytes, fs::read_file(path));
  json j = json::parse(bytes, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Error(ErrorCode::kIo, path + " is malformed");
  return j;
}

// The version of a saved (already verified) TUF file, when it is there and readable.
std::optional<std::int64_t> saved_version(const std::string& path) {
  auto j = read_json_object(path);
  if (!j) return std::nullopt;
  auto signed_part = j->find("signed");
  if (signed_part == j->end() || !signed_part->is_object()) return std::nullopt;
  auto version = signed_part->find("version");
  if (version == signed_part->end() || !version->is_number_integer()) return std::nullopt;
  return version->get<std::int64_t>();
}

}  // namespace

std::string_view root_origin_name(RootOrigin origin) {
  switch (origin) {
    case RootOrigin::kCreated:
      return "created";
    case RootOrigin::kPinned:
      return "pinned";
    case RootOrigin::kPolicy:
      return "policy";
    case RootOrigin::kTofu:
      return "tofu";
  }
  return "tofu";
}

std::string encode_repository_path(const std::string& path) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : path) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

ScratchDir::ScratchDir(ScratchDir&& other) noexcept : path_(std::move(other.path_)) {
  other.path_.clear();
}

ScratchDir::~ScratchDir() {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
  ::rmdir(path_.substr(0, path_.rfind('/')).c_str());  // trust dir/tmp, when empty
}

Status TrustDir::check_permissions() const {
  struct stat st {};
  if (::stat(root_.c_str(), &st) != 0) return {};
  if (!S_ISDIR(st.st_mode))
    return Error(ErrorCode::kIo, "the trust dir " + root_ + " is not a folder");
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
    return Error(ErrorCode::kIo, "the trust dir " + root_ + " is writable by " +
                                     ((st.st_mode & S_IWOTH) ? "everyone" : "its group") +
                                     " (mode " + octal(st.st_mode) +
                                     "): anyone who can write there can replace trusted roots "
                                     "and pins. Fix it with: chmod go-w " +
                                     root_);
  return {};
}

Result<std::string> TrustDir::repository_dir(const registry::Reference& repository,
                                             bool create) const {
  if (repository.registry.empty() || repository.registry.find('/') != std::string::npos ||
      repository.registry == "." || repository.registry == ".." || repository.repository.empty())
    return Error(ErrorCode::kInternal, "no trust dir folder for '" + repository.name() + "'");
  const std::string registry_dir = root_ + "/tuf/" + repository.registry;
  const std::string dir = registry_dir + "/" + encode_repository_path(repository.repository);
  TRUSTCTL_TRY(fs::check_dirs_below(root_, registry_dir, create));
  // trustctl 0.1 kept a repository "team/app" in tuf/<registry>/team/app: move it into place.
  const std::string legacy = registry_dir + "/" + repository.repository;
  if (legacy != dir && !fs::exists(dir)) {
    TRUSTCTL_TRY(fs::check_dirs_below(root_, legacy, false));
    for (const char* entry : {"metadata", "trust.json", "verified.cache"}) {
      if (!fs::exists(legacy + "/" + entry)) continue;
      TRUSTCTL_TRY(fs::check_dirs_below(root_, dir, true));
      if (::rename((legacy + "/" + entry).c_str(), (dir + "/" + entry).c_str()) != 0)
        return Error(ErrorCode::kIo, "cannot move " + legacy + "/" + entry + " to " + dir);
    }
  }
  TRUSTCTL_TRY(fs::check_dirs_below(root_, dir + "/metadata", false));
  if (create) TRUSTCTL_TRY(fs::check_dirs_below(root_, dir, true));
  return dir;
}

Result<std::string> TrustDir::metadata_dir(const registry::Reference& repository,
                                           bool create) const {
  TRUSTCTL_TRY_ASSIGN(auto dir, repository_dir(repository, create));
  if (create) TRUSTCTL_TRY(fs::check_dirs_below(root_, dir + "/metadata", true));
  return dir + "/metadata";
}

Result<bool> TrustDir::has_trusted_root(const registry::Reference& repository) const {
  TRUSTCTL_TRY_ASSIGN(auto dir, metadata_dir(repository));
  return fs::exists(dir + "/root.json");
}

Result<std::string> TrustDir::trust_file(const registry::Reference& repository) const {
  TRUSTCTL_TRY_ASSIGN(auto dir, repository_dir(repository));
  return dir + "/" + std::string(kTrustFile);
}

RootOrigin TrustDir::root_origin(const registry::Reference& repository) const {
  auto path = trust_file(repository);
  if (!path) return RootOrigin::kTofu;
  auto j = read_json_object(*path);
  if (!j) return RootOrigin::kTofu;
  auto it = j->find("root_origin");
  std::string o = it != j->end() && it->is_string() ? it->get<std::string>() : "";
  if (o == "created") return RootOrigin::kCreated;
  if (o == "pinned") return RootOrigin::kPinned;
  if (o == "policy") return RootOrigin::kPolicy;
  return RootOrigin::kTofu;
}

Status TrustDir::set_root_origin(const registry::Reference& repository, RootOrigin origin) const {
  TRUSTCTL_TRY_ASSIGN(auto dir, repository_dir(repository, true));
  const std::string path = dir + "/" + std::string(kTrustFile);
  json j = json::object();
  if (auto existing = read_json_object(path)) j = *existing;
  j["root_origin"] = root_origin_name(origin);
  return fs::write_file_atomic(path, j.dump(2) + "\n", 0600);
}

std::optional<std::int64_t> TrustDir::publisher_anchor(
    const registry::Reference& repository) const {
  auto path = trust_file(repository);
  auto metadata = metadata_dir(repository);
  if (!path || !metadata) return std::nullopt;
  auto j = read_json_object(*path);
  if (!j) return std::nullopt;
  auto publisher = j->find("publisher");
  if (publisher == j->end() || !publisher->is_object()) return std::nullopt;
  auto version = publisher->find("timestamp_version");
  if (version == publisher->end() || !version->is_number_integer()) return std::nullopt;
  const std::int64_t anchor = version->get<std::int64_t>();
  // The anchor means something only together with the saved state it was recorded with.
  auto saved = saved_version(*metadata + "/timestamp.json");
  if (!saved || *saved < anchor) return std::nullopt;
  return anchor;
}

Status TrustDir::set_publisher_anchor(const registry::Reference& repository,
                                      std::int64_t timestamp_version) const {
  TRUSTCTL_TRY_ASSIGN(auto dir, repository_dir(repository, true));
  const std::string path = dir + "/" + std::string(kTrustFile);
  json j = json::object();
  if (auto existing = read_json_object(path)) j = *existing;
  j["publisher"] = {{"timestamp_version", timestamp_version}};
  return fs::write_file_atomic(path, j.dump(2) + "\n", 0600);
}

Result<std::string> TrustDir::verified_cache_file(const registry::Reference& repository) const {
  TRUSTCTL_TRY_ASSIGN(auto dir, repository_dir(repository, true));
  return dir + "/verified.cache";
}

Result<bool> TrustDir::forget(const registry::Reference& repository) const {
  TRUSTCTL_TRY_ASSIGN(auto dir, repository_dir(repository));
  bool had = false;
  std::error_code ec;
  for (const char* entry : {"metadata", "trust.json"}) {
    const std::string path = dir + "/" + std::string(entry);
    if (!fs::exists(path)) continue;
    had = true;
    std::filesystem::remove_all(path, ec);
    if (ec) return Error(ErrorCode::kIo, "cannot remove " + path + ": " + ec.message());
  }
  ::rmdir(dir.c_str());  // only when empty
  return had;
}

Result<std::vector<Pin>> TrustDir::pins() const {
  std::vector<Pin> pins;
  const std::string path = root_ + "/pins.json";
  if (!fs::exists(path)) return pins;
  TRUSTCTL_TRY_ASSIGN(auto j, read_json_object(path));
  if (!j.contains("pins") || !j["pins"].is_object())
    return Error(ErrorCode::kIo, path + " is malformed");
  for (const auto& [repo, v] : j["pins"].items()) {
    Pin p;
    p.repository = repo;
    if (!v.is_object() || !v.contains("root_keyids") || !v["root_keyids"].is_array())
      return Error(ErrorCode::kIo, path + ": pin of " + repo + " is malformed");
    for (const auto& k : v["root_keyids"])
      if (k.is_string()) p.keyids.push_back(k.get<std::string>());
    pins.push_back(p);
  }
  return pins;
}

Status TrustDir::save_pins(const std::vector<Pin>& pins) const {
  json j = {{"pins", json::object()}};
  for (const auto& p : pins) j["pins"][p.repository] = {{"root_keyids", p.keyids}};
  TRUSTCTL_TRY(fs::make_dirs(root_, 0700));
  return fs::write_file_atomic(root_ + "/pins.json", j.dump(2) + "\n", 0600);
}

Result<std::optional<Pin>> TrustDir::pin_of(const registry::Reference& repository) const {
  TRUSTCTL_TRY_ASSIGN(auto all, pins());
  for (const auto& p : all)
    if (p.repository == repository.name()) return std::optional<Pin>(p);
  return std::optional<Pin>();
}

bool TrustDir::drop_cached_blob(const std::string& digest) const {
  auto colon = digest.find(':');
  if (colon == std::string::npos || digest.find('/') != std::string::npos) return false;
  const std::string path =
      blob_cache_dir() + "/" + digest.substr(0, colon) + "/" + digest.substr(colon + 1);
  return ::unlink(path.c_str()) == 0;
}

Result<ScratchDir> TrustDir::scratch(const std::string& purpose) const {
  TRUSTCTL_TRY(fs::check_dirs_below(root_, root_ + "/tmp", true));
  std::string tmpl = root_ + "/tmp/" + purpose + "-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr)
    return Error(ErrorCode::kIo, "cannot create a folder under " + root_ + "/tmp");
  return ScratchDir(tmpl);
}

}  // namespace trustctl::trust
