// HostileProxy: the network as the attacker. A cpp-httplib server on 127.0.0.1 (a free port) that
// forwards every request to a real registry (a TestRegistry's URL) and lets a test answer in its
// place, rewrite its answers, redirect, inject statuses, drip a body slowly, and count what it
// saw. trustctl is pointed at the proxy's host:port as if it were the registry (plain HTTP on
// loopback is allowed). The Host header is forwarded, so registry:2 builds its Location URLs on
// the proxy's address (plain HTTP: X-Forwarded-Proto) and uploads keep going through it.
//
//   auto proxy = HostileProxy::start(reg->url(), reg->ca_file()).value();
//   proxy->before([](const ProxyRequest& r) -> std::optional<ProxyAnswer> {
//     if (r.method == "GET" && r.path == "/v2/" && r.seen <= 2) return ProxyAnswer::text(503, "");
//     return std::nullopt;                             // forward
//   });
//   proxy->after([](const ProxyRequest& r, ProxyAnswer& a) { a.set_header("Content-Type", "x"); });
//
// The header has no httplib types, so tests need not agree with the library on its build flags.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "trustctl/core/result.h"

namespace trustctl::testing {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// One request as it reached the proxy.
struct ProxyRequest {
  std::string method;  // "GET", "HEAD", "PUT", ...
  std::string path;    // without the query, e.g. "/v2/secure-app/manifests/v1"
  std::string target;  // path and query as sent
  HeaderList headers;
  std::string body;
  int seen = 0;  // requests with this method and path so far, this one included (1, 2, ...)

  std::string header(std::string_view name) const;  // the first value, "" when absent
};

// An answer: the registry's (after forwarding) or one a hook makes up.
struct ProxyAnswer {
  int status = 200;
  HeaderList headers;  // Content-Length is the proxy's business; the others are sent as given
  std::string body;    // for HEAD: only its size counts, as Content-Length
  // For HEAD answers: the Content-Length to send (default: body.size()).
  std::optional<std::size_t> head_length;
  // > 0: the body goes out at this many bytes per second (one byte at a time).
  double drip_bytes_per_second = 0;

  std::string header(std::string_view name) const;
  void set_header(const std::string& name, std::string value);  // replaces every field of it
  void remove_header(std::string_view name);

  static ProxyAnswer text(int status, std::string body, std::string content_type = "text/plain");
  // A registry error body as distribution writes it: {"errors":[{"code","message","detail"}]}.
  // `detail_json` is inserted as JSON (e.g. "\"sha256:...\"" or "{}").
  static ProxyAnswer registry_error(int status, std::string_view code, std::string_view message,
                                    std::string_view detail_json = "null");
  static ProxyAnswer redirect(std::string location, int status = 307);
};

class HostileProxy {
 public:
  // Answers instead of the registry when it returns an answer; nullopt forwards.
  using Before = std::function<std::optional<ProxyAnswer>(const ProxyRequest&)>;
  // Edits the registry's answer (forwarded requests only).
  using After = std::function<void(const ProxyRequest&, ProxyAnswer&)>;

  // `upstream`: "http://127.0.0.1:PORT" or "https://..." (then `ca_file` verifies it).
  static Result<std::unique_ptr<HostileProxy>> start(std::string upstream,
                                                     std::string ca_file = "");
  ~HostileProxy();
  HostileProxy(const HostileProxy&) = delete;
  HostileProxy& operator=(const HostileProxy&) = delete;

  int port() const;
  std::string host_port() const;  // "127.0.0.1:PORT": what trustctl is given as the registry
  std::string url() const;        // "http://127.0.0.1:PORT"

  // Hooks may be replaced at any time; they run on the proxy's threads, one request at a time.
  void before(Before hook);
  void after(After hook);
  void clear_hooks();

  // Requests seen with this method and exactly this path (no query).
  int count(std::string_view method, std::string_view path) const;
  // Requests seen with this method whose path contains `part`.
  int count_containing(std::string_view method, std::string_view part) const;
  // "METHOD target -> status" for every request so far, in order.
  std::vector<std::string> log() const;

 private:
  struct Impl;
  explicit HostileProxy(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace trustctl::testing
