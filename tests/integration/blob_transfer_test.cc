// Blob transfers for push and pull against the real registry:2: a 100 MB blob streamed up from
// a file and back into one, present blobs, cross-repository mounts (Basic and token auth), and
// through a HostileProxy the faults and attacks an upload meets: 503 and dropped connections
// mid-PUT, an upload Location on another host, a registry lying about the digest, a stall.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>

#include "registry_env.h"
#include "support/hostile_proxy.h"
#include "trustctl/registry/blob_source.h"
#include "trustctl/registry/digest.h"

using namespace trustctl;
using namespace trustctl::testing;
using registry::BlobSource;
using registry::BlobUpload;
using registry::Digest;

namespace {

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

// `megabytes` MiB of pseudo-random bytes in `path`, written 1 MiB at a time.
void write_random_file(const std::string& path, int megabytes, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::uint64_t> chunk((1 << 20) / sizeof(std::uint64_t));
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  for (int i = 0; i < megabytes; ++i) {
    for (auto& word : chunk) word = rng();
    out.write(reinterpret_cast<const char*>(chunk.data()),
              static_cast<std::streamsize>(chunk.size() * sizeof(std::uint64_t)));
  }
  REQUIRE(out.good());
}

BlobSource file_source(const std::string& path) {
  auto source = registry::hash_file_blob_source(path);
  REQUIRE(source.ok());
  return *source;
}

long max_rss_kib() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

// The resident set now (ru_maxrss is a high-water mark that earlier work may have set).
long rss_kib() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0;
  long resident = 0;
  statm >> pages >> resident;
  return resident * (::sysconf(_SC_PAGESIZE) / 1024);
}

// Samples rss_kib() from a progress callback, about every 4 MiB.
struct RssSampler {
  long base = rss_kib();
  long peak = base;
  std::int64_t next = 0;
  void sample(std::int64_t done) {
    if (done < next) return;
    next = done + (4 << 20);
    peak = std::max(peak, rss_kib());
  }
  long grew_kib() const { return peak - base; }
};

// A source that records how it is read: the largest piece asked for, and how often it opened.
struct ReadStats {
  std::size_t largest = 0;
  std::size_t reads = 0;
  int opens = 0;
};

class CountingReader final : public registry::ByteReader {
 public:
  CountingReader(std::unique_ptr<registry::ByteReader> inner, ReadStats& stats)
      : inner_(std::move(inner)), stats_(stats) {}
  Result<std::size_t> read(char* buffer, std::size_t max) override {
    stats_.largest = std::max(stats_.largest, max);
    ++stats_.reads;
    return inner_->read(buffer, max);
  }

 private:
  std::unique_ptr<registry::ByteReader> inner_;
  ReadStats& stats_;
};

BlobSource counted(BlobSource source, ReadStats& stats) {
  auto open = source.open;
  source.open = [open, &stats]() -> Result<std::unique_ptr<registry::ByteReader>> {
    ++stats.opens;
    TRUSTCTL_TRY_ASSIGN(auto inner, open());
    return std::unique_ptr<registry::ByteReader>(new CountingReader(std::move(inner), stats));
  };
  return source;
}

std::unique_ptr<HostileProxy> start_proxy(const TestRegistry& reg) {
  auto proxy = HostileProxy::start(reg.url(), reg.ca_file());
  INFO((proxy.ok() ? std::string() : proxy.error().message()));
  REQUIRE(proxy.ok());
  return std::move(proxy).value();
}

// A client for the proxy in front of `reg` (plain HTTP on loopback), with `reg`'s user.
std::unique_ptr<registry::RegistryClient> client_via(const HostileProxy& proxy,
                                                     const TestRegistry& reg,
                                                     long timeout_ms = http::kDefaultTimeoutMs) {
  registry::RegistryOptions o;
  o.certs_dirs = {"/nonexistent"};
  o.credentials = fixed_credentials(reg.username(), reg.password());
  o.http.backoff_ms = 20;
  o.http.timeout_ms = timeout_ms;
  return registry::RegistryClient::create(proxy.host_port(), std::move(o));
}

// How many requests of `method` the proxy saw whose target names `digest`.
int requests_naming(const HostileProxy& proxy, const std::string& method,
                    const std::string& digest) {
  int n = 0;
  const std::string encoded = "sha256%3A" + digest.substr(7);
  for (const auto& line : proxy.log()) {
    if (line.rfind(method + " ", 0) == 0 && (contains(line, digest) || contains(line, encoded)))
      ++n;
  }
  return n;
}

