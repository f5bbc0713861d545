// The libcurl transport against servers that misbehave on purpose: faults a real registry
// cannot be made to show (5xx bursts, dropped connections, redirects to another origin).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>

#include "support/loopback_server.h"
#include "trustctl/http/http_client.h"

using namespace trustctl;
using namespace trustctl::http;

namespace {

using FakeServer = trustctl::testing::LoopbackServer;

// A raw TCP server answering each connection with the next scripted byte string, then closing.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::vector<std::string> script) : script_(std::move(script)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    ::listen(fd_, 8);
    thread_ = std::thread([this] { serve(); });
  }
  ~ScriptedServer() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int connections() const { return connections_.load(); }

 private:
  void serve() {
    for (const auto& answer : script_) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      ++connections_;
      std::string request;
      char buf[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::read(c, buf, sizeof buf);
        if (n <= 0) break;
        request.append(buf, static_cast<size_t>(n));
      }
      if (!answer.empty()) {
        ssize_t ignored = ::write(c, answer.data(), answer.size());
        (void)ignored;
      }
      ::close(c);
    }
  }
  std::vector<std::string> script_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<int> connections_{0};
  std::thread thread_;
};

ClientOptions fast_retries() {
  ClientOptions o;
  o.backoff_ms = 10;
  o.connect_timeout_ms = 2000;
  return o;
}

}  // namespace

TEST_CASE("GET is retried after 503 and succeeds, the attempts are bounded") {
  FakeServer s;
  std::atomic<int> calls{0};
  s.server().Get("/flaky", [&](const httplib::Request&, httplib::Response& res) {
    if (++calls < 3) {
      res.status = 503;
      return;
    }
    res.set_content("ok", "text/plain");
  });
  std::atomic<int> always_calls{0};
  s.server().Get("/down", [&](const httplib::Request&, httplib::Response& res) {
    ++always_calls;
    res.status = 502;
  });
  auto client = make_curl_client(fast_retries());
  Request req;
  req.url = s.url("/flaky");
  auto r = client->send(req);
  REQUIRE(r.ok());
  CHECK(r->status == 200);
  CHECK(r->body == "ok");
  CHECK(calls == 3);

  req.url = s.url("/down");
  auto d = client->send(req);
  REQUIRE(d.ok());
  CHECK(d->status == 502);
  CHECK(always_calls == 3);
}

TEST_CASE("POST is not retried unless marked retryable") {
  FakeServer s;
  std::atomic<int> calls{0};
  s.server().Post("/upload", [&](const httplib::Request& req, httplib::Response& res) {
    ++calls;
    CHECK(req.body == "payload");
    res.status = 503;
  });
  auto client = make_curl_client(fast_retries());
  Request req;
  req.method = "POST";
  req.url = s.url("/upload");
  req.body = "payload";
  REQUIRE(client->send(req)->status == 503);
  CHECK(calls == 1);
  req.retryable = true;
  REQUIRE(client->send(req)->status == 503);
  CHECK(calls == 4);
}

TEST_CASE("a dropped connection is retried and a streamed body restarts cleanly") {
  const std::string full =
      "HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\n0123456789";
  const std::string partial =
      "HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\n01234";
  ScriptedServer s({"", partial, full});
  auto client = make_curl_client(fast_retries());
  std::string received;
  int restarts = 0;
  Request req;
  req.url = s.url("/blob");
  req.on_data = [&](std::string_view chunk) {
    received.append(chunk);
    return true;
  };
  req.on_restart = [&] {
    ++restarts;
    received.clear();
  };
  auto r = client->send(req);
  REQUIRE(r.ok());
  CHECK(r->status == 200);
  CHECK(received == "0123456789");
  CHECK(restarts == 1);
  CHECK(s.connections() == 3);
}

TEST_CASE("a body over the cap is refused as an integrity error") {
  FakeServer s;
  s.server().Get("/big", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(100000, 'x'), "application/octet-stream");
  });
  auto client = make_curl_client(fast_retries());
  Request req;
  req.url = s.url("/big");
  req.max_response_bytes = 1000;
  auto r = client->send(req);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == ErrorCode::kIntegrity);
  CHECK(r.error().message().find("limit of 1000 bytes") != std::string::npos);
}

