#include "support/registry_harness.h"

#include <httplib.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <sstream>
#include <thread>

#include "support/process.h"
#include "support/tls_material.h"
#include "trustctl/core/subprocess.h"

extern char** environ;

#ifndef TRUSTCTL_TEST_TOKEN_SERVER
#define TRUSTCTL_TEST_TOKEN_SERVER ""
#endif

namespace trustctl::testing {
namespace {

namespace stdfs = std::filesystem;
using Clock = std::chrono::steady_clock;

Status write_text(const std::string& path, std::string_view text, mode_t mode = 0644) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return Error(ErrorCode::kIo, "cannot write " + path);
  ::chmod(path.c_str(), mode);
  return {};
}

Status make_dir(const std::string& path) {
  std::error_code ec;
  stdfs::create_directories(path, ec);
  if (ec) return Error(ErrorCode::kIo, "cannot create " + path + ": " + ec.message());
  return {};
}

std::string random_hex(size_t bytes) {
  std::string raw(bytes, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string yaml_quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string shell_quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

std::string basename_of(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

CmdlineMatcher registry_matcher(const std::string& dir) {
  return [config = dir + "/config.yml"](const std::vector<std::string>& argv) {
    return argv.size() >= 3 && basename_of(argv[0]) == "docker-registry" &&
           contains(argv, "serve") && argv.back() == config;
  };
}

CmdlineMatcher token_matcher(const std::string& dir) {
  return [key = dir + "/token/signing.key"](const std::vector<std::string>& argv) {
    return !argv.empty() && basename_of(argv[0]) == "trustctl-test-token-server" &&
           contains(argv, key);
  };
}

pid_t read_pid_file(const std::string& path) {
  std::ifstream in(path);
  long pid = 0;
  if (!(in >> pid) || pid <= 0) return 0;
  return static_cast<pid_t>(pid);
}

std::string canonical_dir(const std::string& dir) {
  std::error_code ec;
  stdfs::path p = stdfs::weakly_canonical(stdfs::absolute(dir), ec);
  return ec ? dir : p.string();
}

bool keep_requested_by_env() {
  const char* keep = std::getenv("TRUSTCTL_TEST_KEEP");
  return keep != nullptr && *keep != '\0' && std::strcmp(keep, "0") != 0;
}

Status check_tools() {
  struct Tool {
    const char* program;
    const char* package;
  };
  std::string missing;
  for (Tool t : {Tool{"docker-registry", "docker-registry"}, Tool{"skopeo", "skopeo"},
                 Tool{"htpasswd", "apache2-utils"}}) {
    if (find_program(t.program).empty())
      missing += std::string(missing.empty() ? "" : "; ") + t.program +
                 " not found (apt-get install " + t.package + ")";
  }
  if (!missing.empty())
    return Error(ErrorCode::kInternal, "test environment incomplete: " + missing);
  return {};
}

std::string token_server_path() {
  if (const char* env = std::getenv("TRUSTCTL_TEST_TOKEN_SERVER"); env && *env) return env;
  return TRUSTCTL_TEST_TOKEN_SERVER;
}

// The environment minus REGISTRY_*: docker-registry reads those as config overrides (and
// trustctl-testenv's env file exports REGISTRY_URL & co.).
std::vector<std::string> registry_environment() {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "REGISTRY_", 9) != 0) env.emplace_back(*e);
  }
  return env;
}

// GET /v2/ status, or -1 when there is no HTTP answer.
int probe_v2(int port, bool tls, const std::string& ca_file) {
  auto get = [](auto& cli) {
    cli.set_connection_timeout(0, 300000);
    cli.set_read_timeout(1, 0);
    cli.set_keep_alive(false);
    auto res = cli.Get("/v2/");
    return res ? res->status : -1;
  };
  if (tls) {
    httplib::SSLClient cli("127.0.0.1", port);
    cli.set_ca_cert_path(ca_file);
    cli.enable_server_certificate_verification(true);
    return get(cli);
  }
  httplib::Client cli("127.0.0.1", port);
  return get(cli);
}

}  // namespace

Result<std::unique_ptr<TestRegistry>> TestRegistry::start(RegistryOptions options) {
  if (options.htpasswd && options.token)
    return Error(ErrorCode::kUsage, "TestRegistry: htpasswd and token auth are exclusive");
  TRUSTCTL_TRY(check_tools());
  std::unique_ptr<TestRegistry> reg(new TestRegistry(std::move(options)));
  // From here on, a failure returns through ~TestRegistry, which stops what was started.
  TRUSTCTL_TRY(reg->prepare_dir());
  if (reg->options_.tls) TRUSTCTL_TRY(reg->write_tls());
  if (reg->options_.htpasswd) TRUSTCTL_TRY(reg->write_htpasswd());
  if (reg->options_.token) TRUSTCTL_TRY(reg->start_token_server());
  TRUSTCTL_TRY(reg->start_registry());
  TRUSTCTL_TRY(reg->write_env());
  return reg;
}

