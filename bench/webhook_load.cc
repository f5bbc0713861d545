// bench/webhook_load: a closed-loop HTTPS load generator for `trustctl serve` (bench/webhook.sh).
// C connections, each a thread with one keep-alive connection, send REQUESTS requests in all
// (after WARMUP per connection that are not counted) and time each one; every answer must be
// HTTP 200 and, for reviews, carry the expected `"allowed":` value. Prints one JSON line:
// {"requests","errors","seconds","rps","p50_us","p90_us","p99_us","max_us"}.
//
//   webhook_load --port P --ca CA.crt --path /validate [--body review.json --allowed true]
//                [--connections 8] [--requests 20000] [--warmup 50]
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
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
};

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "webhook_load: " << why
            << "\nusage: webhook_load --port P --ca FILE --path PATH [--body FILE --allowed "
               "true|false] [--connections C] [--requests N] [--warmup W]\n";
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

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  const std::string body = o.body_file.empty() ? std::string() : slurp(o.body_file);
  const std::string expect = "\"allowed\":" + o.allowed;
  std::atomic<long> next{0};
  std::atomic<long> errors{0};
  std::vector<std::vector<long>> latencies(o.connections);
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  Clock::time_point start;

  auto worker = [&](int id) {
    httplib::SSLClient client(o.host, o.port);
    client.set_ca_cert_path(o.ca.c_str());
    client.enable_server_certificate_verification(true);
    client.set_keep_alive(true);
    client.set_tcp_nodelay(true);
    client.set_read_timeout(30, 0);
    auto once = [&]() -> bool {
      auto res = body.empty() ? client.Get(o.path.c_str())
                              : client.Post(o.path.c_str(), body, "application/json");
      if (!res || res->status != 200) return false;
      return body.empty() || res->body.find(expect) != std::string::npos;
    };
    for (int i = 0; i < o.warmup; ++i)
      if (!once()) errors.fetch_add(1);
    ready.fetch_add(1);
    while (!go.load()) std::this_thread::yield();
    auto& mine = latencies[id];
    mine.reserve(o.requests / o.connections + 1);
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
      "{\"path\":\"%s\",\"connections\":%d,\"requests\":%zu,\"errors\":%ld,\"seconds\":%.3f,"
      "\"rps\":%.0f,\"p50_us\":%ld,\"p90_us\":%ld,\"p99_us\":%ld,\"max_us\":%ld}\n",
      o.path.c_str(), o.connections, all.size(), errors.load(), seconds,
      static_cast<double>(all.size()) / seconds, pct(0.5), pct(0.9), pct(0.99),
      all.empty() ? 0L : all.back());
  return errors.load() == 0 ? 0 : 1;
}