TEST_CASE("redirects keep Authorization on the same origin and drop it on another") {
  FakeServer other;
  std::string other_auth = "unset";
  other.server().Get("/blob", [&](const httplib::Request& req, httplib::Response& res) {
    other_auth = req.has_header("Authorization") ? req.get_header_value("Authorization") : "";
    res.set_content("from-other", "text/plain");
  });
  FakeServer s;
  std::string same_auth;
  s.server().Get("/same", [&](const httplib::Request&, httplib::Response& res) {
    res.status = 307;
    res.set_header("Location", "/target");
  });
  s.server().Get("/target", [&](const httplib::Request& req, httplib::Response& res) {
    same_auth = req.get_header_value("Authorization");
    res.set_content("from-same", "text/plain");
  });
  s.server().Get("/away", [&](const httplib::Request&, httplib::Response& res) {
    res.status = 307;
    res.set_header("Location", other.url("/blob"));
  });
  auto client = make_curl_client(fast_retries());
  Request req;
  req.headers.set("Authorization", "Bearer secret-token");
  req.url = s.url("/same");
  auto a = client->send(req);
  REQUIRE(a.ok());
  CHECK(a->body == "from-same");
  CHECK(same_auth == "Bearer secret-token");
  CHECK(a->url == s.url("/target"));

  req.url = s.url("/away");
  auto b = client->send(req);
  REQUIRE(b.ok());
  CHECK(b->body == "from-other");
  CHECK(other_auth.empty());
}

TEST_CASE("one connection is reused across requests") {
  FakeServer s;
  std::mutex m;
  std::set<int> ports;
  s.server().Get("/ping", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(m);
    ports.insert(req.remote_port);
    res.set_content("{}", "application/json");
  });
  auto client = make_curl_client(fast_retries());
  Request req;
  req.url = s.url("/ping");
  for (int i = 0; i < 5; ++i) REQUIRE(client->send(req)->status == 200);
  CHECK(ports.size() == 1);
}

TEST_CASE("transport failures are network errors with their kind") {
  int port;
  {
    FakeServer s;  // a port that was free a moment ago and is closed now
    port = std::stoi(s.url("").substr(std::string("http://127.0.0.1:").size()));
  }
  auto client = make_curl_client(fast_retries());
  Request req;
  req.url = "http://127.0.0.1:" + std::to_string(port) + "/v2/";
  auto r = client->send(req);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == ErrorCode::kNetwork);
  CHECK(r.error().exit_code() == 3);
  CHECK(client->last_failure() == TransportFailure::kConnect);
  CHECK(r.error().message().find("cannot connect to 127.0.0.1:" + std::to_string(port)) !=
        std::string::npos);

  FakeServer plain;
  plain.server().Get("/v2/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("{}", "application/json");
  });
  std::string https = plain.url("/v2/");
  https.replace(0, 4, "https");
  req.url = https;
  auto t = client->send(req);
  REQUIRE_FALSE(t.ok());
  CHECK(client->last_failure() == TransportFailure::kTlsHandshake);
}

TEST_CASE(
    "a streamed request body goes out with its length, in pieces, and starts over on a retry") {
  std::mutex mu;
  std::vector<std::string> bodies;
  std::vector<std::string> lengths;
  FakeServer s([&](httplib::Server& srv) {
    srv.Put("/upload", [&](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu);
      bodies.push_back(req.body);
      lengths.push_back(req.get_header_value("Content-Length"));
      res.status = bodies.size() == 1 ? 503 : 201;
    });
  });
  std::string data(3 * 1024 * 1024 + 17, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 131 % 251);
  std::size_t offset = 0;
  std::size_t largest = 0;
  int rewinds = 0;
  Request req;
  req.method = "PUT";
  req.url = s.url("/upload");
  req.retryable = true;
  req.body_size = static_cast<std::int64_t>(data.size());
  req.body_reader = [&](char* buf, std::size_t max) -> Result<std::size_t> {
    largest = std::max(largest, max);
    std::size_t n = std::min(max, data.size() - offset);
    std::memcpy(buf, data.data() + offset, n);
    offset += n;
    return n;
  };
  req.body_rewind = [&]() -> Status {
    ++rewinds;
    offset = 0;
    return {};
  };
  auto client = make_curl_client(fast_retries());
  auto r = client->send(req);
  REQUIRE(r.ok());
  CHECK(r->status == 201);
  CHECK(rewinds == 1);
  CHECK(largest <= 1024 * 1024);
  std::lock_guard<std::mutex> lock(mu);
  REQUIRE(bodies.size() == 2);
  CHECK(bodies[0] == data);
  CHECK(bodies[1] == data);
  CHECK(lengths[1] == std::to_string(data.size()));

  // A reader that fails aborts the request with its own error; without a rewind, no retry.
  req.body_rewind = nullptr;
  req.body_reader = [](char*, std::size_t) -> Result<std::size_t> {
    return Error(ErrorCode::kIo, "cannot read /the/layer: Input/output error");
  };
  auto failed = client->send(req);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().code() == ErrorCode::kIo);
  CHECK(failed.error().message().find("/the/layer") != std::string::npos);
}