Status TestRegistry::prepare_dir() {
  if (options_.base_dir.empty()) {
    std::string tmpl = "/tmp/trustctl-registry.XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr)
      return Error(ErrorCode::kIo, std::string("mkdtemp: ") + std::strerror(errno));
    dir_ = tmpl;
    own_dir_ = true;
  } else {
    TRUSTCTL_TRY(make_dir(options_.base_dir));
    std::string dir = canonical_dir(options_.base_dir);
    for (const auto& [file, matcher] : {std::pair{dir + "/registry.pid", registry_matcher(dir)},
                                        std::pair{dir + "/token.pid", token_matcher(dir)}}) {
      pid_t old = read_pid_file(file);
      if (old > 0 && process_running(old) && matcher(process_cmdline(old)))
        return Error(ErrorCode::kUsage, "a test registry already runs in " + dir + " (pid " +
                                            std::to_string(old) + "); stop it first");
    }
    dir_ = dir;  // only now: stop() cleans up nothing of a folder we did not take over
  }
  return make_dir(data_dir());
}

Status TestRegistry::write_tls() {
  TRUSTCTL_TRY_ASSIGN(CertAndKey ca, make_ca("trustctl test CA"));
  TRUSTCTL_TRY_ASSIGN(CertAndKey server, make_server_cert(ca));
  TRUSTCTL_TRY(make_dir(dir_ + "/tls"));
  TRUSTCTL_TRY(make_dir(dir_ + "/certs.d"));
  ca_file_ = dir_ + "/tls/ca.crt";
  certs_dir_ = dir_ + "/certs.d";
  TRUSTCTL_TRY(write_text(ca_file_, ca.cert_pem));
  TRUSTCTL_TRY(write_text(dir_ + "/tls/ca.key", ca.key_pem, 0600));
  TRUSTCTL_TRY(write_text(dir_ + "/tls/server.crt", server.cert_pem));
  TRUSTCTL_TRY(write_text(dir_ + "/tls/server.key", server.key_pem, 0600));
  return write_text(certs_dir_ + "/ca.crt", ca.cert_pem);
}

Status TestRegistry::write_htpasswd() {
  const Credentials& c = *options_.htpasswd;
  TRUSTCTL_TRY_ASSIGN(ProcessOutput out, run_process({"htpasswd", "-nbB", c.user, c.password}));
  std::string line = out.out.substr(0, out.out.find('\n'));
  if (out.exit_status != 0 || line.find(":$2") == std::string::npos)
    return Error(ErrorCode::kInternal, "htpasswd -nbB failed: " + out.err);
  TRUSTCTL_TRY(make_dir(dir_ + "/auth"));
  username_ = c.user;
  password_ = c.password;
  return write_text(dir_ + "/auth/htpasswd", line + "\n", 0600);
}