// get_blob into the file `path` as pull does with a layout's blob writer: written while the
// client verifies, removed when verification fails.
Status download_to(registry::RegistryClient& client, const std::string& repository,
                   const std::string& digest, std::int64_t size, const std::string& path,
                   const registry::TransferProgress& progress = {}) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  auto st = client.get_blob(
      repository, digest, size,
      [&](std::string_view chunk) {
        out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
        return static_cast<bool>(out);
      },
      [&] {
        out.close();
        out.open(path, std::ios::binary | std::ios::trunc);
      },
      progress);
  out.close();
  if (!st) std::remove(path.c_str());
  return st;
}

// Reads the blob back from the registry and checks it byte for byte (through its digest).
void check_readable(registry::RegistryClient& client, const std::string& repository,
                    const BlobSource& blob, const std::string& scratch) {
  const std::string path = scratch + "/read-back";
  auto st = download_to(client, repository, blob.digest, blob.size, path);
  INFO((st.ok() ? std::string() : st.error().message()));
  REQUIRE(st.ok());
  CHECK(file_source(path).digest == blob.digest);
}

// A raw HTTP endpoint on 127.0.0.1 for what a registry will not do on its own. Each connection
// is read up to the end of its headers (kHold: nothing more; the sender stalls once the socket
// buffers are full) or of its body, then: kDrop closes after `drop_after` body bytes, kAnswer
// writes `answer`. It records every request head it read.
class RawEndpoint {
 public:
  enum class Mode { kHold, kDrop, kAnswer };
  RawEndpoint(Mode mode, std::string answer = "", std::size_t drop_after = 0)
      : mode_(mode), answer_(std::move(answer)), drop_after_(drop_after) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    REQUIRE(::listen(fd_, 16) == 0);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~RawEndpoint() {
    stopping_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    acceptor_.join();
    for (auto& t : connections_) t.join();
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::vector<std::string> heads() const {
    std::lock_guard<std::mutex> lock(mu_);
    return heads_;
  }

 private:
  void accept_loop() {
    for (;;) {
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) return;
      connections_.emplace_back([this, c] { serve(c); });
    }
  }
  void serve(int c) {
    std::string data;
    char buf[65536];
    std::size_t head_end = std::string::npos;
    while (head_end == std::string::npos) {
      ssize_t n = ::read(c, buf, sizeof buf);
      if (n <= 0) break;
      data.append(buf, static_cast<std::size_t>(n));
      head_end = data.find("\r\n\r\n");
    }
    std::string head = head_end == std::string::npos ? data : data.substr(0, head_end);
    {
      std::lock_guard<std::mutex> lock(mu_);
      heads_.push_back(head);
    }
    if (mode_ == Mode::kHold) {
      while (!stopping_) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    } else {
      std::size_t want = content_length(head);
      if (mode_ == Mode::kDrop) want = std::min(want, drop_after_);
      std::size_t body = data.size() - std::min(data.size(), head_end + 4);
      while (body < want && !stopping_) {
        ssize_t n = ::read(c, buf, std::min(sizeof buf, want - body));
        if (n <= 0) break;
        body += static_cast<std::size_t>(n);
      }
      if (mode_ == Mode::kAnswer) {
        ssize_t ignored = ::write(c, answer_.data(), answer_.size());
        (void)ignored;
      }
    }
    ::close(c);
  }
  static std::size_t content_length(const std::string& head) {
    std::string lower = head;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    auto at = lower.find("\ncontent-length:");
    return at == std::string::npos ? 0 : std::stoull(lower.substr(at + 16));
  }

  Mode mode_;
  std::string answer_;
  std::size_t drop_after_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::vector<std::thread> connections_;  // only the acceptor adds; joined after it
  mutable std::mutex mu_;
  std::vector<std::string> heads_;
};

// Rewrites the Location of the first `times` upload POSTs to `target` + the upload path.
HostileProxy::After relocate_uploads(const RawEndpoint& target, int times) {
  auto count = std::make_shared<int>(0);
  const std::string base = target.url("");
  return [count, times, base](const ProxyRequest& r, ProxyAnswer& a) {
    if (r.method != "POST" || !contains(r.path, "/blobs/uploads/") || a.status != 202) return;
    if (++*count > times) return;
    std::string location = a.header("Location");
    auto path = location.find("/v2/");
    a.set_header("Location", base + location.substr(path));
  };
}

}  // namespace

