#include "support/hostile_proxy.h"

#include <httplib.h>
#include <strings.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>

namespace trustctl::testing {
namespace {

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::string find_header(const HeaderList& headers, std::string_view name) {
  for (const auto& [k, v] : headers)
    if (same_name(k, name)) return v;
  return "";
}

// Fields that belong to one connection, or that httplib writes itself.
bool hop_by_hop(std::string_view name) {
  for (const char* n : {"Connection", "Keep-Alive", "Transfer-Encoding", "Content-Length", "TE",
                        "Trailer", "Upgrade", "Proxy-Connection"})
    if (same_name(name, n)) return true;
  return false;
}

// httplib's server adds these pseudo fields to every request it received.
bool httplib_pseudo_header(std::string_view name) {
  for (const char* n : {"REMOTE_ADDR", "REMOTE_PORT", "LOCAL_ADDR", "LOCAL_PORT"})
    if (name == n) return true;
  return false;
}

}  // namespace

std::string ProxyRequest::header(std::string_view name) const { return find_header(headers, name); }

std::string ProxyAnswer::header(std::string_view name) const { return find_header(headers, name); }

void ProxyAnswer::set_header(const std::string& name, std::string value) {
  remove_header(name);
  headers.emplace_back(name, std::move(value));
}

void ProxyAnswer::remove_header(std::string_view name) {
  std::erase_if(headers, [&](const auto& field) { return same_name(field.first, name); });
}

ProxyAnswer ProxyAnswer::text(int status, std::string body, std::string content_type) {
  ProxyAnswer a;
  a.status = status;
  a.body = std::move(body);
  a.headers.emplace_back("Content-Type", std::move(content_type));
  return a;
}

ProxyAnswer ProxyAnswer::registry_error(int status, std::string_view code, std::string_view message,
                                        std::string_view detail_json) {
  std::string body = R"({"errors":[{"code":")" + std::string(code) + R"(","message":")" +
                     std::string(message) + R"(","detail":)" + std::string(detail_json) + "}]}\n";
  ProxyAnswer a = text(status, std::move(body), "application/json; charset=utf-8");
  a.headers.emplace_back("Docker-Distribution-Api-Version", "registry/2.0");
  return a;
}

ProxyAnswer ProxyAnswer::redirect(std::string location, int status) {
  ProxyAnswer a;
  a.status = status;
  a.headers.emplace_back("Location", std::move(location));
  return a;
}

struct HostileProxy::Impl {
  std::string upstream;
  std::string ca_file;
  httplib::Server server;
  std::thread thread;
  int port = 0;
  std::atomic<bool> stopping{false};

  mutable std::mutex mu;  // guards everything below
  Before before;
  After after;
  std::map<std::pair<std::string, std::string>, int> counts;  // (method, path) -> seen
  std::vector<std::pair<std::string, std::string>> seen;      // (method, path) in order
  std::vector<std::string> log;

  ProxyAnswer forward(const ProxyRequest& request) const {
    httplib::Client client(upstream);  // one per request: requests are forwarded concurrently
    if (!ca_file.empty()) {
      client.set_ca_cert_path(ca_file);
      client.enable_server_certificate_verification(true);
    }
    client.set_keep_alive(false);
    client.set_decompress(false);
    client.set_connection_timeout(10, 0);
    client.set_read_timeout(60, 0);
    httplib::Request up;
    up.method = request.method;
    up.path = request.target;
    for (const auto& [k, v] : request.headers)
      if (!hop_by_hop(k) && !httplib_pseudo_header(k)) up.headers.emplace(k, v);
    // registry:2 builds absolute Locations from Host and this: they must point at the proxy,
    // which speaks plain HTTP whatever the upstream speaks.
    up.headers.emplace("X-Forwarded-Proto", "http");
    up.body = request.body;
    auto res = client.send(up);
    if (!res) return ProxyAnswer::text(502, "hostile proxy: upstream failed\n");
    ProxyAnswer a;
    a.status = res->status;
    for (const auto& [k, v] : res->headers)
      if (!hop_by_hop(k)) a.headers.emplace_back(k, v);
    a.body = res->body;
    if (request.method == "HEAD" && res->has_header("Content-Length"))
      a.head_length = std::stoull(res->get_header_value("Content-Length"));
    return a;
  }

