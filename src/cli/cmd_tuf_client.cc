// trustctl tuf-client: a generic TUF client over plain HTTP(S), following the command-line
// contract of the tuf-conformance suite (init / refresh / download; exit 0 on success, 1 on any
// failure). It exercises the same verifier (src/tuf) that `verify` uses.
#include <ctime>
#include <ostream>

#include "command.h"
#include "trustctl/core/fs.h"
#include "trustctl/core/log.h"
#include "trustctl/http/http_client.h"
#include "trustctl/tuf/updater.h"

namespace trustctl::cli {
namespace {

// Metadata files from <metadata-url>/<name>.
class HttpMetadataSource : public tuf::MetadataSource {
 public:
  HttpMetadataSource(std::string base_url, long timeout_ms) : base_(std::move(base_url)) {
    while (!base_.empty() && base_.back() == '/') base_.pop_back();
    http::ClientOptions options;
    options.max_attempts = 1;
    options.timeout_ms = timeout_ms;
    options.user_agent = "trustctl-tuf-client";
    client_ = http::make_curl_client(options);
  }

  Result<std::string> fetch(const std::string& name, std::uint64_t max_length) override {
    return get(base_ + "/" + name, max_length);
  }

  Result<std::string> get(const std::string& url, std::uint64_t max_length) {
    http::Request request;
    request.url = url;
    request.max_response_bytes = max_length;
    TRY_ASSIGN(auto response, client_->send(request));
    if (response.status == 404 || response.status == 403)
      return Error(ErrorCode::kNotFound, url + ": HTTP " + std::to_string(response.status));
    if (response.status < 200 || response.status > 299)
      return Error(ErrorCode::kNetwork, url + ": HTTP " + std::to_string(response.status));
    if (response.body.size() > max_length)
      return Error(ErrorCode::kIntegrity,
                   url + ": more than " + std::to_string(max_length) + " bytes");
    return std::move(response.body);
  }

