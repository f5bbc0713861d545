// trustctl env, trustctl version, and trustctl tuf-client (a plain TUF client with the
// tuf-conformance command line, over the same verifier `verify` uses).
#include <curl/curl.h>
#include <openssl/opensslv.h>

#include <ctime>

#include "render/emit.h"
#include "render/tools.h"
#include "trustctl/core/fs.h"
#include "trustctl/core/log.h"
#include "trustctl/trust/http_source.h"
#include "trustctl/tuf/trusted_set.h"

namespace trustctl::cli {
namespace {

Status env(Context& ctx) {
  emit(ctx, EnvReport{});
  return {};
}

Status version(Context& ctx) {
  emit(ctx, VersionReport{TRUSTCTL_VERSION, OPENSSL_VERSION_TEXT,
                          curl_version_info(CURLVERSION_NOW)->version});
  return {};
}

Status tuf_init(const std::string& metadata_dir, const std::string& root_file) {
  TRUSTCTL_TRY_ASSIGN(auto bytes, fs::read_file(root_file));
  // Refuse a file that is not a root signed by its own keys: it would fail every refresh.
  auto root = tuf::TrustedSet::create(bytes, std::time(nullptr));
  if (!root) return root.error().wrap(root_file);
  TRUSTCTL_TRY(fs::make_dirs(metadata_dir, 0700));
  return fs::write_file_atomic(metadata_dir + "/root.json", bytes, 0600);
}

// The consistent-snapshot URL path of a target: "dir/<hash>.name".
std::string remote_name(const std::string& name, const tuf::TargetFile& info, bool consistent) {
  if (!consistent || info.hashes.empty()) return name;
  const auto slash = name.rfind('/');
  const std::string hash = info.hashes.begin()->second;
  return slash == std::string::npos
             ? hash + "." + name
             : name.substr(0, slash + 1) + hash + "." + name.substr(slash + 1);
}

Status tuf_download(Context& ctx, tuf::Updater& updater, trust::HttpMetadataSource& source) {
  const auto names = ctx.values("target-name");
  auto base = ctx.value("target-base-url");
  auto dir = ctx.value("target-dir");
  if (names.empty() || !base || !dir)
    return Error(ErrorCode::kUsage,
                 "download needs --target-name, --target-base-url and --target-dir");
  while (!base->empty() && base->back() == '/') base->pop_back();
  TRUSTCTL_TRY(updater.refresh());
  for (const auto& name : names) {
    TRUSTCTL_TRY_ASSIGN(auto info, updater.get_targetinfo(name));
    const std::string path = *dir + "/" + http::url_encode(name);
    if (auto cached = fs::read_file(path); cached && info.verify(*cached, name)) {
      log::debug("target '" + name + "' is cached");
      continue;
    }
    const std::string url = *base + "/" + remote_name(name, info, updater.consistent_snapshot());
    TRUSTCTL_TRY_ASSIGN(auto bytes, source.get(url, static_cast<std::uint64_t>(info.length)));
    TRUSTCTL_TRY(info.verify(bytes, name));
    TRUSTCTL_TRY(fs::make_dirs(*dir, 0700));
    TRUSTCTL_TRY(fs::write_file_atomic(path, bytes, 0644));
  }
  return {};
}

Status tuf_client_checked(Context& ctx) {
  auto metadata_dir = ctx.value("metadata-dir");
  if (!metadata_dir) return Error(ErrorCode::kUsage, "--metadata-dir is required");
  const std::string& command = ctx.args[0];
  if (command == "init") {
    if (ctx.args.size() != 2) return Error(ErrorCode::kUsage, "usage: init TRUSTED_ROOT");
    return tuf_init(*metadata_dir, ctx.args[1]);
  }
  if (command != "refresh" && command != "download")
    return Error(ErrorCode::kUsage, "unknown tuf-client command '" + command + "'");
  if (ctx.args.size() != 1) return Error(ErrorCode::kUsage, command + " takes no arguments");
  auto metadata_url = ctx.value("metadata-url");
  if (!metadata_url) return Error(ErrorCode::kUsage, "--metadata-url is required");
  trust::HttpMetadataSource source(*metadata_url, ctx.global.timeout_ms);
  tuf::UpdaterConfig config;
  config.metadata_dir = *metadata_dir;
  config.source = &source;
  config.clock = [] { return static_cast<std::int64_t>(std::time(nullptr)); };
  tuf::Updater updater(config);
  if (command == "refresh") return updater.refresh();
  return tuf_download(ctx, updater, source);
}

Status tuf_client(Context& ctx) {
  auto s = tuf_client_checked(ctx);
  if (s) return {};
  // The conformance contract: exit 1 on any failure, whatever its class.
  return Error(
      ErrorCode::kInternal,
      "tuf-client: " + std::string(error_code_name(s.error().code())) + ": " + s.error().message());
}

}  // namespace

std::vector<CommandSpec> tool_commands() {
  return {
      {"env",
       "List the environment variables trustctl reads",
       "List every environment variable trustctl reads and whether it is set. Values of "
       "sensitive variables are never shown.",
       {},
       {},
       0,
       {"trustctl env", "trustctl env -o json"},
       {},
       env},
      {"version",
       "Print the version of trustctl and its libraries",
       "Print the version of trustctl and of the OpenSSL and libcurl it runs with.",
       {},
       {},
       0,
       {"trustctl version", "trustctl --version"},
       {},
       version},
      {"tuf-client",
       "A plain TUF client (tuf-conformance contract; exits 0 or 1)",
       "A TUF client (spec 1.0.x) for the tuf-conformance suite and for checking any TUF "
       "repository served over HTTP. Exit 0 on success, 1 on any failure (the reason is on "
       "stderr).",
       {{"init|refresh|download", "what to do", ValueKind::kText},
        {"TRUSTED_ROOT", "(init) the root to start from", ValueKind::kFile, 0, 1}},
       {{"metadata-dir", '\0', "DIR", "Trusted metadata directory", ValueKind::kDir},
        {"metadata-url", '\0', "URL", "Base URL of the metadata", ValueKind::kText},
        {"target-name", '\0', "NAME", "Target to download", ValueKind::kText, true},
        {"target-base-url", '\0', "URL", "Base URL of the targets", ValueKind::kText},
        {"target-dir", '\0', "DIR", "Where downloaded targets are written", ValueKind::kDir}},
       0,
       {"trustctl tuf-client --metadata-dir md init root.json",
        "trustctl tuf-client --metadata-dir md --metadata-url http://host/metadata refresh"},
       {},
       tuf_client},
  };
}

}  // namespace trustctl::cli
