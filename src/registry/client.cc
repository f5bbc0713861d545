#include "trustctl/registry/client.h"

#include <dirent.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "client_internal.h"
#include "contact.h"
#include "trustctl/auth/credentials.h"
#include "trustctl/core/fs.h"
#include "trustctl/core/log.h"
#include "trustctl/core/untrusted_json.h"
#include "trustctl/registry/digest.h"
#include "trustctl/registry/reference.h"

namespace trustctl::registry {
namespace {

using nlohmann::json;

constexpr std::uint64_t kMaxBlobBytes = std::uint64_t{64} << 30;  // when the size is unknown
constexpr int kMaxTagPages = 10000;
constexpr int kManifestPutAttempts = 4;

bool matches_host(const std::string& pattern, const std::string& host_port) {
  if (pattern == host_port) return true;
  // "host" also covers "host:port".
  return host_port.rfind(pattern + ":", 0) == 0;
}

http::TlsFiles tls_files_for(const std::vector<std::string>& certs_dirs, bool insecure,
                             const std::string& host_port) {
  http::TlsFiles tls;
  tls.verify = !insecure;
  for (const auto& root : certs_dirs) {
    std::string dir = root + "/" + host_port;
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) continue;
    std::vector<std::string> names;
    while (dirent* e = ::readdir(d)) names.emplace_back(e->d_name);
    ::closedir(d);
    std::sort(names.begin(), names.end());
    for (const auto& n : names) {
      auto ends = [&](std::string_view s) {
        return n.size() > s.size() && n.compare(n.size() - s.size(), s.size(), s) == 0;
      };
      if (ends(".crt")) tls.ca_files.push_back(dir + "/" + n);
      if (ends(".cert")) {
        std::string key = dir + "/" + n.substr(0, n.size() - 5) + ".key";
        if (fs::exists(key)) {
          tls.client_cert = dir + "/" + n;
          tls.client_key = key;
        }
      }
    }
    break;  // the first folder that has the host wins, like docker
  }
  return tls;
}

// The registry's error codes and messages ("CODE: message; ..."), else the start of the body.
// A body nested deeper than any honest answer is refused (kIntegrity).
Result<std::string> describe_errors(const std::string& body) {
  auto j = parse_untrusted_json(body, "its error body", ErrorCode::kProtocol);
  if (!j && j.error().code() == ErrorCode::kIntegrity) return j.error();
  if (!j || !j->is_object() || !j->contains("errors") || !(*j)["errors"].is_array()) {
    std::string text = body.substr(0, 200);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    return text;
  }
  std::string out;
  for (const auto& e : (*j)["errors"]) {
    if (!e.is_object()) continue;
    if (!out.empty()) out += "; ";
    if (e.contains("code") && e["code"].is_string()) out += e["code"].get<std::string>();
    if (e.contains("message") && e["message"].is_string())
      out += (out.empty() ? "" : ": ") + e["message"].get<std::string>();
  }
  return out;
}

std::string describe_or_refusal(const std::string& body) {
  auto d = describe_errors(body);
  return d ? *d : d.error().message();
}

// A Content-Length or descriptor size the registry sent: a plain decimal within the cap.
std::optional<std::int64_t> parse_size(std::string_view text) {
  if (text.empty() || text.size() > 19 ||
      text.find_first_not_of("0123456789") != std::string_view::npos)
    return std::nullopt;
  std::int64_t v = std::strtoll(std::string(text).c_str(), nullptr, 10);
  if (v < 0 || v > kMaxDescriptorSize) return std::nullopt;
  return v;
}

// Parses `Link: <url>; rel="next"`.
std::optional<std::string> next_link(const http::Response& resp) {
  for (const auto& value : resp.headers.get_all("Link")) {
    auto open = value.find('<');
    auto close = value.find('>');
    if (open == std::string::npos || close == std::string::npos || close < open) continue;
    if (value.find("rel=\"next\"", close) == std::string::npos &&
        value.find("rel=next", close) == std::string::npos)
      continue;
    return value.substr(open + 1, close - open - 1);
  }
  return std::nullopt;
}

bool is_digest(const std::string& reference) { return reference.find(':') != std::string::npos; }

}  // namespace