TEST_CASE("a 100 MB blob is streamed up from a file in pieces and down into a file, verified") {
  TempDir tmp;
  RegistryOptions o;
  o.tls = true;
  o.htpasswd = Credentials{"alice", "s3cret"};
  auto reg = start_registry(o);
  auto client = client_for(*reg, tmp.path);
  REQUIRE(client->ping().ok());
  const std::string path = tmp / "layer.bin";
  write_random_file(path, 100, 42);
  ReadStats stats;
  const BlobSource blob = counted(file_source(path), stats);
  REQUIRE(blob.size == 100 << 20);

  std::int64_t last_progress = 0;
  const long rss_before = max_rss_kib();
  RssSampler up_rss;
  const auto start = std::chrono::steady_clock::now();
  auto up = client->upload_blob("big", blob, "", [&](std::int64_t done) {
    last_progress = done;
    up_rss.sample(done);
  });
  const double up_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  INFO((up.ok() ? std::string() : up.error().message()));
  REQUIRE(up.ok());
  CHECK(*up == BlobUpload::kUploaded);
  CHECK(last_progress == blob.size);
  CHECK(stats.opens == 1);
  CHECK(stats.largest <= 1024 * 1024);  // never the whole blob in memory
  CHECK(stats.reads >= 100);
  CHECK(client->bytes_sent() == static_cast<std::uint64_t>(blob.size));
  CHECK(up_rss.grew_kib() < 32 * 1024);

  const std::string back = tmp / "pulled.bin";
  std::int64_t received = 0;
  RssSampler down_rss;
  const auto down_start = std::chrono::steady_clock::now();
  auto st = download_to(*client, "big", blob.digest, blob.size, back, [&](std::int64_t done) {
    received = done;
    down_rss.sample(done);
  });
  const double down_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - down_start).count();
  INFO((st.ok() ? std::string() : st.error().message()));
  REQUIRE(st.ok());
  CHECK(received == blob.size);
  CHECK(file_source(back).digest == blob.digest);
  CHECK(down_rss.grew_kib() < 32 * 1024);
  CHECK(max_rss_kib() - rss_before < 32 * 1024);
  WARN("100 MiB over loopback TLS + Basic: upload "
       << up_s << " s (" << 100 / up_s << " MiB/s), download " << down_s << " s (" << 100 / down_s
       << " MiB/s); RSS grew " << up_rss.grew_kib() << " KiB uploading, " << down_rss.grew_kib()
       << " KiB downloading (peak RSS " << max_rss_kib() << " KiB)");

  // A second upload finds it and sends nothing; a download that fails verification leaves no
  // file behind.
  CHECK(client->upload_blob("big", blob).value() == BlobUpload::kPresent);
  CHECK(stats.opens == 1);
  const std::string wrong = tmp / "wrong.bin";
  auto bad = download_to(*client, "big", blob.digest, blob.size - 1, wrong);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().exit_code() == 12);
  CHECK_FALSE(fs::exists(wrong));
}

TEST_CASE("a blob the repository has is present: HEAD only, no upload request") {
  TempDir tmp;
  auto reg = start_registry();
  auto proxy = start_proxy(*reg);
  auto client = client_via(*proxy, *reg);
  const std::string bytes(300 * 1024, 'p');
  const BlobSource blob = registry::memory_blob_source(bytes);
  REQUIRE(client->upload_blob("app", blob).value() == BlobUpload::kUploaded);
  CHECK(proxy->count_containing("POST", "/blobs/uploads/") == 1);
  CHECK(proxy->count_containing("PUT", "/blobs/uploads/") == 1);

  const auto sent = client->bytes_sent();
  CHECK(client->upload_blob("app", blob).value() == BlobUpload::kPresent);
  CHECK(proxy->count_containing("POST", "/blobs/uploads/") == 1);
  CHECK(proxy->count_containing("PUT", "/blobs/uploads/") == 1);
  CHECK(proxy->count("HEAD", "/v2/app/blobs/" + blob.digest) == 2);
  CHECK(client->bytes_sent() == sent);
  // push_blob is the same path.
  CHECK(client->push_blob("app", bytes)->digest == blob.digest);
  CHECK(proxy->count_containing("POST", "/blobs/uploads/") == 1);
}

