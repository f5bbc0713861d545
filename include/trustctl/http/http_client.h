// The HTTP transport: an interface (so tests can put a fake behind it) and its libcurl
// implementation. Knows nothing about registries or authentication.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "trustctl/core/result.h"

namespace trustctl::http {

// Header fields in arrival order; names compare case-insensitively (HTTP/2 sends lower case).
class Headers {
 public:
  void add(std::string name, std::string value);
  void set(std::string name, std::string value);  // replaces every field of that name
  void remove(std::string_view name);
  std::optional<std::string> get(std::string_view name) const;  // the first one
  std::vector<std::string> get_all(std::string_view name) const;
  bool has(std::string_view name) const { return get(name).has_value(); }
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

bool iequals(std::string_view a, std::string_view b);

struct Request {
  std::string method = "GET";
  std::string url;
  Headers headers;
  std::string body;  // sent as is; kept in memory so a retry can send it again

  // A streamed body instead of `body` (when body_reader is set): exactly `body_size` bytes,
  // pulled through body_reader in pieces of at most `max` bytes (it returns how many it wrote,
  // 0 only at the end, or an Error that aborts the request with that error). Sent with that
  // Content-Length; counted in the deadline like a response. Before every attempt after the
  // first (a retry, a 307/308 redirect) body_rewind must start it over from the first byte; a
  // request without body_rewind is sent once. The reader is only called from send().
  std::function<Result<std::size_t>(char* buffer, std::size_t max)> body_reader;
  std::int64_t body_size = 0;
  std::function<Status()> body_rewind;

  // When set, the response body is handed here as it arrives instead of being collected in
  // Response::body (only for 2xx answers; error bodies are always collected). Returning false
  // aborts the transfer. on_restart is called before a retry if any bytes were handed over.
  std::function<bool(std::string_view chunk)> on_data;
  std::function<void()> on_restart;

  // A body longer than this aborts the transfer with kIntegrity.
  std::uint64_t max_response_bytes = 4 * 1024 * 1024;

  // Whether a failed attempt may be repeated (connection dropped, 429, 5xx). Defaults to true
  // for GET and HEAD only.
  std::optional<bool> retryable;

  // Redirects (301/302/303/307/308) are followed up to 5 times. Authorization is dropped when
  // a redirect leaves the original scheme://host:port.
  bool follow_redirects = true;
};

struct Response {
  long status = 0;
  Headers headers;
  std::string body;  // empty when streamed through Request::on_data
  std::string url;   // the URL that finally answered (after redirects)
  std::uint64_t body_bytes = 0;
};

// TLS material for one host, e.g. from ~/.docker/certs.d/<host>/.
struct TlsFiles {
  std::vector<std::string> ca_files;  // added to the system CAs
  std::string client_cert;            // PEM
  std::string client_key;             // PEM
  bool verify = true;                 // false only for an explicit --insecure-registry host
};

// The default of --timeout / TRUSTCTL_TIMEOUT.
inline constexpr long kDefaultTimeoutMs = 30'000;

// Every attempt of a request has a deadline that fits what it may move (docs/registry-client.md):
// it may take `timeout_ms` plus its bytes (request body and response cap) at
// `min_bytes_per_second`, and it is aborted as stalled once it moved fewer than
// `stall_bytes_per_second` for `timeout_ms` (waiting for the first byte included), or moved no
// byte at all, either way, for `timeout_ms` (a peer that stops reading an upload). So a server
// that drips a body never holds a command for ever, and a slow but honest link still finishes.
struct ClientOptions {
  long timeout_ms = kDefaultTimeoutMs;  // > 0
  long connect_timeout_ms = 10'000;     // capped by timeout_ms
  long stall_bytes_per_second = 1024;
  std::uint64_t min_bytes_per_second = 64 * 1024;  // 0: no overall deadline
  int max_attempts = 3;                            // for retryable requests
  long backoff_ms = 200;                           // doubled after each failed attempt
  std::string user_agent = "trustctl";
  // TLS material per "host" or "host:port" (as written in the URL); may be empty.
  std::function<TlsFiles(const std::string& host_port)> tls_for_host;
  // Called before every attempt of every request (retries included): a request counter.
  std::function<void()> on_attempt;
};

// The whole-transfer deadline of one attempt of `request` under `options` (saturating; zero
// means none): timeout_ms + (body size + max_response_bytes) / min_bytes_per_second, where the
// body size is body_size for a streamed body.
std::chrono::milliseconds request_deadline(const ClientOptions& options, const Request& request);

// What a transport failure was, so callers can choose a fallback (e.g. HTTPS -> HTTP).
enum class TransportFailure { kNone, kConnect, kTlsHandshake, kTlsVerify, kTimeout, kOther };

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Performs the request. An HTTP error status is a Response, not an Error; an Error means the
  // exchange did not complete (kNetwork), a cap was exceeded (kIntegrity), or on_data aborted.
  virtual Result<Response> send(const Request& request) = 0;
  // The kind of the last transport failure of send() on this thread.
  virtual TransportFailure last_failure() const = 0;
};

// A libcurl client. One instance keeps its connections open across requests (not thread-safe;
// use one per thread).
std::unique_ptr<HttpClient> make_curl_client(ClientOptions options = {});

// URL helpers.
std::string url_encode(std::string_view s);  // RFC 3986 unreserved kept, the rest %XX
// Resolves `ref` (absolute, or relative like "/v2/...") against the absolute URL `base`.
std::string resolve_url(std::string_view base, std::string_view ref);
// "https://h:5000/v2/x" -> "https://h:5000"
std::string url_origin(std::string_view url);
// "https://user@h:5000/v2/x" -> "h:5000" (as written; IPv6 keeps its brackets); "" if relative.
std::string url_host_port(std::string_view url);
// True for localhost, 127.0.0.0/8 and ::1, with or without a port.
bool is_loopback_host(std::string_view host_port);

}  // namespace trustctl::http