namespace detail {

// The "code" of each entry of a registry error body.
std::vector<std::string> error_codes(const std::string& body) {
  std::vector<std::string> codes;
  auto j = parse_untrusted_json(body, "error body", ErrorCode::kProtocol);
  if (!j || !j->is_object()) return codes;
  auto errors = j->find("errors");
  if (errors == j->end() || !errors->is_array()) return codes;
  for (const auto& e : *errors) {
    if (e.is_object() && e.contains("code") && e["code"].is_string())
      codes.push_back(e["code"].get<std::string>());
  }
  return codes;
}

// registry:2 (2.8) answers a manifest PUT with these while another writer uploads one of its
// blobs at the same moment; the blobs are there once that upload ends.
bool is_transient_put_refusal(const http::Response& resp) {
  if (resp.status != 400) return false;
  for (const auto& code : error_codes(resp.body)) {
    if (code == "MANIFEST_BLOB_UNKNOWN" || code == "BLOB_UNKNOWN" || code == "DIGEST_INVALID")
      return true;
  }
  return false;
}

}  // namespace detail

using detail::is_transient_put_refusal;

Error registry_error(const std::string& what, const http::Response& response) {
  std::string message = what + ": HTTP " + std::to_string(response.status);
  auto detail = describe_errors(response.body);
  if (!detail) return detail.error().wrap(message);
  if (!detail->empty()) message += " (" + *detail + ")";
  ErrorCode code = ErrorCode::kProtocol;
  switch (response.status) {
    case 401:
    case 403:
      code = ErrorCode::kAuth;
      break;
    case 404:
      code = ErrorCode::kNotFound;
      break;
    case 405:
      code = ErrorCode::kUnsupported;
      break;
    case 429:
      code = ErrorCode::kNetwork;
      break;
    default:
      if (response.status >= 500) code = ErrorCode::kNetwork;
  }
  return Error(code, message);
}

std::unique_ptr<RegistryClient> RegistryClient::create(std::string registry_host,
                                                       RegistryOptions options) {
  return std::unique_ptr<RegistryClient>(
      new RegistryClient(std::move(registry_host), std::move(options)));
}

RegistryClient::RegistryClient(std::string host, RegistryOptions options)
    : host_(std::move(host)), options_(std::move(options)) {
  for (const auto& pattern : options_.insecure_registries)
    insecure_ = insecure_ || matches_host(pattern, host_);
  if (options_.certs_dirs.empty()) {
    options_.certs_dirs = {fs::home_dir() + "/.docker/certs.d", "/etc/docker/certs.d"};
  }
  if (!options_.credentials) {
    auto config = std::make_shared<auth::DockerConfig>();
    options_.credentials = [config](const std::string& h) { return config->lookup(h); };
  }
  if (options_.transport != nullptr) {
    transport_ = options_.transport;
  } else {
    http::ClientOptions http_options = options_.http;
    auto dirs = options_.certs_dirs;
    auto insecure_list = options_.insecure_registries;
    http_options.tls_for_host = [dirs, insecure_list](const std::string& host_port) {
      bool insecure = false;
      for (const auto& p : insecure_list) insecure = insecure || matches_host(p, host_port);
      return tls_files_for(dirs, insecure, host_port);
    };
    owned_transport_ = http::make_curl_client(std::move(http_options));
    transport_ = owned_transport_.get();
  }
  authenticator_ = std::make_unique<auth::Authenticator>(*transport_, options_.credentials);
  recall_contact();
}

RegistryClient::~RegistryClient() { remember_contact(); }