TEST_CASE("a cross-repository mount sends no bytes, with Basic and with token auth") {
  for (bool token : {false, true}) {
    SECTION(token ? "TLS + token auth" : "TLS + htpasswd") {
      TempDir tmp;
      RegistryOptions o;
      o.tls = true;
      if (token)
        o.token = Credentials{"alice", "t0ken-pass"};
      else
        o.htpasswd = Credentials{"alice", "s3cret"};
      auto reg = start_registry(o);
      auto client = client_for(*reg, tmp.path);
      const std::string bytes(2 << 20, 'm');
      const BlobSource blob = registry::memory_blob_source(bytes);
      REQUIRE(client->upload_blob("team/base", blob).value() == BlobUpload::kUploaded);
      const auto sent = client->bytes_sent();

      auto mounted = client->upload_blob("team/app", blob, "team/base");
      INFO((mounted.ok() ? std::string() : mounted.error().message()));
      REQUIRE(mounted.ok());
      CHECK(*mounted == BlobUpload::kMounted);
      CHECK(client->bytes_sent() == sent);
      check_readable(*client, "team/app", blob, tmp.path);
      CHECK(client->upload_blob("team/app", blob, "team/base").value() == BlobUpload::kPresent);

      // A blob the other repository lacks: the registry opens a session instead, and the
      // bytes go there.
      const std::string other(64 * 1024, 'n');
      const BlobSource missing = registry::memory_blob_source(other);
      auto fallback = client->upload_blob("team/app", missing, "team/base");
      INFO((fallback.ok() ? std::string() : fallback.error().message()));
      REQUIRE(fallback.ok());
      CHECK(*fallback == BlobUpload::kUploaded);
      CHECK(client->bytes_sent() == sent + other.size());
      check_readable(*client, "team/app", missing, tmp.path);
      if (token) {
        // One token for both: push on the target, pull on the source.
        auto log = fs::read_file(reg->token_requests_file());
        REQUIRE(log.ok());
        CHECK(contains(*log, "repository:team/app:pull,push"));
        CHECK(contains(*log, "repository:team/base:pull"));
      }
    }
  }
}

TEST_CASE("uploads: a 503 on one blob's PUT restarts only that blob, with a fresh POST") {
  TempDir tmp;
  auto reg = start_registry();
  auto proxy = start_proxy(*reg);
  auto client = client_via(*proxy, *reg);
  std::vector<std::string> bytes = {std::string(1 << 20, 'a'), std::string(1 << 20, 'b'),
                                    std::string(1 << 20, 'c')};
  std::vector<BlobSource> blobs;
  for (const auto& b : bytes) blobs.push_back(registry::memory_blob_source(b));
  const std::string failing = blobs[1].digest.substr(7);
  auto failed = std::make_shared<int>(0);
  proxy->before([failing, failed](const ProxyRequest& r) -> std::optional<ProxyAnswer> {
    if (r.method == "PUT" && contains(r.target, failing) && (*failed)++ == 0)
      return ProxyAnswer::registry_error(503, "UNAVAILABLE", "service unavailable");
    return std::nullopt;
  });
  for (const auto& blob : blobs) {
    auto up = client->upload_blob("app", blob);
    INFO((up.ok() ? std::string() : up.error().message()));
    REQUIRE(up.ok());
    CHECK(*up == BlobUpload::kUploaded);
  }
  CHECK(requests_naming(*proxy, "PUT", blobs[0].digest) == 1);
  CHECK(requests_naming(*proxy, "PUT", blobs[1].digest) == 2);
  CHECK(requests_naming(*proxy, "PUT", blobs[2].digest) == 1);
  CHECK(proxy->count_containing("POST", "/blobs/uploads/") == 4);
  for (const auto& blob : blobs) check_readable(*client, "app", blob, tmp.path);
}

