// bench/webhook_load: a closed-loop HTTPS load generator for `trustctl serve` (bench/webhook.sh).
// C connections, each a thread with one keep-alive connection, send REQUESTS requests in all
// (after WARMUP per connection that are not counted) and time each one. Closed loop by default
// (each connection sends its next request when the answer came: the most the server can do);
// with --rate R open loop: requests are due at a fixed rate of R per second in all, spread over
// the connections, and each is timed from when it was due, so a server that falls behind is
// charged for the wait (no coordinated omission). Every answer must be
// HTTP 200 and, for reviews, carry the expected `"allowed":` value. Prints one JSON line:
// {"requests","errors","seconds","rps","p50_us","p90_us","p99_us","max_us"}.
//
// Each request goes out in one TLS write (headers and body together), as the API server's Go
// client sends a small review, and the answer is read by its Content-Length: the generator
// shares the cores with the server, so it must cost as little as it can, and the same for
// every path (a general client's extra writes for a body would be counted against /validate).
//
//   webhook_load --port P --ca CA.crt --path /validate [--body review.json --allowed true]
//                [--connections 8] [--requests 20000] [--warmup 50] [--rate R]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string ca, path = "/healthz", body_file, allowed;
  int connections = 8;
  long requests = 20000;
  int warmup = 50;
  double rate = 0;  // requests per second in all; 0: closed loop
};

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "webhook_load: " << why
            << "\nusage: webhook_load --port P --ca FILE --path PATH [--body FILE --allowed "
               "true|false] [--connections C] [--requests N] [--warmup W] [--rate R]\n";
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  std::map<std::string, std::string> kv;
  for (int i = 1; i < argc; ++i) {
    std::string key = argv[i];
    if (key.rfind("--", 0) != 0 || i + 1 >= argc) usage("bad argument " + key);
    kv[key.substr(2)] = argv[++i];
  }
  for (const auto& [k, v] : kv) {
    if (k == "host")
      o.host = v;
    else if (k == "port")
      o.port = std::stoi(v);
    else if (k == "ca")
      o.ca = v;
    else if (k == "path")
      o.path = v;
    else if (k == "body")
      o.body_file = v;
    else if (k == "allowed")
      o.allowed = v;
    else if (k == "connections")
      o.connections = std::stoi(v);
    else if (k == "requests")
      o.requests = std::stol(v);
    else if (k == "warmup")
      o.warmup = std::stoi(v);
    else if (k == "rate")
      o.rate = std::stod(v);
    else
      usage("unknown flag --" + k);
  }
  if (o.port <= 0 || o.ca.empty()) usage("--port and --ca are required");
  if (!o.body_file.empty() && o.allowed != "true" && o.allowed != "false")
    usage("--body needs --allowed true|false");
  return o;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) usage("cannot read " + path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// One keep-alive HTTPS connection that verifies the server against the CA.
class Connection {
 public:
  Connection(SSL_CTX* ctx, const Options& o) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(o.port));
    if (fd_ < 0 || ::inet_pton(AF_INET, o.host.c_str(), &addr.sin_addr) != 1 ||
        ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      throw std::runtime_error("cannot connect to " + o.host + ":" + std::to_string(o.port));
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ssl_ = SSL_new(ctx);
    SSL_set_fd(ssl_, fd_);
    SSL_set1_host(ssl_, o.host.c_str());
    if (SSL_connect(ssl_) != 1) throw std::runtime_error("TLS handshake failed");
  }
  ~Connection() {
    SSL_shutdown(ssl_);
    SSL_free(ssl_);
    ::close(fd_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Sends `request` and reads one answer; false unless it is HTTP 200 containing `expect`.
  bool exchange(const std::string& request, const std::string& expect) {
    if (SSL_write(ssl_, request.data(), static_cast<int>(request.size())) !=
        static_cast<int>(request.size()))
      return false;
    buffer_.clear();
    std::size_t head_end = std::string::npos, length = 0;
    char chunk[16384];
    for (;;) {
      if (head_end == std::string::npos) {
        head_end = buffer_.find("\r\n\r\n");
        if (head_end != std::string::npos) {
          head_end += 4;
          auto at = lower(buffer_.substr(0, head_end)).find("\r\ncontent-length:");
          if (at == std::string::npos) return false;
          length = std::strtoul(buffer_.c_str() + at + 17, nullptr, 10);
        }
      }
      if (head_end != std::string::npos && buffer_.size() >= head_end + length) break;
      const int n = SSL_read(ssl_, chunk, sizeof chunk);
      if (n <= 0) return false;
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
    if (buffer_.compare(0, 13, "HTTP/1.1 200 ") != 0) return false;
    return expect.empty() || buffer_.find(expect, head_end) != std::string::npos;
  }

 private:
  static std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }
  int fd_ = -1;
  SSL* ssl_ = nullptr;
  std::string buffer_;
};

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  const std::string body = o.body_file.empty() ? std::string() : slurp(o.body_file);
  const std::string expect = body.empty() ? std::string() : "\"allowed\":" + o.allowed;
  std::string request = (body.empty() ? "GET " : "POST ") + o.path +
                        " HTTP/1.1\r\nHost: " + o.host + ":" + std::to_string(o.port) +
                        "\r\nUser-Agent: webhook_load\r\nAccept: application/json\r\n";
  if (!body.empty())
    request +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  request += "\r\n" + body;

  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr || SSL_CTX_load_verify_locations(ctx, o.ca.c_str(), nullptr) != 1)
    usage("cannot read the CA certificate " + o.ca);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);

  std::atomic<long> next{0};
  std::atomic<long> errors{0};
  std::vector<std::vector<long>> latencies(o.connections);
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::atomic<bool> failed{false};
  Clock::time_point start;

  auto worker = [&](int id) {
    std::unique_ptr<Connection> connection;
    try {
      connection = std::make_unique<Connection>(ctx, o);
    } catch (const std::exception& e) {
      std::cerr << "webhook_load: " << e.what() << "\n";
      failed = true;
      ready.fetch_add(1);
      return;
    }
    auto once = [&] { return connection->exchange(request, expect); };
    for (int i = 0; i < o.warmup; ++i)
      if (!once()) errors.fetch_add(1);
    ready.fetch_add(1);
    while (!go.load()) std::this_thread::yield();
    auto& mine = latencies[id];
    mine.reserve(o.requests / o.connections + 1);
    if (o.rate > 0) {
      // Connection `id` sends every C/R seconds, offset by id/R: together, one every 1/R.
      const auto every = std::chrono::duration<double>(o.connections / o.rate);
      auto due = start + std::chrono::duration_cast<Clock::duration>(
                             std::chrono::duration<double>(id / o.rate));
      for (long i = id; i < o.requests; i += o.connections) {
        std::this_thread::sleep_until(due);
        const bool ok = once();
        const auto t1 = Clock::now();
        if (!ok) errors.fetch_add(1);
        mine.push_back(std::chrono::duration_cast<std::chrono::microseconds>(t1 - due).count());
        due += std::chrono::duration_cast<Clock::duration>(every);
      }
      return;
    }
    while (next.fetch_add(1) < o.requests) {
      const auto t0 = Clock::now();
      const bool ok = once();
      const auto t1 = Clock::now();
      if (!ok) errors.fetch_add(1);
      mine.push_back(std::chrono::duration_cast<std::chrono::microseconds>(t1 - t0).count());
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < o.connections; ++i) threads.emplace_back(worker, i);
  while (ready.load() < o.connections) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  start = Clock::now();
  go.store(true);
  for (auto& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();

  std::vector<long> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    if (all.empty()) return 0L;
    std::size_t i = static_cast<std::size_t>(p * static_cast<double>(all.size() - 1) + 0.5);
    return all[std::min(i, all.size() - 1)];
  };
  std::printf(
      "{\"path\":\"%s\",\"connections\":%d,\"offered_rps\":%.0f,\"requests\":%zu,"
      "\"errors\":%ld,\"seconds\":%.3f,"
      "\"rps\":%.0f,\"p50_us\":%ld,\"p90_us\":%ld,\"p99_us\":%ld,\"max_us\":%ld}\n",
      o.path.c_str(), o.connections, o.rate, all.size(), errors.load(), seconds,
      static_cast<double>(all.size()) / seconds, pct(0.5), pct(0.9), pct(0.99),
      all.empty() ? 0L : all.back());
  SSL_CTX_free(ctx);
  return errors.load() == 0 && !failed ? 0 : 1;
}