void RegistryClient::recall_contact() {
  if (options_.contact_dir.empty()) return;
  contact_path_ = options_.contact_dir + "/" + detail::contact_file_name(host_);
  if (!fs::check_dirs_below(options_.contact_base, options_.contact_dir, false)) {
    contact_path_.clear();
    return;
  }
  auto contact = detail::read_contact(contact_path_, host_,
                                      [this] { return authenticator_->credentials(host_); });
  if (!contact) return;
  // Plain HTTP stays what it is without a memo: loopback or --insecure-registry only.
  if (contact->scheme == "http" && !(insecure_ || is_loopback_host(host_))) return;
  scheme_ = contact->scheme;
  scheme_recalled_ = true;
  authenticator_->recall(host_, contact->auth);
  std::optional<auth::Credentials> creds;
  if (!contact->auth.tokens.empty()) {
    auto found = authenticator_->credentials(host_);  // looked up by read_contact already
    if (found) creds = *found;
  }
  contact_text_ = detail::contact_text(host_, *contact, creds);
  log::debug("registry " + host_ + ": " + scheme_ + ", as remembered in " + contact_path_);
}

void RegistryClient::remember_contact() {
  if (contact_path_.empty() || scheme_.empty() || scheme_recalled_) return;
  detail::Contact contact{scheme_, authenticator_->memo(host_)};
  std::optional<auth::Credentials> creds;
  if (!contact.auth.tokens.empty()) {
    auto found = authenticator_->credentials(host_);
    if (!found) return;
    creds = *found;
  }
  std::string text = detail::contact_text(host_, contact, creds);
  if (text == contact_text_) return;
  Status written = fs::check_dirs_below(options_.contact_base, options_.contact_dir, true);
  if (written) written = fs::write_file_atomic(contact_path_, text, 0600);
  if (!written)
    log::debug("cannot remember the contact with " + host_ + ": " + written.error().message());
}

std::string RegistryClient::base_url() const { return scheme_ + "://" + host_; }

Status RegistryClient::ensure_scheme() {
  if (!scheme_.empty()) return {};
  const bool may_use_http = insecure_ || is_loopback_host(host_);
  http::Request probe;
  probe.url = "https://" + host_ + "/v2/";
  probe.max_response_bytes = 64 * 1024;
  // Retried like every GET (5xx, 429, dropped connections); the failed handshake of a
  // plain-HTTP server is not transient, so it is not repeated.
  probe.retryable = true;
  ++requests_;
  auto https = transport_->send(probe);
  if (https) {
    scheme_ = "https";
  } else {
    auto failure = transport_->last_failure();
    // A plain-HTTP server answers a TLS hello with garbage: the handshake fails.
    bool speaks_plain = failure == http::TransportFailure::kTlsHandshake;
    if (!may_use_http || !speaks_plain) {
      if (speaks_plain)
        return https.error().wrap("registry " + host_ +
                                  " does not speak HTTPS; plain HTTP is allowed only for "
                                  "localhost or with --insecure-registry " +
                                  host_);
      return https.error();
    }
    probe.url = "http://" + host_ + "/v2/";
    ++requests_;
    TRUSTCTL_TRY_ASSIGN(auto plain, transport_->send(probe));
    log::debug("registry " + host_ + " speaks plain HTTP");
    scheme_ = "http";
    https = std::move(plain);
  }
  const auto& resp = *https;
  if (resp.status >= 500 || resp.status == 429) {
    std::string detail = describe_or_refusal(resp.body);
    return Error(ErrorCode::kNetwork,
                 "registry " + host_ + " answered GET " + base_url() + "/v2/ with HTTP " +
                     std::to_string(resp.status) + (detail.empty() ? "" : " (" + detail + ")") +
                     " on every attempt: the registry is failing; try again later");
  }
  if (resp.status != 200 && resp.status != 401) {
    return Error(ErrorCode::kProtocol, base_url() + "/v2/ answered HTTP " +
                                           std::to_string(resp.status) +
                                           ": not an OCI distribution (registry v2) endpoint");
  }
  if (auto version = resp.headers.get("Docker-Distribution-Api-Version");
      version && *version != "registry/2.0") {
    return Error(ErrorCode::kProtocol,
                 host_ + " speaks registry API '" + *version + "', trustctl needs registry/2.0");
  }
  return {};
}