  void handle(const httplib::Request& req, httplib::Response& res) {
    ProxyRequest request;
    request.method = req.method;
    request.path = req.path;
    request.target = req.target.empty() ? req.path : req.target;
    for (const auto& [k, v] : req.headers)
      if (!httplib_pseudo_header(k)) request.headers.emplace_back(k, v);
    request.body = req.body;

    std::optional<ProxyAnswer> answer;
    {
      std::lock_guard<std::mutex> lock(mu);
      request.seen = ++counts[{request.method, request.path}];
      seen.emplace_back(request.method, request.path);
      if (before) answer = before(request);
    }
    const bool forwarded = !answer;
    if (forwarded) {
      answer = forward(request);
      std::lock_guard<std::mutex> lock(mu);
      if (after) after(request, *answer);
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      log.push_back(request.method + " " + request.target + " -> " +
                    std::to_string(answer->status) + (forwarded ? "" : " (proxy)"));
    }
    send(req, *answer, res);
  }

  void send(const httplib::Request& req, const ProxyAnswer& a, httplib::Response& res) {
    res.status = a.status;
    std::string content_type;
    for (const auto& [k, v] : a.headers) {
      if (hop_by_hop(k)) continue;
      if (same_name(k, "Content-Type")) {
        content_type = v;
        continue;
      }
      res.headers.emplace(k, v);
    }
    if (req.method == "HEAD") {
      // httplib writes Content-Length from the provider's length and no body for HEAD.
      const std::size_t length = a.head_length.value_or(a.body.size());
      if (length > 0) {
        res.set_content_provider(length, content_type,
                                 [](size_t, size_t, httplib::DataSink&) { return true; });
      } else if (!content_type.empty()) {
        res.set_header("Content-Type", content_type);
      }
      return;
    }
    if (a.drip_bytes_per_second <= 0) {
      if (content_type.empty())
        res.body = a.body;
      else
        res.set_content(a.body, content_type);
      return;
    }
    const auto pause = std::chrono::microseconds(static_cast<long>(1e6 / a.drip_bytes_per_second));
    auto body = std::make_shared<std::string>(a.body);
    res.set_content_provider(body->size(), content_type,
                             [this, body, pause](size_t offset, size_t, httplib::DataSink& sink) {
                               // One byte, then a pause in small steps so that stopping the proxy
                               // is quick.
                               for (auto waited = std::chrono::microseconds(0); waited < pause;
                                    waited += std::chrono::milliseconds(10)) {
                                 if (stopping) return false;
                                 std::this_thread::sleep_for(std::chrono::milliseconds(10));
                               }
                               return sink.is_writable() && sink.write(body->data() + offset, 1);
                             });
  }
};

HostileProxy::HostileProxy(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<HostileProxy>> HostileProxy::start(std::string upstream,
                                                          std::string ca_file) {
  auto impl = std::make_unique<Impl>();
  impl->upstream = std::move(upstream);
  impl->ca_file = std::move(ca_file);
  Impl* self = impl.get();
  auto handler = [self](const httplib::Request& req, httplib::Response& res) {
    self->handle(req, res);
  };
  self->server.Get(".*", handler);  // HEAD too
  self->server.Post(".*", handler);
  self->server.Put(".*", handler);
  self->server.Patch(".*", handler);
  self->server.Delete(".*", handler);
  self->server.set_payload_max_length(64 << 20);
  self->port = self->server.bind_to_any_port("127.0.0.1");
  if (self->port <= 0) return Error(ErrorCode::kInternal, "hostile proxy: cannot bind 127.0.0.1");
  self->thread = std::thread([self] { self->server.listen_after_bind(); });
  // httplib 0.11 has no wait_until_ready(); generous for a loaded machine.
  for (int i = 0; i < 10000 && !self->server.is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (!self->server.is_running())
    return Error(ErrorCode::kInternal, "hostile proxy: the server did not start");
  return std::unique_ptr<HostileProxy>(new HostileProxy(std::move(impl)));
}

HostileProxy::~HostileProxy() {
  impl_->stopping = true;
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

int HostileProxy::port() const { return impl_->port; }
std::string HostileProxy::host_port() const { return "127.0.0.1:" + std::to_string(port()); }
std::string HostileProxy::url() const { return "http://" + host_port(); }

void HostileProxy::before(Before hook) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->before = std::move(hook);
}

void HostileProxy::after(After hook) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->after = std::move(hook);
}

void HostileProxy::clear_hooks() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->before = nullptr;
  impl_->after = nullptr;
}

int HostileProxy::count(std::string_view method, std::string_view path) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->counts.find({std::string(method), std::string(path)});
  return it == impl_->counts.end() ? 0 : it->second;
}

int HostileProxy::count_containing(std::string_view method, std::string_view part) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  int n = 0;
  for (const auto& [m, p] : impl_->seen)
    if (m == method && p.find(part) != std::string::npos) ++n;
  return n;
}

std::vector<std::string> HostileProxy::log() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->log;
}

}  // namespace trustctl::testing