 private:
  std::string base_;
  std::unique_ptr<http::HttpClient> client_;
};

struct Flags {
  std::string metadata_dir;
  std::string metadata_url;
  std::vector<std::string> target_names;
  std::string target_base_url;
  std::string target_dir;
};

Status init(const Flags& f, const std::vector<std::string>& args) {
  if (args.size() != 2) return Error(ErrorCode::kUsage, "usage: init TRUSTED_ROOT");
  TRY_ASSIGN(auto bytes, fs::read_file(args[1]));
  // Refuse a file that is not a root signed by its own keys: it would fail every refresh.
  auto root = tuf::TrustedSet::create(bytes, std::time(nullptr));
  if (!root) return root.error().wrap(args[1]);
  TRY(fs::make_dirs(f.metadata_dir, 0700));
  return fs::write_file_atomic(f.metadata_dir + "/root.json", bytes, 0600);
}

tuf::Updater make_updater(const Flags& f, HttpMetadataSource& source) {
  tuf::UpdaterConfig config;
  config.metadata_dir = f.metadata_dir;
  config.source = &source;
  config.clock = [] { return static_cast<std::int64_t>(std::time(nullptr)); };
  return tuf::Updater(config);
}

Status download(const Flags& f, tuf::Updater& updater, HttpMetadataSource& source) {
  if (f.target_names.empty() || f.target_base_url.empty() || f.target_dir.empty())
    return Error(ErrorCode::kUsage,
                 "download needs --target-name, --target-base-url and --target-dir");
  TRY(updater.refresh());
  std::string base = f.target_base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  for (const auto& name : f.target_names) {
    TRY_ASSIGN(auto info, updater.get_targetinfo(name));
    const std::string path = f.target_dir + "/" + http::url_encode(name);
    if (auto cached = fs::read_file(path); cached && info.verify(*cached, name)) {
      log::debug("target '" + name + "' is cached");
      continue;
    }
    std::string remote = name;
    if (updater.consistent_snapshot() && !info.hashes.empty()) {
      const auto slash = name.rfind('/');
      const std::string hash = info.hashes.begin()->second;
      remote = slash == std::string::npos
                   ? hash + "." + name
                   : name.substr(0, slash + 1) + hash + "." + name.substr(slash + 1);
    }
    TRY_ASSIGN(auto bytes,
               source.get(base + "/" + remote, static_cast<std::uint64_t>(info.length)));
    TRY(info.verify(bytes, name));
    TRY(fs::make_dirs(f.target_dir, 0700));
    TRY(fs::write_file_atomic(path, bytes, 0644));
  }
  return {};
}

Status run_checked(const Invocation& inv, bool& help) {
  cxxopts::Options options(inv.program,
                           "A TUF client (spec 1.0.x) for the tuf-conformance suite and for "
                           "checking any TUF repository served over HTTP.\n\nUsage:\n"
                           "  trustctl tuf-client --metadata-dir DIR init TRUSTED_ROOT\n"
                           "  trustctl tuf-client --metadata-dir DIR --metadata-url URL refresh\n"
                           "  trustctl tuf-client --metadata-dir DIR --metadata-url URL "
                           "--target-name NAME --target-base-url URL --target-dir DIR download\n"
                           "Exit 0 on success, 1 on any failure (the reason is on stderr).");
  options.add_options()("metadata-dir", "Trusted metadata directory",
                        cxxopts::value<std::string>())("metadata-url", "Base URL of the metadata",
                                                       cxxopts::value<std::string>())(
      "target-name", "Target to download (repeatable)", cxxopts::value<std::vector<std::string>>())(
      "target-base-url", "Base URL of the targets", cxxopts::value<std::string>())(
      "target-dir", "Where downloaded targets are written", cxxopts::value<std::string>());
  TRY_ASSIGN(auto p, parse(options, inv));
  if (p.help) {
    help = true;
    return {};
  }
  Flags f;
  if (p.flags.count("metadata-dir")) f.metadata_dir = p.flags["metadata-dir"].as<std::string>();
  if (p.flags.count("metadata-url")) f.metadata_url = p.flags["metadata-url"].as<std::string>();
  if (p.flags.count("target-name"))
    f.target_names = p.flags["target-name"].as<std::vector<std::string>>();
  if (p.flags.count("target-base-url"))
    f.target_base_url = p.flags["target-base-url"].as<std::string>();
  if (p.flags.count("target-dir")) f.target_dir = p.flags["target-dir"].as<std::string>();
  if (p.positional.empty())
    return Error(ErrorCode::kUsage, "tuf-client needs a command: init, refresh or download");
  if (f.metadata_dir.empty()) return Error(ErrorCode::kUsage, "--metadata-dir is required");
  const std::string& command = p.positional[0];
  if (command == "init") return init(f, p.positional);
  if (command != "refresh" && command != "download")
    return Error(ErrorCode::kUsage, "unknown tuf-client command '" + command + "'");
  if (p.positional.size() != 1) return Error(ErrorCode::kUsage, command + " takes no arguments");
  if (f.metadata_url.empty()) return Error(ErrorCode::kUsage, "--metadata-url is required");
  HttpMetadataSource source(f.metadata_url, p.global.timeout_ms);
  auto updater = make_updater(f, source);
  if (command == "refresh") return updater.refresh();
  return download(f, updater, source);
}

Status run(const Invocation& inv) {
  bool help = false;
  auto s = run_checked(inv, help);
  if (s) return {};
  // The conformance contract: exit 1 on any failure, whatever its class.
  return Error(
      ErrorCode::kInternal,
      "tuf-client: " + std::string(error_code_name(s.error().code())) + ": " + s.error().message());
}

}  // namespace

Command tuf_client_command() {
  return {"tuf-client", "A plain TUF client (tuf-conformance contract; exits 0 or 1)", run};
}

}  // namespace trustctl::cli