Status RegistryClient::ping() {
  TRUSTCTL_TRY(ensure_scheme());
  http::Request req;
  req.url = "/v2/";
  req.max_response_bytes = 64 * 1024;
  TRUSTCTL_TRY_ASSIGN(auto resp, send(std::move(req), {}));
  if (resp.status != 200) return registry_error("GET " + base_url() + "/v2/", resp);
  return {};
}

Result<http::Response> RegistryClient::send(http::Request req,
                                            const std::vector<std::string>& scopes) {
  TRUSTCTL_TRY(ensure_scheme());
  // A remembered scheme is checked by the first request made with it: if the registry has
  // changed between HTTP and HTTPS since, the memo is dropped and the registry asked again.
  std::optional<http::Request> unsent;
  if (scheme_recalled_ && !req.body_reader && !req.url.empty() && req.url.front() == '/')
    unsent = req;
  if (!req.url.empty() && req.url.front() == '/') req.url = base_url() + req.url;
  // An absolute URL the registry named (an upload Location, a Link) may point anywhere: only
  // the registry's own scheme://host:port gets its credentials.
  const bool own_origin = http::iequals(http::url_origin(req.url), base_url());
  if (!own_origin) {
    req.headers.remove("Authorization");
    log::debug(req.method + " " + req.url + ": another origin than " + base_url() +
               ", sent without credentials");
  } else if (auto a = authenticator_->authorization(host_, scopes)) {
    req.headers.set("Authorization", *a);
  }
  ++requests_;
  auto sent = transport_->send(req);
  if (unsent) {
    const auto failure = sent ? http::TransportFailure::kNone : transport_->last_failure();
    const bool stale =
        failure == http::TransportFailure::kTlsHandshake ||
        failure == http::TransportFailure::kConnect ||
        (sent && scheme_ == "http" && sent->status == 400 &&
         !sent->headers.get("Docker-Distribution-Api-Version"));  // a TLS port asked in clear
    if (stale) {
      log::debug("the remembered scheme of " + host_ + " (" + scheme_ +
                 ") no longer works; asking the registry again");
      scheme_.clear();
      scheme_recalled_ = false;
      contact_text_.clear();
      return send(std::move(*unsent), scopes);
    }
  }
  if (!sent) return sent.error();
  scheme_recalled_ = false;
  auto resp = std::move(sent).value();
  // The URL that answered, after redirects: a 401 from anywhere else than this registry (where
  // a blob GET was redirected) is never answered with its credentials (the Authenticator
  // refuses it, and so does this function after the second round).
  auto answered_by = [&req](const http::Response& r) { return r.url.empty() ? req.url : r.url; };
  if (resp.status == 401) {
    auto challenge = resp.headers.get("WWW-Authenticate");
    if (!challenge) return registry_error(req.method + " " + req.url, resp);
    auto value = authenticator_->respond(host_, answered_by(resp), *challenge, scopes);
    if (!value) return value.error();
    req.headers.set("Authorization", *value);
    if (req.body_reader) {
      if (!req.body_rewind)
        return Error(ErrorCode::kInternal, req.method + " " + req.url + ": cannot send it again");
      TRUSTCTL_TRY(req.body_rewind());
    }
    ++requests_;
    TRUSTCTL_TRY_ASSIGN(resp, transport_->send(req));
    if (resp.status == 401) {
      if (auto own = auth::check_challenger(host_, answered_by(resp)); !own)
        return own.error().wrap(req.method + " " + req.url);
      authenticator_->forget(host_);
      return Error(ErrorCode::kAuth, "authentication failed for " + host_ + ": " + req.method +
                                         " " + req.url +
                                         " was refused with the credentials "
                                         "given (" +
                                         describe_or_refusal(resp.body) + ")");
    }
  }
  bytes_received_ += resp.body_bytes;
  return resp;
}