TEST_CASE("uploads: a connection dropped mid-PUT is retried from a fresh POST and succeeds") {
  TempDir tmp;
  auto reg = start_registry();
  auto proxy = start_proxy(*reg);
  RawEndpoint dropper(RawEndpoint::Mode::kDrop, "", 256 * 1024);
  proxy->after(relocate_uploads(dropper, 1));
  auto client = client_via(*proxy, *reg);
  const std::string path = tmp / "layer.bin";
  write_random_file(path, 4, 7);
  ReadStats stats;
  const BlobSource blob = counted(file_source(path), stats);
  auto up = client->upload_blob("app", blob);
  INFO((up.ok() ? std::string() : up.error().message()));
  REQUIRE(up.ok());
  CHECK(*up == BlobUpload::kUploaded);
  CHECK(dropper.heads().size() == 1);
  CHECK(stats.opens == 2);  // the source started over
  CHECK(proxy->count_containing("POST", "/blobs/uploads/") == 2);
  check_readable(*client, "app", blob, tmp.path);
}

TEST_CASE("network attacker: an upload Location on another host gets no credentials") {
  TempDir tmp;
  RegistryOptions o;
  o.htpasswd = Credentials{"alice", "s3cret-pw"};
  auto reg = start_registry(o);
  auto proxy = start_proxy(*reg);
  RawEndpoint evil(RawEndpoint::Mode::kAnswer,
                   "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"evil\"\r\n"
                   "Content-Length: 0\r\nConnection: close\r\n\r\n");
  proxy->after(relocate_uploads(evil, 1000));
  auto client = client_via(*proxy, *reg);
  const std::string bytes(512 * 1024, 'e');
  auto up = client->upload_blob("app", registry::memory_blob_source(bytes));
  REQUIRE_FALSE(up.ok());
  CHECK(up.error().exit_code() == 4);
  CHECK(contains(up.error().message(), "no other origin"));
  const auto heads = evil.heads();
  REQUIRE(heads.size() == 1);  // the 401 is not answered, nor retried
  CHECK(contains(heads[0], "PUT /v2/app/blobs/uploads/"));
  std::string lower = heads[0];
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  CHECK_FALSE(contains(lower, "authorization"));
  // The registry itself did get them (its POST went through).
  CHECK(proxy->count_containing("POST", "/blobs/uploads/") == 1);
}

TEST_CASE("hostile registry: a wrong Docker-Content-Digest for an upload is refused (exit 12)") {
  TempDir tmp;
  auto reg = start_registry();
  auto proxy = start_proxy(*reg);
  const std::string lie = Digest::of("something else").string();
  proxy->after([lie](const ProxyRequest& r, ProxyAnswer& a) {
    if (r.method == "PUT" && contains(r.path, "/blobs/uploads/"))
      a.set_header("Docker-Content-Digest", lie);
  });
  auto client = client_via(*proxy, *reg);
  const std::string bytes(128 * 1024, 'd');
  const BlobSource blob = registry::memory_blob_source(bytes);
  auto up = client->upload_blob("app", blob);
  REQUIRE_FALSE(up.ok());
  CHECK(up.error().exit_code() == 12);
  CHECK(contains(up.error().message(), blob.digest));
  CHECK(contains(up.error().message(), lie));
  CHECK(proxy->count_containing("PUT", "/blobs/uploads/") == 1);  // not retried

  // A source whose bytes are not what it claims never completes a PUT.
  proxy->clear_hooks();
  BlobSource liar = registry::memory_blob_source(bytes);
  liar.digest = Digest::of("another thing").string();
  auto refused = client->upload_blob("app", liar);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().exit_code() == 12);
  CHECK_FALSE(client->blob_exists("app", liar.digest).value());
}

TEST_CASE("network attacker: a stalled upload ends with exit 3 within its timeout") {
  TempDir tmp;
  auto reg = start_registry();
  auto proxy = start_proxy(*reg);
  RawEndpoint staller(RawEndpoint::Mode::kHold);
  proxy->after(relocate_uploads(staller, 1000));
  auto client = client_via(*proxy, *reg, 2000);
  const std::string path = tmp / "layer.bin";
  write_random_file(path, 48, 9);  // more than loopback socket buffers hold
  const auto start = std::chrono::steady_clock::now();
  auto up = client->upload_blob("app", file_source(path));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  REQUIRE_FALSE(up.ok());
  CHECK(up.error().exit_code() == 3);
  CHECK(contains(up.error().message(), "too slow"));
  CHECK(contains(up.error().message(), "after 4 attempts"));
  CHECK(staller.heads().size() == 4);
  // 4 attempts of a 2 s stall plus back-off; the bound only catches a hang.
  CHECK(seconds < 60);
  WARN("a stalled upload with a 2 s timeout failed after " << seconds << " s");
}