Status TestRegistry::start_token_server() {
  std::string server = token_server_path();
  if (server.empty() || ::access(server.c_str(), X_OK) != 0)
    return Error(ErrorCode::kInternal, "token server not built: '" + server +
                                           "' (build the trustctl-test-token-server target)");
  const Credentials& c = *options_.token;
  username_ = c.user;
  password_ = c.password;
  TRUSTCTL_TRY(make_dir(dir_ + "/token"));
  KeyType type =
      options_.token_algorithm == TokenAlgorithm::kEs256 ? KeyType::kEcP256 : KeyType::kRsa2048;
  TRUSTCTL_TRY_ASSIGN(CertAndKey signing, make_self_signed("trustctl test token signer", type));
  TRUSTCTL_TRY(write_text(token_key_file(), signing.key_pem, 0600));
  TRUSTCTL_TRY(write_text(token_cert_file(), signing.cert_pem));
  TRUSTCTL_TRY(write_text(token_log_file(), ""));

  DaemonSpec spec;
  spec.argv = {server,
               "--port",
               "0",
               "--key",
               token_key_file(),
               "--cert",
               token_cert_file(),
               "--issuer",
               kTokenIssuer,
               "--service",
               kTokenService,
               "--user",
               c.user + ":" + c.password,
               "--expiry",
               std::to_string(options_.token_expiry_seconds),
               "--record",
               token_requests_file()};
  // A TLS registry gets a token server on HTTPS (same CA; the server certificate names
  // 127.0.0.1): clients refuse to send credentials to a plain-HTTP realm of an HTTPS registry.
  if (options_.tls) {
    spec.argv.insert(spec.argv.end(), {"--tls-cert", dir_ + "/tls/server.crt", "--tls-key",
                                       dir_ + "/tls/server.key"});
  }
  spec.log_file = token_log_file();
  spec.die_with_parent = !options_.detached;
  TRUSTCTL_TRY_ASSIGN(token_pid_, spawn_daemon(spec));
  TRUSTCTL_TRY(write_text(dir_ + "/token.pid", std::to_string(token_pid_) + "\n"));

  // The server prints its port as the first line of its output once it listens.
  auto deadline = Clock::now() + options_.ready_timeout;
  while (Clock::now() < deadline) {
    std::ifstream in(token_log_file());
    std::string line;
    if (std::getline(in, line) && !in.eof() && !line.empty() &&
        line.find_first_not_of("0123456789") == std::string::npos) {
      token_url_ = std::string(options_.tls ? "https" : "http") + "://127.0.0.1:" + line + "/token";
      return {};
    }
    if (reap_if_exited(token_pid_)) {
      token_pid_ = 0;
      return Error(ErrorCode::kInternal, "the token server exited at start; " + token_log_file() +
                                             ":\n" + tail_file(token_log_file()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return Error(ErrorCode::kInternal, "the token server printed no port in time; " +
                                         token_log_file() + ":\n" + tail_file(token_log_file()));
}

Status TestRegistry::start_registry() {
  std::string registry = find_program("docker-registry");
  const int kAttempts = 5;
  for (int attempt = 1;; ++attempt) {
    TRUSTCTL_TRY_ASSIGN(port_, pick_free_port());
    url_ = std::string(options_.tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);

    std::ostringstream y;
    y << "version: 0.1\n"
      << "log:\n  level: info\n  formatter: text\n  accesslog:\n    disabled: false\n"
      << "storage:\n  filesystem:\n    rootdirectory: " << yaml_quote(data_dir()) << "\n"
      << "  delete:\n    enabled: " << (options_.delete_enabled ? "true" : "false") << "\n"
      << "  cache:\n    blobdescriptor: inmemory\n"
      << "  maintenance:\n    uploadpurging:\n      enabled: false\n"
      << "http:\n  addr: 127.0.0.1:" << port_ << "\n"
      << "  secret: " << random_hex(16) << "\n"
      << "  relativeurls: " << (options_.relative_urls ? "true" : "false") << "\n"
      << "  headers:\n    X-Content-Type-Options: [nosniff]\n";
    if (options_.tls) {
      y << "  tls:\n    certificate: " << yaml_quote(dir_ + "/tls/server.crt") << "\n"
        << "    key: " << yaml_quote(dir_ + "/tls/server.key") << "\n";
    }
    if (options_.htpasswd) {
      y << "auth:\n  htpasswd:\n    realm: " << kHtpasswdRealm << "\n"
        << "    path: " << yaml_quote(dir_ + "/auth/htpasswd") << "\n";
    } else if (options_.token) {
      y << "auth:\n  token:\n    realm: " << yaml_quote(token_url_) << "\n"
        << "    service: " << kTokenService << "\n"
        << "    issuer: " << kTokenIssuer << "\n"
        << "    rootcertbundle: " << yaml_quote(token_cert_file()) << "\n";
    }
    TRUSTCTL_TRY(write_text(config_file(), y.str()));
    TRUSTCTL_TRY(write_text(log_file(), ""));

    DaemonSpec spec;
    spec.argv = {registry, "serve", config_file()};
    spec.env = registry_environment();
    spec.log_file = log_file();
    spec.die_with_parent = !options_.detached;
    TRUSTCTL_TRY_ASSIGN(pid_, spawn_daemon(spec));
    TRUSTCTL_TRY(write_text(dir_ + "/registry.pid", std::to_string(pid_) + "\n"));

    auto deadline = Clock::now() + options_.ready_timeout;
    bool exited = false;
    while (Clock::now() < deadline) {
      int status = probe_v2(port_, options_.tls, ca_file_);
      if (status == 200 || status == 401) return {};
      if (reap_if_exited(pid_)) {
        exited = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(15));
    }
    std::string log = tail_file(log_file());
    if (exited) {
      pid_ = 0;
      // Someone took the port between our probe and the registry's bind: try another.
      if (log.find("address already in use") != std::string::npos && attempt < kAttempts) continue;
      return Error(ErrorCode::kInternal,
                   "docker-registry exited at start; " + log_file() + ":\n" + log);
    }
    return Error(ErrorCode::kInternal, "docker-registry did not answer GET " + url_ +
                                           "/v2/ in time; " + log_file() + ":\n" + log);
  }
}

Status TestRegistry::write_env() const {
  std::ostringstream env;
  auto var = [&env](const char* name, const std::string& value) {
    env << name << "=" << shell_quote(value) << "\n";
  };
  var("REGISTRY_URL", url_);
  var("REGISTRY_HOST", host_port());
  var("REGISTRY_CACERT", ca_file_);
  var("REGISTRY_CERTDIR", certs_dir_);
  var("REGISTRY_USER", username_);
  var("REGISTRY_PASSWORD", password_);
  var("TOKEN_URL", token_url_);
  env << "export REGISTRY_URL REGISTRY_HOST REGISTRY_CACERT REGISTRY_CERTDIR REGISTRY_USER "
         "REGISTRY_PASSWORD TOKEN_URL\n";
  TRUSTCTL_TRY(write_text(env_file(), env.str(), 0600));
  return write_text(dir_ + "/url", url_ + "\n");
}

TestRegistry::~TestRegistry() {
  if (released_) return;
  Status st = stop();
  if (!st) std::cerr << "TestRegistry: " << st.error().message() << "\n";
}

Status TestRegistry::stop() {
  if (stopped_ || released_) return {};
  stopped_ = true;
  std::string errors;
  if (Status st = stop_process(pid_, registry_matcher(dir_)); !st)
    errors += st.error().message() + "; ";
  if (Status st = stop_process(token_pid_, token_matcher(dir_)); !st)
    errors += st.error().message() + "; ";
  std::error_code ec;
  if (!dir_.empty()) {
    stdfs::remove(dir_ + "/registry.pid", ec);
    stdfs::remove(dir_ + "/token.pid", ec);
    if (options_.keep_dir || keep_requested_by_env()) {
      std::cerr << "TestRegistry: kept " << dir_ << "\n";
    } else if (own_dir_) {
      stdfs::remove_all(dir_, ec);
    } else {
      stdfs::remove_all(data_dir(), ec);
    }
  }
  if (!errors.empty()) return Error(ErrorCode::kInternal, "stopping: " + errors);
  return {};
}

Status TestRegistry::stop_dir(const std::string& dir_arg, bool purge) {
  std::string dir = canonical_dir(dir_arg);
  struct Entry {
    std::string pid_file;
    CmdlineMatcher matcher;
  };
  // Both at once: each may wait a moment for init to reap its zombie.
  std::vector<std::future<std::string>> stops;
  for (auto& entry : {Entry{dir + "/registry.pid", registry_matcher(dir)},
                      Entry{dir + "/token.pid", token_matcher(dir)}}) {
    stops.push_back(std::async(std::launch::async, [entry]() -> std::string {
      Status st = stop_process(read_pid_file(entry.pid_file), entry.matcher);
      if (!st) return st.error().message() + "; ";
      std::error_code ec;
      stdfs::remove(entry.pid_file, ec);
      return "";
    }));
  }
  std::string errors;
  for (auto& f : stops) errors += f.get();
  if (!errors.empty()) return Error(ErrorCode::kInternal, "stopping: " + errors);
  if (purge && stdfs::exists(dir)) {
    if (!stdfs::exists(dir + "/config.yml") && !stdfs::exists(dir + "/env"))
      return Error(ErrorCode::kUsage,
                   dir + " does not look like a test registry folder; not removed");
    std::error_code ec;
    stdfs::remove_all(dir, ec);
    if (ec) return Error(ErrorCode::kIo, "removing " + dir + ": " + ec.message());
  }
  return {};
}

std::string TestRegistry::token_host_port() const {
  if (token_url_.empty()) return "";
  std::string rest = token_url_.substr(token_url_.find("://") + 3);
  return rest.substr(0, rest.find('/'));
}

std::string TestRegistry::log_tail(size_t lines) const { return tail_file(log_file(), lines); }

Result<JwtSigner> TestRegistry::token_signer() const {
  if (!options_.token) return Error(ErrorCode::kUsage, "TestRegistry: no token auth");
  std::ifstream key_in(token_key_file()), cert_in(token_cert_file());
  std::stringstream key, cert;
  key << key_in.rdbuf();
  cert << cert_in.rdbuf();
  return JwtSigner::from_pem(key.str(), cert.str());
}

std::vector<std::string> TestRegistry::skopeo_dest_flags() const {
  std::vector<std::string> flags;
  if (!username_.empty()) flags.insert(flags.end(), {"--dest-creds", username_ + ":" + password_});
  if (options_.tls)
    flags.insert(flags.end(), {"--dest-cert-dir", certs_dir_});
  else
    flags.emplace_back("--dest-tls-verify=false");
  return flags;
}

}  // namespace trustctl::testing