Result<Manifest> RegistryClient::get_manifest(const std::string& repository,
                                              const std::string& reference) {
  http::Request req;
  req.url = "/v2/" + repository + "/manifests/" + reference;
  req.headers.set("Accept", manifest_accept_header());
  req.max_response_bytes = options_.max_manifest_bytes;
  const std::string what =
      "manifest " + host_ + "/" + repository + (is_digest(reference) ? "@" : ":") + reference;
  auto sent = send(std::move(req), {auth::repository_scope(repository, "pull")});
  if (!sent) return sent.error().wrap(what);
  auto& resp = *sent;
  if (resp.status != 200) return registry_error(what, resp);

  if (is_digest(reference)) {
    TRUSTCTL_TRY_ASSIGN(auto want, Digest::parse(reference));
    if (!(Digest::of(resp.body, want.algorithm()) == want)) {
      return Error(ErrorCode::kIntegrity,
                   what + ": the registry served bytes that do not match the digest (got " +
                       Digest::of(resp.body, want.algorithm()).string() + ")");
    }
  } else if (auto header = resp.headers.get("Docker-Content-Digest")) {
    auto claimed = Digest::parse(*header, false);
    if (!claimed) return claimed.error().wrap(what + ": Docker-Content-Digest");
    if (!(Digest::of(resp.body, claimed->algorithm()) == *claimed)) {
      return Error(ErrorCode::kIntegrity, what +
                                              ": body does not match the registry's own "
                                              "Docker-Content-Digest " +
                                              *header);
    }
  }
  auto manifest =
      parse_manifest(std::move(resp.body), resp.headers.get("Content-Type").value_or(""));
  if (!manifest) return manifest.error().wrap(what);
  return manifest;
}

Result<Descriptor> RegistryClient::head_manifest(const std::string& repository,
                                                 const std::string& reference) {
  http::Request req;
  req.method = "HEAD";
  req.url = "/v2/" + repository + "/manifests/" + reference;
  req.headers.set("Accept", manifest_accept_header());
  const std::string what =
      "manifest " + host_ + "/" + repository + (is_digest(reference) ? "@" : ":") + reference;
  auto sent = send(std::move(req), {auth::repository_scope(repository, "pull")});
  if (!sent) return sent.error().wrap(what);
  auto& resp = *sent;
  if (resp.status != 200) return registry_error(what, resp);
  auto header = resp.headers.get("Docker-Content-Digest");
  auto length = resp.headers.get("Content-Length");
  auto type = resp.headers.get("Content-Type");
  if (!header || !length || !type || !is_manifest_media_type(type->substr(0, type->find(';')))) {
    TRUSTCTL_TRY_ASSIGN(auto m, get_manifest(repository, reference));
    return m.descriptor;
  }
  auto digest = Digest::parse(*header, false);
  if (!digest) return digest.error().wrap(what);
  if (is_digest(reference) && digest->string() != reference)
    return Error(ErrorCode::kIntegrity, what + ": registry answered for digest " + *header);
  auto size = parse_size(*length);
  if (!size)
    return Error(ErrorCode::kIntegrity,
                 what + ": the registry sent an impossible Content-Length '" + *length + "'");
  Descriptor d;
  d.digest = digest->string();
  d.media_type = type->substr(0, type->find(';'));
  d.size = *size;
  return d;
}

