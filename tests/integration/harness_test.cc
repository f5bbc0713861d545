// Self-tests of the test environment (tests/support, registry-fixtures): each TestRegistry
// variant starts, answers /v2/ as configured, takes the fixtures with their fixed digests and
// leaves no process behind. HTTP goes through curl, never through trustctl's own client.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/fixtures.h"
#include "support/hostile_proxy.h"
#include "support/jwt.h"
#include "support/openssl_util.h"
#include "support/process.h"
#include "support/registry_harness.h"
#include "support/temp_dir.h"
#include "support/tls_material.h"
#include "trustctl/core/subprocess.h"

namespace {

using nlohmann::json;
using trustctl::ProcessOutput;
using trustctl::run_process;
using namespace trustctl::testing;
namespace stdfs = std::filesystem;

constexpr char kAcceptAll[] =
    "Accept: application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json";

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Http {
  int curl_exit = -1;
  int status = 0;
  std::string version;                         // "1.1", "2"
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

// curl -i METHOD URL; `args` go before the URL.
Http curl(const std::string& method, const std::string& url, std::vector<std::string> args = {},
          const std::string& ca_file = "") {
  std::vector<std::string> argv = {"curl", "-sS", "-i", "--max-time", "15", "-X", method};
  if (!ca_file.empty()) argv.insert(argv.end(), {"--cacert", ca_file});
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back(url);
  auto out = run_process(argv);
  REQUIRE(out.ok());
  Http r;
  r.curl_exit = out->exit_status;
  std::string text = out->out;
  while (true) {
    size_t end = text.find("\r\n\r\n");
    if (end == std::string::npos) break;
    std::istringstream head(text.substr(0, end));
    std::string line, proto;
    std::getline(head, line);
    std::istringstream status_line(line);
    status_line >> proto >> r.status;
    r.version = proto.substr(proto.find('/') + 1);
    r.headers.clear();
    while (std::getline(head, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      r.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
    }
    text = text.substr(end + 4);
    if (r.status != 100) break;
  }
  r.body = text;
  INFO(method << " " << url << ": curl exit " << r.curl_exit << " " << out->err);
  return r;
}

Http registry_call(const TestRegistry& reg, const std::string& method, const std::string& path,
                   std::vector<std::string> args = {}) {
  return curl(method, reg.url() + path, std::move(args), reg.ca_file());
}

std::vector<std::string> basic(const TestRegistry& reg) {
  return {"-u", reg.username() + ":" + reg.password()};
}
std::vector<std::string> bearer(const std::string& token) {
  return {"-H", "Authorization: Bearer " + token};
}
std::vector<std::string> operator+(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::unique_ptr<TestRegistry> start(RegistryOptions options) {
  auto reg = TestRegistry::start(std::move(options));
  INFO((reg.ok() ? std::string() : reg.error().message()));
  REQUIRE(reg.ok());
  return std::move(reg).value();
}

// One layout per test process, shared by every push (push-images.sh LAYOUT=...).
const std::string& shared_layout() {
  static struct Layout {
    std::string root;
    Layout() {
      char tmpl[] = "/tmp/trustctl-layout.XXXXXX";
      REQUIRE(::mkdtemp(tmpl) != nullptr);
      root = tmpl;
      auto made = make_fixture_layout(root + "/layout");
      INFO((made.ok() ? std::string() : made.error().message()));
      REQUIRE(made.ok());
      root += "/layout";
    }
    ~Layout() {
      std::error_code ec;
      stdfs::remove_all(stdfs::path(root).parent_path(), ec);
    }
  } layout;
  return layout.root;
}

struct Expected {
  std::string tag, digest, media_type;
};
const std::vector<Expected>& expected_tags() {
  static const std::vector<Expected> tags = {
      {"v1", fixture_digest::kV1, kOciManifest},
      {"v1-docker", fixture_digest::kV1Docker, kDockerManifest},
      {"multi", fixture_digest::kMulti, kOciIndex},
      {"multi-docker", fixture_digest::kMultiDocker, kDockerManifestList},
      {"app", fixture_digest::kSecureApp, kOciManifest},
  };
  return tags;
}

void push_and_check(const TestRegistry& reg) {
  PushOptions po;
  po.app_tags = {"app"};
  po.layout = shared_layout();
  auto pushed = push_fixtures(reg, "secure-app", po);
  INFO((pushed.ok() ? std::string() : pushed.error().message()));
  REQUIRE(pushed.ok());
  REQUIRE(pushed->size() == expected_tags().size());
  for (size_t i = 0; i < pushed->size(); ++i) {
    CHECK((*pushed)[i].tag == expected_tags()[i].tag);
    CHECK((*pushed)[i].digest == expected_tags()[i].digest);
    CHECK((*pushed)[i].media_type == expected_tags()[i].media_type);
  }
}

// GETs every fixture tag with all four media types accepted; `auth` are curl flags.
void check_manifests(const TestRegistry& reg, const std::vector<std::string>& auth) {
  for (const auto& want : expected_tags()) {
    INFO("tag " << want.tag);
    Http r = registry_call(reg, "GET", "/v2/secure-app/manifests/" + want.tag,
                           std::vector<std::string>{"-H", kAcceptAll} + auth);
    REQUIRE(r.status == 200);
    CHECK(r.header("content-type") == want.media_type);
    CHECK(r.header("docker-content-digest") == want.digest);
    CHECK(sha256_digest(r.body) == want.digest);
    if (want.tag == "multi" || want.tag == "multi-docker") {
      json children = json::parse(r.body)["manifests"];
      REQUIRE(children.size() == 2);
      bool oci = want.tag == "multi";
      CHECK(children[0]["digest"] == (oci ? fixture_digest::kV1 : fixture_digest::kV1Docker));
      CHECK(children[1]["digest"] ==
            (oci ? fixture_digest::kMultiArm64 : fixture_digest::kMultiDockerArm64));
      CHECK(children[1]["platform"]["variant"] == "v8");
    }
  }
}

bool port_open(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool open = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return open;
}

bool pid_gone(pid_t pid) { return pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH; }

void stop_and_check_gone(std::unique_ptr<TestRegistry> reg) {
  pid_t pid = reg->pid(), token_pid = reg->token_pid();
  int port = reg->port();
  std::string dir = reg->base_dir();
  REQUIRE(pid > 0);
  REQUIRE(reg->stop().ok());
  CHECK(pid_gone(pid));
  if (reg->options().token) CHECK(pid_gone(token_pid));
  CHECK_FALSE(port_open(port));
  CHECK_FALSE(stdfs::exists(dir));
  reg.reset();
}

// GET realm?service=&scope=... (several scopes allowed) as `user` ("" = anonymous).
Http token_request(const TestRegistry& reg, const std::vector<std::string>& scopes,
                   const std::string& user = "", const std::string& password = "") {
  std::vector<std::string> args = {"-G", "--data-urlencode",
                                   std::string("service=") + kTokenService};
  for (const auto& s : scopes) args.insert(args.end(), {"--data-urlencode", "scope=" + s});
  if (!user.empty()) args.insert(args.end(), {"-u", user + ":" + password});
  return curl("GET", reg.token_url(), args);
}

std::string token_for(const TestRegistry& reg, const std::vector<std::string>& scopes,
                      const std::string& user = "", const std::string& password = "") {
  Http r = token_request(reg, scopes, user, password);
  REQUIRE(r.status == 200);
  json body = json::parse(r.body);
  REQUIRE(body["token"] == body["access_token"]);
  CHECK(body["expires_in"] == 300);
  CHECK(body["issued_at"].get<std::string>().size() == 20);
  return body["token"].get<std::string>();
}

json access_of(const std::string& token) {
  auto decoded = decode_jwt(token);
  REQUIRE(decoded.ok());
  return decoded->claims["access"];
}

}  // namespace

TEST_CASE("plain registry: anonymous /v2/, fixed digests, absolute Location, DELETE", "[harness]") {
  auto reg = start({});
  CHECK(reg->url() == "http://" + reg->host_port());
  CHECK(reg->host_port() == "127.0.0.1:" + std::to_string(reg->port()));
  CHECK(reg->ca_file().empty());
  CHECK(reg->token_url().empty());
  CHECK(read_text(reg->env_file()).find("REGISTRY_URL='" + reg->url() + "'") != std::string::npos);

  Http v2 = registry_call(*reg, "GET", "/v2/");
  CHECK(v2.status == 200);
  CHECK(v2.body == "{}");
  CHECK(v2.header("docker-distribution-api-version") == "registry/2.0");

  push_and_check(*reg);
  check_manifests(*reg, {});

  Http upload = registry_call(*reg, "POST", "/v2/secure-app/blobs/uploads/");
  CHECK(upload.status == 202);
  CHECK(upload.header("location").rfind(reg->url() + "/v2/secure-app/blobs/uploads/", 0) == 0);

  Http del = registry_call(*reg, "DELETE",
                           std::string("/v2/secure-app/manifests/") + fixture_digest::kV1Docker);
  CHECK(del.status == 202);
  Http gone = registry_call(*reg, "GET", "/v2/secure-app/manifests/v1-docker", {"-H", kAcceptAll});
  CHECK(gone.status == 404);

  stop_and_check_gone(std::move(reg));
}

TEST_CASE("TLS registry: own CA, SANs, HTTP/2, certs dir", "[harness]") {
  RegistryOptions o;
  o.tls = true;
  auto reg = start(o);
  CHECK(reg->url() == "https://" + reg->host_port());
  REQUIRE(stdfs::exists(reg->ca_file()));
  std::vector<std::string> certs;
  for (const auto& e : stdfs::directory_iterator(reg->certs_dir()))
    certs.push_back(e.path().filename());
  CHECK(certs == std::vector<std::string>{"ca.crt"});
  CHECK(read_text(reg->certs_dir() + "/ca.crt") == read_text(reg->ca_file()));

  Http v2 = registry_call(*reg, "GET", "/v2/");
  CHECK(v2.status == 200);
  CHECK(v2.version == "2");
  // DNS:localhost is in the SANs too; without the CA curl refuses (exit 60).
  Http by_name = curl("GET", "https://localhost:" + std::to_string(reg->port()) + "/v2/",
                      {"--resolve", "localhost:" + std::to_string(reg->port()) + ":127.0.0.1"},
                      reg->ca_file());
  CHECK(by_name.status == 200);
  Http untrusted = curl("GET", reg->url() + "/v2/");
  CHECK(untrusted.curl_exit == 60);

  push_and_check(*reg);
  check_manifests(*reg, {});

  // A client certificate from the same CA, for mutual-TLS tests.
  auto ca = make_ca("harness CA");
  REQUIRE(ca.ok());
  auto client = make_client_cert(*ca, "trustctl-client");
  REQUIRE(client.ok());
  auto cert = load_cert(client->cert_pem);
  auto ca_cert = load_cert(ca->cert_pem);
  REQUIRE((cert.ok() && ca_cert.ok()));
  PkeyPtr ca_key(X509_get_pubkey(ca_cert->get()));
  CHECK(X509_verify(cert->get(), ca_key.get()) == 1);

  stop_and_check_gone(std::move(reg));
}

TEST_CASE("TLS + htpasswd registry: Basic challenge, credentials", "[harness]") {
  RegistryOptions o;
  o.tls = true;
  o.htpasswd = Credentials{"alice", "s3cret"};
  auto reg = start(o);
  CHECK(reg->username() == "alice");
  CHECK(reg->password() == "s3cret");

  Http anon = registry_call(*reg, "GET", "/v2/");
  CHECK(anon.status == 401);
  CHECK(anon.header("www-authenticate") == "Basic realm=\"trustctl-test-realm\"");
  CHECK(registry_call(*reg, "GET", "/v2/", basic(*reg)).status == 200);
  CHECK(registry_call(*reg, "GET", "/v2/", {"-u", "alice:wrong"}).status == 401);

  push_and_check(*reg);
  check_manifests(*reg, basic(*reg));
  stop_and_check_gone(std::move(reg));
}

TEST_CASE("token registry: grants by account, JWTs the registry accepts", "[harness]") {
  RegistryOptions o;
  o.token = Credentials{"alice", "t0ken-pw"};
  auto reg = start(o);
  REQUIRE(reg->token_pid() > 0);
  REQUIRE(reg->token_url().rfind("http://127.0.0.1:", 0) == 0);

  Http anon_v2 = registry_call(*reg, "GET", "/v2/");
  CHECK(anon_v2.status == 401);
  CHECK(anon_v2.header("www-authenticate") ==
        "Bearer realm=\"" + reg->token_url() + "\",service=\"trustctl-test-registry\"");

  // The token's key id is the libtrust fingerprint of the certificate in rootcertbundle.
  std::string anon_token = token_for(*reg, {"repository:secure-app:pull,push"});
  auto decoded = decode_jwt(anon_token);
  REQUIRE(decoded.ok());
  auto kid = libtrust_key_id(read_text(reg->token_cert_file()));
  REQUIRE(kid.ok());
  CHECK(decoded->header["kid"] == *kid);
  CHECK(decoded->header["alg"] == "ES256");
  CHECK(decoded->signature.size() == 64);
  CHECK(decoded->claims["aud"] == kTokenService);
  CHECK(decoded->claims["iss"] == kTokenIssuer);
  CHECK(decoded->claims["sub"] == "");
  for (const auto& a : decoded->claims["access"]) CHECK(a["actions"].empty());

  CHECK(token_request(*reg, {"repository:secure-app:pull"}, "alice", "wrong").status == 401);

  // skopeo as alice runs the whole flow; the token server records what it was asked.
  push_and_check(*reg);
  bool saw_account = false;
  std::istringstream log(read_text(reg->token_requests_file()));
  for (std::string line; std::getline(log, line);) {
    json rec = json::parse(line);
    for (const auto& p : rec["params"])
      if (p[0] == "account" && p[1] == "alice" && rec["basic_user"] == "alice") saw_account = true;
  }
  CHECK(saw_account);

  // Anonymous: nothing.
  Http anon_tags = registry_call(*reg, "GET", "/v2/secure-app/tags/list", bearer(anon_token));
  CHECK(anon_tags.status == 401);
  CHECK(anon_tags.header("www-authenticate").find("error=\"insufficient_scope\"") !=
        std::string::npos);

  // reader: pull yes, push no.
  std::string reader =
      token_for(*reg, {"repository:secure-app:pull,push"}, kReaderUser, kReaderPassword);
  CHECK(access_of(reader) ==
        json::parse(R"([{"type":"repository","name":"secure-app","actions":["pull"]}])"));
  check_manifests(*reg, bearer(reader));
  Http reader_push = registry_call(*reg, "POST", "/v2/secure-app/blobs/uploads/", bearer(reader));
  CHECK(reader_push.status == 401);
  CHECK(reader_push.header("www-authenticate").find("insufficient_scope") != std::string::npos);

  // alice: push, and the catalog; two scopes in one request.
  std::string alice =
      token_for(*reg, {"repository:secure-app:pull,push registry:catalog:*"}, "alice", "t0ken-pw");
  CHECK(access_of(alice).size() == 2);
  CHECK(registry_call(*reg, "POST", "/v2/secure-app/blobs/uploads/", bearer(alice)).status == 202);
  Http catalog = registry_call(*reg, "GET", "/v2/_catalog", bearer(alice));
  CHECK(catalog.status == 200);
  CHECK(catalog.body.find("secure-app") != std::string::npos);

  // Hand-made tokens with the server's key: accepted as is, refused when broken.
  auto signer = reg->token_signer();
  REQUIRE(signer.ok());
  TokenClaimsSpec spec;
  spec.issuer = kTokenIssuer;
  spec.audience = kTokenService;
  spec.subject = "hand-made";
  spec.access = json::parse(R"([{"type":"repository","name":"secure-app","actions":["pull"]}])");
  auto good = signer->sign(token_claims(spec));
  REQUIRE(good.ok());
  CHECK(registry_call(*reg, "GET", "/v2/secure-app/tags/list", bearer(*good)).status == 200);
  json aud_array = token_claims(spec);
  aud_array["aud"] = json::array({kTokenService});
  auto bad = signer->sign(aud_array);
  REQUIRE(bad.ok());
  Http refused = registry_call(*reg, "GET", "/v2/secure-app/tags/list", bearer(*bad));
  CHECK(refused.status == 401);
  CHECK(refused.header("www-authenticate").find("invalid_token") != std::string::npos);
  spec.issued_at -= std::chrono::hours(2);
  auto expired = signer->sign(token_claims(spec));
  REQUIRE(expired.ok());
  CHECK(registry_call(*reg, "GET", "/v2/secure-app/tags/list", bearer(*expired)).status == 401);

  // OAuth2 form: password grant with a refresh token, then the refresh_token grant.
  std::vector<std::string> form = {"--data-urlencode", "grant_type=password",
                                   "--data-urlencode", "username=alice",
                                   "--data-urlencode", "password=t0ken-pw",
                                   "--data-urlencode", std::string("service=") + kTokenService,
                                   "--data-urlencode", "scope=repository:secure-app:pull",
                                   "--data-urlencode", "client_id=trustctl-harness",
                                   "--data-urlencode", "access_type=offline"};
  Http oauth = curl("POST", reg->token_url(), form);
  REQUIRE(oauth.status == 200);
  std::string refresh = json::parse(oauth.body)["refresh_token"].get<std::string>();
  Http renewed =
      curl("POST", reg->token_url(),
           {"--data-urlencode", "grant_type=refresh_token", "--data-urlencode",
            "refresh_token=" + refresh, "--data-urlencode", "scope=repository:secure-app:pull",
            "--data-urlencode", "client_id=trustctl-harness"});
  REQUIRE(renewed.status == 200);
  std::string renewed_token = json::parse(renewed.body)["access_token"].get<std::string>();
  CHECK(registry_call(*reg, "GET", "/v2/secure-app/tags/list", bearer(renewed_token)).status ==
        200);
  CHECK(curl("POST", reg->token_url(),
             {"--data-urlencode", "grant_type=refresh_token", "--data-urlencode",
              "refresh_token=nope"})
            .status == 400);

  stop_and_check_gone(std::move(reg));
}

TEST_CASE("token registry with an RSA key signs RS256", "[harness]") {
  RegistryOptions o;
  o.token = Credentials{"bob", "pw"};
  o.token_algorithm = TokenAlgorithm::kRs256;
  auto reg = start(o);
  std::string token = token_for(*reg, {"repository:secure-app:pull,push"}, "bob", "pw");
  auto decoded = decode_jwt(token);
  REQUIRE(decoded.ok());
  CHECK(decoded->header["alg"] == "RS256");
  CHECK(registry_call(*reg, "GET", "/v2/", bearer(token)).status == 200);
  CHECK(registry_call(*reg, "POST", "/v2/secure-app/blobs/uploads/", bearer(token)).status == 202);
  stop_and_check_gone(std::move(reg));
}

TEST_CASE("registry without delete answers 405 UNSUPPORTED", "[harness]") {
  RegistryOptions o;
  o.delete_enabled = false;
  auto reg = start(o);
  push_and_check(*reg);
  Http del =
      registry_call(*reg, "DELETE", std::string("/v2/secure-app/manifests/") + fixture_digest::kV1);
  CHECK(del.status == 405);
  CHECK(del.body.find("UNSUPPORTED") != std::string::npos);
  check_manifests(*reg, {});
  stop_and_check_gone(std::move(reg));
}

TEST_CASE("registry with relative URLs sends relative Location headers", "[harness]") {
  RegistryOptions o;
  o.relative_urls = true;
  auto reg = start(o);
  push_and_check(*reg);
  check_manifests(*reg, {});
  Http upload = registry_call(*reg, "POST", "/v2/secure-app/blobs/uploads/");
  CHECK(upload.status == 202);
  CHECK(upload.header("location").rfind("/v2/secure-app/blobs/uploads/", 0) == 0);
  stop_and_check_gone(std::move(reg));
}

TEST_CASE("a given base dir keeps config and logs, loses only data/", "[harness]") {
  TempDir tmp;
  const std::string tmpl = tmp.path;
  std::string dir = tmpl;
  RegistryOptions o;
  o.base_dir = dir + "/reg";
  auto reg = start(o);
  CHECK(reg->base_dir() == dir + "/reg");
  CHECK(stdfs::exists(dir + "/reg/registry.pid"));
  // A second registry in the same folder is refused while the first runs.
  auto again = TestRegistry::start(o);
  CHECK_FALSE(again.ok());
  CHECK(stdfs::exists(dir + "/reg/registry.pid"));  // the refused start touched nothing
  CHECK(stdfs::exists(dir + "/reg/data"));
  CHECK(registry_call(*reg, "GET", "/v2/").status == 200);
  pid_t pid = reg->pid();
  REQUIRE(reg->stop().ok());
  CHECK(pid_gone(pid));
  CHECK(stdfs::exists(dir + "/reg/config.yml"));
  CHECK(stdfs::exists(dir + "/reg/registry.log"));
  CHECK_FALSE(stdfs::exists(dir + "/reg/data"));
  CHECK_FALSE(stdfs::exists(dir + "/reg/registry.pid"));
}

TEST_CASE("HostileProxy forwards to a TLS registry, rewrites, counts and drips", "[harness]") {
  RegistryOptions o;
  o.tls = true;
  o.htpasswd = Credentials{"alice", "pw"};
  auto reg = start(o);
  push_and_check(*reg);
  auto started = HostileProxy::start(reg->url(), reg->ca_file());
  INFO((started.ok() ? std::string() : started.error().message()));
  REQUIRE(started.ok());
  HostileProxy& proxy = **started;
  const std::string v1 = proxy.url() + "/v2/secure-app/manifests/v1";

  // Forwarded as they are: the manifest and its digest; HEAD keeps the length, sends no body.
  Http get = curl("GET", v1, std::vector<std::string>{"-H", kAcceptAll} + basic(*reg));
  CHECK(get.status == 200);
  CHECK(get.header("docker-content-digest") == fixture_digest::kV1);
  CHECK(sha256_digest(get.body) == fixture_digest::kV1);
  Http head = curl("HEAD", v1, std::vector<std::string>{"-I", "-H", kAcceptAll} + basic(*reg));
  CHECK(head.status == 200);
  CHECK(head.header("content-length") == std::to_string(get.body.size()));
  CHECK(head.header("docker-content-digest") == fixture_digest::kV1);
  CHECK(head.body.empty());
  // The Host header is forwarded: registry:2 builds upload Locations on the proxy's address.
  Http post = curl("POST", proxy.url() + "/v2/secure-app/blobs/uploads/",
                   std::vector<std::string>{"--data-binary", ""} + basic(*reg));
  CHECK(post.status == 202);
  INFO("Location: " << post.header("location"));
  CHECK(post.header("location").rfind(proxy.url() + "/v2/secure-app/blobs/uploads/", 0) == 0);

  // before: an injected answer; after: an edited one; counts by method and path.
  proxy.before([](const ProxyRequest& r) -> std::optional<ProxyAnswer> {
    if (r.path == "/v2/" && r.seen == 1)
      return ProxyAnswer::registry_error(503, "UNAVAILABLE", "service unavailable");
    return std::nullopt;
  });
  proxy.after([](const ProxyRequest&, ProxyAnswer& a) { a.set_header("X-Hostile", "yes"); });
  Http failed = curl("GET", proxy.url() + "/v2/", basic(*reg));
  CHECK(failed.status == 503);
  CHECK(failed.body.find("UNAVAILABLE") != std::string::npos);
  Http passed = curl("GET", proxy.url() + "/v2/", basic(*reg));
  CHECK(passed.status == 200);
  CHECK(passed.header("x-hostile") == "yes");
  CHECK(proxy.count("GET", "/v2/") == 2);
  CHECK(proxy.count("HEAD", "/v2/secure-app/manifests/v1") == 1);
  CHECK(proxy.count_containing("GET", "/manifests/") == 1);
  CHECK(proxy.log().size() == 5);

  // A drip of 30 bytes at 20 bytes/s takes at least 1.5 s (a lower bound: load only adds).
  proxy.clear_hooks();
  proxy.before([](const ProxyRequest& r) -> std::optional<ProxyAnswer> {
    if (r.path != "/drip") return std::nullopt;
    ProxyAnswer a = ProxyAnswer::text(200, std::string(30, 'x'));
    a.drip_bytes_per_second = 20;
    return a;
  });
  const auto t0 = std::chrono::steady_clock::now();
  Http drip = curl("GET", proxy.url() + "/drip");
  CHECK(drip.body == std::string(30, 'x'));
  CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(1400));
}

TEST_CASE("trustctl-testenv starts registries that outlive it and stops only its PIDs",
          "[harness]") {
  TempDir tmp;
  const std::string tmpl = tmp.path;
  std::string dir = std::string(tmpl) + "/env";

  auto started = run_process({testenv_program(), "start", dir, "--tls", "--token", "carol:pw"});
  REQUIRE(started.ok());
  INFO(started->err);
  REQUIRE(started->exit_status == 0);
  std::string url = started->out.substr(0, started->out.find('\n'));
  CHECK(url.rfind("https://127.0.0.1:", 0) == 0);

  pid_t reg_pid = std::stoi(read_text(dir + "/registry.pid"));
  pid_t token_pid = std::stoi(read_text(dir + "/token.pid"));
  CHECK(process_running(reg_pid));
  CHECK(process_running(token_pid));

  // DIR/env is shell-sourceable and names everything a script needs.
  auto env = run_process(
      {"bash", "-c",
       "set -u; . \"$1\"; printf '%s|%s|%s|%s|%s|%s|%s' \"$REGISTRY_URL\" \"$REGISTRY_HOST\" "
       "\"$REGISTRY_CACERT\" \"$REGISTRY_CERTDIR\" \"$REGISTRY_USER\" \"$REGISTRY_PASSWORD\" "
       "\"$TOKEN_URL\"",
       "bash", dir + "/env"});
  REQUIRE(env.ok());
  std::vector<std::string> v;
  std::istringstream fields(env->out);
  for (std::string f; std::getline(fields, f, '|');) v.push_back(f);
  REQUIRE(v.size() == 7);
  CHECK(v[0] == url);
  CHECK(v[1] == url.substr(8));
  CHECK(v[2] == dir + "/tls/ca.crt");
  CHECK(v[3] == dir + "/certs.d");
  CHECK(v[4] == "carol");
  CHECK(v[5] == "pw");
  CHECK(v[6].rfind("https://127.0.0.1:", 0) == 0);  // a TLS registry's token server is HTTPS
  Http v2 = curl("GET", url + "/v2/", {}, v[2]);
  CHECK(v2.status == 401);

  // A PID file naming someone else's process: stop refuses and leaves it alone.
  std::string decoy_dir = std::string(tmpl) + "/decoy";
  stdfs::create_directories(decoy_dir);
  std::ofstream(decoy_dir + "/registry.pid") << ::getpid() << "\n";
  std::ofstream(decoy_dir + "/config.yml") << "version: 0.1\n";
  auto refused = run_process({testenv_program(), "stop", decoy_dir, "--purge"});
  REQUIRE(refused.ok());
  CHECK(refused->exit_status != 0);
  CHECK(refused->err.find("not ours") != std::string::npos);
  CHECK(stdfs::exists(decoy_dir + "/config.yml"));

  auto stopped = run_process({testenv_program(), "stop", dir, "--purge"});
  REQUIRE(stopped.ok());
  INFO(stopped->err);
  CHECK(stopped->exit_status == 0);
  CHECK_FALSE(process_running(reg_pid));
  CHECK_FALSE(process_running(token_pid));
  CHECK_FALSE(stdfs::exists(dir));
}

TEST_CASE("fixture layout is byte-identical and README lists its digests", "[harness]") {
  TempDir tmp;
  const std::string tmpl = tmp.path;
  auto again = make_fixture_layout(std::string(tmpl) + "/layout");
  REQUIRE(again.ok());
  REQUIRE(again->size() == 3);
  CHECK((*again)[0].digest == fixture_digest::kV1);
  CHECK((*again)[1].digest == fixture_digest::kMulti);
  CHECK((*again)[2].tag == "secure-app");
  CHECK((*again)[2].digest == fixture_digest::kSecureApp);
  // The lab app's config: non-root user, /app, port 8080.
  std::string app_hex = std::string(fixture_digest::kSecureApp).substr(7);
  json manifest = json::parse(read_text(std::string(tmpl) + "/layout/blobs/sha256/" + app_hex));
  std::string config_hex = manifest["config"]["digest"].get<std::string>().substr(7);
  json config = json::parse(read_text(std::string(tmpl) + "/layout/blobs/sha256/" + config_hex));
  CHECK(config["config"]["User"] == "appuser");
  CHECK(config["config"]["WorkingDir"] == "/app");
  CHECK(config["config"]["ExposedPorts"].contains("8080/tcp"));

  std::string readme = read_text(fixtures_dir() + "/README.md");
  for (const char* d : {fixture_digest::kV1, fixture_digest::kV1Docker, fixture_digest::kMulti,
                        fixture_digest::kMultiDocker, fixture_digest::kSecureApp,
                        fixture_digest::kMultiArm64, fixture_digest::kMultiDockerArm64})
    CHECK(readme.find(d) != std::string::npos);
}

TEST_CASE("docker-credential-trustctl-test speaks the credential helper protocol", "[harness]") {
  TempDir tmp;
  const std::string tmpl = tmp.path;
  std::string store = std::string(tmpl) + "/store.json", log = std::string(tmpl) + "/calls";
  auto helper = [&](const std::string& action, const std::string& input) {
    auto out =
        run_process({"env", "TRUSTCTL_TEST_CREDENTIALS_FILE=" + store,
                     "TRUSTCTL_TEST_CREDENTIALS_LOG=" + log, credential_helper_program(), action},
                    input);
    REQUIRE(out.ok());
    return *out;
  };
  ProcessOutput missing = helper("get", "127.0.0.1:5000");
  CHECK(missing.exit_status != 0);
  CHECK(missing.out.find("credentials not found in native keychain") != std::string::npos);
  CHECK(helper("store", R"({"ServerURL":"127.0.0.1:5000","Username":"alice","Secret":"s3"})")
            .exit_status == 0);
  ProcessOutput got = helper("get", "127.0.0.1:5000");
  CHECK(got.exit_status == 0);
  CHECK(json::parse(got.out) ==
        json::parse(R"({"ServerURL":"127.0.0.1:5000","Username":"alice","Secret":"s3"})"));
  CHECK(json::parse(helper("list", "").out) == json::parse(R"({"127.0.0.1:5000":"alice"})"));
  CHECK(helper("erase", "127.0.0.1:5000").exit_status == 0);
  CHECK(json::parse(helper("list", "").out) == json::object());
  CHECK(read_text(log).find("get 127.0.0.1:5000\n") != std::string::npos);
}