Result<Descriptor> RegistryClient::put_manifest(const std::string& repository,
                                                const std::string& reference,
                                                const std::string& media_type,
                                                const std::string& bytes) {
  Descriptor d;
  d.media_type = media_type;
  d.digest = Digest::of(bytes).string();
  d.size = static_cast<std::int64_t>(bytes.size());
  const std::string what =
      "PUT manifest " + host_ + "/" + repository + (is_digest(reference) ? "@" : ":") + reference;
  if (is_digest(reference) && reference != d.digest)
    return Error(ErrorCode::kInternal, what + ": the bytes have digest " + d.digest);
  http::Request req;
  req.method = "PUT";
  req.url = "/v2/" + repository + "/manifests/" + reference;
  req.headers.set("Content-Type", media_type);
  req.body = bytes;
  req.retryable = true;  // 5xx and dropped connections: the transport repeats it
  // A 400 saying a blob is unknown or its digest invalid, right after the blobs were pushed, is
  // registry:2 racing another writer that uploads the same blob: repeated after a jittered
  // back-off, a bounded number of times, then reported as the registry's answer.
  const std::vector<std::string> scopes = {auth::repository_scope(repository, "pull,push")};
  std::mt19937 rng(std::random_device{}());
  auto sent = send(req, scopes);
  for (int attempt = 2; sent && is_transient_put_refusal(*sent) && attempt <= kManifestPutAttempts;
       ++attempt) {
    const long base = options_.http.backoff_ms << (attempt - 2);  // 200, 400, 800 ms by default
    const long delay = std::uniform_int_distribution<long>(base / 2, base + base / 2)(rng);
    log::debug(what + ": HTTP 400 (" + describe_or_refusal(sent->body) + "), attempt " +
               std::to_string(attempt) + " of " + std::to_string(kManifestPutAttempts) + " in " +
               std::to_string(delay) + " ms");
    std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    sent = send(req, scopes);
  }
  if (!sent) return sent.error().wrap(what);
  if (sent->status != 201 && sent->status != 200 && sent->status != 202) {
    Error e = registry_error(what, *sent);
    if (is_transient_put_refusal(*sent))
      return Error(e.code(),
                   e.message() + " after " + std::to_string(kManifestPutAttempts) + " attempts");
    return e;
  }
  if (auto header = sent->headers.get("Docker-Content-Digest"); header && *header != d.digest) {
    return Error(ErrorCode::kIntegrity,
                 what + ": registry stored digest " + *header + ", expected " + d.digest);
  }
  return d;
}

Status RegistryClient::delete_object(const std::string& repository, std::string_view kind,
                                     const std::string& digest) {
  TRUSTCTL_TRY(Digest::parse(digest));
  http::Request req;
  req.method = "DELETE";
  req.url = "/v2/" + repository + "/" + std::string(kind) + "s/" + digest;
  req.retryable = true;
  const std::string what =
      "DELETE " + std::string(kind) + " " + host_ + "/" + repository + "@" + digest;
  auto sent = send(std::move(req), {auth::repository_scope(repository, "delete")});
  if (!sent) return sent.error().wrap(what);
  if (sent->status != 202 && sent->status != 200 && sent->status != 204)
    return registry_error(what, *sent);
  return {};
}

Status RegistryClient::delete_manifest(const std::string& repository, const std::string& digest) {
  return delete_object(repository, "manifest", digest);
}

Status RegistryClient::get_blob(const std::string& repository, const std::string& digest,
                                std::int64_t expected_size,
                                const std::function<bool(std::string_view)>& write,
                                const std::function<void()>& restart,
                                const TransferProgress& progress) {
  // The verifier stops a body past the expected size; the transport cap (which also sets the
  // request's deadline) leaves room for an error answer's JSON body.
  const std::uint64_t cap =
      expected_size >= 0 ? std::max<std::uint64_t>(expected_size, 64 * 1024) : kMaxBlobBytes;
  return stream_blob(repository, digest, expected_size, cap, write, restart, progress);
}

Status RegistryClient::stream_blob(const std::string& repository, const std::string& digest,
                                   std::int64_t expected_size, std::uint64_t cap,
                                   const std::function<bool(std::string_view)>& write,
                                   const std::function<void()>& restart,
                                   const TransferProgress& progress) {
  TRUSTCTL_TRY_ASSIGN(auto want, Digest::parse(digest, false));
  const std::string what = "blob " + host_ + "/" + repository + "@" + digest;
  DigestVerifier verifier(want, expected_size);
  bool oversize = false;
  http::Request req;
  req.url = "/v2/" + repository + "/blobs/" + digest;
  req.max_response_bytes = cap;
  req.on_data = [&](std::string_view chunk) {
    if (!verifier.update(chunk)) {
      oversize = true;
      return false;
    }
    if (progress) progress(static_cast<std::int64_t>(verifier.size()));
    return write(chunk);
  };
  req.on_restart = [&] {
    verifier.reset();
    if (restart) restart();
    if (progress) progress(0);
  };
  auto sent = send(std::move(req), {auth::repository_scope(repository, "pull")});
  if (!sent) {
    if (oversize || sent.error().code() == ErrorCode::kIntegrity)
      return Error(ErrorCode::kIntegrity,
                   what + ": the registry sent more than " +
                       (expected_size >= 0 ? "the expected " + std::to_string(expected_size)
                                           : "the limit of " + std::to_string(cap)) +
                       " bytes");
    return sent.error().wrap(what);
  }
  if (sent->status != 200) return registry_error(what, *sent);
  return verifier.finish(what);
}

Result<std::string> RegistryClient::fetch_blob(const std::string& repository,
                                               const std::string& digest, std::uint64_t max_bytes) {
  std::string data;
  bool too_big = false;
  auto st = stream_blob(
      repository, digest, -1, std::max<std::uint64_t>(max_bytes, 64 * 1024),
      [&](std::string_view chunk) {
        if (data.size() + chunk.size() > max_bytes) {
          too_big = true;
          return false;
        }
        data.append(chunk);
        return true;
      },
      [&] { data.clear(); }, {});
  if (too_big)
    return Error(ErrorCode::kIntegrity, "blob " + digest + " is larger than the limit of " +
                                            std::to_string(max_bytes) + " bytes");
  if (!st) return st.error();
  return data;
}

Status RegistryClient::delete_blob(const std::string& repository, const std::string& digest) {
  return delete_object(repository, "blob", digest);
}

Result<std::vector<std::string>> RegistryClient::list_tags(const std::string& repository) {
  TRUSTCTL_TRY(ensure_scheme());
  std::vector<std::string> tags;
  std::string next = "/v2/" + repository + "/tags/list";
  const std::string what = "tags of " + host_ + "/" + repository;
  for (int page = 0; !next.empty(); ++page) {
    if (page >= kMaxTagPages) return Error(ErrorCode::kProtocol, what + ": too many pages");
    http::Request req;
    req.url = next;
    req.max_response_bytes = 32 * 1024 * 1024;
    auto sent = send(std::move(req), {auth::repository_scope(repository, "pull")});
    if (!sent) return sent.error().wrap(what);
    if (sent->status != 200) return registry_error(what, *sent);
    TRUSTCTL_TRY_ASSIGN(json j, parse_untrusted_json(sent->body, what, ErrorCode::kProtocol));
    if (!j.is_object()) return Error(ErrorCode::kProtocol, what + ": answer is not a JSON object");
    if (auto t = j.find("tags"); t != j.end() && t->is_array()) {
      for (const auto& tag : *t)
        if (tag.is_string()) tags.push_back(tag.get<std::string>());
    }
    auto link = next_link(*sent);
    next = link ? http::resolve_url(sent->url, *link) : std::string();
  }
  std::sort(tags.begin(), tags.end());
  tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
  return tags;
}

}  // namespace trustctl::registry
