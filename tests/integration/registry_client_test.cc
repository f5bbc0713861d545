// The registry client against Debian's docker-registry (registry:2 code) on loopback: plain
// HTTP, TLS with a CA made by the test, htpasswd Basic auth and Bearer tokens.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "registry_env.h"
#include "trustctl/core/subprocess.h"
#include "trustctl/registry/digest.h"

using namespace trustctl;
using namespace trustctl::testing;
using registry::Digest;

namespace {

struct Variant {
  const char* name;
  RegistryOptions options;
};

std::vector<Variant> variants() {
  RegistryOptions plain;
  RegistryOptions tls;
  tls.tls = true;
  RegistryOptions basic;
  basic.tls = true;
  basic.htpasswd = Credentials{"alice", "s3cret"};
  RegistryOptions token;
  token.token = Credentials{"alice", "t0ken-pass"};
  RegistryOptions token_tls = token;
  token_tls.tls = true;
  token_tls.relative_urls = true;
  return {{"plain HTTP", plain},
          {"TLS", tls},
          {"TLS + htpasswd", basic},
          {"token auth", token},
          {"TLS + token auth + relative URLs", token_tls}};
}

// Layer of a pushed image, found through the registry's own answers.
registry::Descriptor first_layer(registry::RegistryClient& c, const std::string& repo,
                                 const std::string& tag) {
  auto m = c.get_manifest(repo, tag);
  REQUIRE(m.ok());
  REQUIRE_FALSE(m->layers.empty());
  return m->layers[0];
}

}  // namespace

TEST_CASE("read the four manifest types, blobs and tags in every registry variant") {
  for (const auto& v : variants()) {
    SECTION(v.name) {
      TempDir tmp;
      auto reg = start_registry(v.options);
      auto pushed = push_fixtures(*reg, "secure-app");
      INFO((pushed.ok() ? "" : pushed.error().message()));
      REQUIRE(pushed.ok());
      auto client = client_for(*reg, tmp.path);

      REQUIRE(client->ping().ok());
      struct Want {
        const char* tag;
        const char* digest;
        const char* type;
      };
      for (const auto& w : {Want{"v1", fixture_digest::kV1, kOciManifest},
                            Want{"v1-docker", fixture_digest::kV1Docker, kDockerManifest},
                            Want{"multi", fixture_digest::kMulti, kOciIndex},
                            Want{"multi-docker", fixture_digest::kMultiDocker, kDockerManifestList},
                            Want{"signed", fixture_digest::kSecureApp, kOciManifest}}) {
        INFO(w.tag);
        auto by_tag = client->get_manifest("secure-app", w.tag);
        REQUIRE(by_tag.ok());
        CHECK(by_tag->descriptor.digest == w.digest);
        CHECK(by_tag->descriptor.media_type == w.type);
        auto by_digest = client->get_manifest("secure-app", w.digest);
        REQUIRE(by_digest.ok());
        CHECK(by_digest->bytes == by_tag->bytes);
        auto head = client->head_manifest("secure-app", w.tag);
        REQUIRE(head.ok());
        CHECK(head->digest == w.digest);
        CHECK(head->media_type == w.type);
        CHECK(head->size == static_cast<std::int64_t>(by_tag->bytes.size()));
      }
      auto multi = client->get_manifest("secure-app", "multi");
      REQUIRE(multi->manifests.size() == 2);
      CHECK(multi->manifests[1].platform.string() == "linux/arm64/v8");

      auto layer = first_layer(*client, "secure-app", "signed");
      std::string streamed;
      REQUIRE(client
                  ->get_blob("secure-app", layer.digest, layer.size,
                             [&](std::string_view chunk) {
                               streamed.append(chunk);
                               return true;
                             })
                  .ok());
      CHECK(Digest::of(streamed).string() == layer.digest);
      CHECK(client->blob_exists("secure-app", layer.digest).value());
      CHECK_FALSE(client->blob_exists("secure-app", Digest::of("absent").string()).value());

      auto tags = client->list_tags("secure-app");
      REQUIRE(tags.ok());
      CHECK(*tags ==
            std::vector<std::string>{"app", "multi", "multi-docker", "signed", "v1", "v1-docker"});
    }
  }
}

TEST_CASE("what the client pushes, skopeo reads byte for byte") {
  for (const auto& v : variants()) {
    SECTION(v.name) {
      TempDir tmp;
      auto reg = start_registry(v.options);
      auto client = client_for(*reg, tmp.path);
      std::string layer = "trustctl test layer bytes";
      std::string config =
          R"({"architecture":"amd64","os":"linux","config":{"User":"1000"},"rootfs":{"type":"layers","diff_ids":[]}})";
      auto l = client->push_blob("pushed", layer, "application/vnd.oci.image.layer.v1.tar");
      REQUIRE(l.ok());
      auto c = client->push_blob("pushed", config, "application/vnd.oci.image.config.v1+json");
      REQUIRE(c.ok());
      // A second push of the same blob is a no-op.
      REQUIRE(client->push_blob("pushed", layer).ok());
      nlohmann::json m = {
          {"schemaVersion", 2},
          {"mediaType", kOciManifest},
          {"config", {{"mediaType", c->media_type}, {"digest", c->digest}, {"size", c->size}}},
          {"layers", {{{"mediaType", l->media_type}, {"digest", l->digest}, {"size", l->size}}}}};
      std::string bytes = m.dump();
      auto put = client->put_manifest("pushed", "v1", kOciManifest, bytes);
      REQUIRE(put.ok());
      CHECK(put->digest == Digest::of(bytes).string());

      std::vector<std::string> argv = {"skopeo", "inspect", "--raw"};
      if (!reg->username().empty())
        argv.push_back("--creds=" + reg->username() + ":" + reg->password());
      if (reg->tls())
        argv.push_back("--cert-dir=" + reg->certs_dir());
      else
        argv.push_back("--tls-verify=false");
      argv.push_back("docker://" + reg->host_port() + "/pushed:v1");
      auto raw = run_process(argv);
      REQUIRE(raw.ok());
      INFO(raw->err);
      REQUIRE(raw->exit_status == 0);
      CHECK(raw->out == bytes);

      // skopeo copy fetches and checks every blob.
      argv[1] = "copy";
      argv.erase(argv.begin() + 2);
      for (auto& a : argv) {
        if (a.rfind("--creds=", 0) == 0) a = "--src-creds=" + a.substr(8);
        if (a.rfind("--cert-dir=", 0) == 0) a = "--src-cert-dir=" + a.substr(11);
        if (a == "--tls-verify=false") a = "--src-tls-verify=false";
      }
      argv.insert(argv.begin() + 1, "--insecure-policy");
      argv.push_back("oci:" + tmp.path + "/copied:v1");
      auto copied = run_process(argv);
      REQUIRE(copied.ok());
      INFO(copied->err);
      CHECK(copied->exit_status == 0);
    }
  }
}

TEST_CASE("missing references are not-found errors (exit 11) naming what was asked") {
  TempDir tmp;
  auto reg = start_registry();
  REQUIRE(push_fixtures(*reg, "secure-app").ok());
  auto client = client_for(*reg, tmp.path);
  auto tag = client->get_manifest("secure-app", "no-such-tag");
  REQUIRE_FALSE(tag.ok());
  CHECK(tag.error().exit_code() == 11);
  CHECK(tag.error().message().find("secure-app:no-such-tag") != std::string::npos);
  CHECK(tag.error().message().find("MANIFEST_UNKNOWN") != std::string::npos);
  auto repo = client->get_manifest("nope", "v1");
  CHECK(repo.error().exit_code() == 11);
  auto digest = client->get_manifest("secure-app", Digest::of("nothing").string());
  CHECK(digest.error().exit_code() == 11);
  auto tags = client->list_tags("nope");
  CHECK(tags.error().exit_code() == 11);
  auto blob = client->fetch_blob("secure-app", Digest::of("nothing").string(), 100);
  CHECK(blob.error().exit_code() == 11);
}

TEST_CASE("wrong or missing credentials are authentication errors (exit 4)") {
  for (bool use_token : {false, true}) {
    SECTION(use_token ? "token" : "htpasswd") {
      TempDir tmp;
      RegistryOptions o;
      if (use_token)
        o.token = Credentials{"alice", "right"};
      else
        o.htpasswd = Credentials{"alice", "right"};
      auto reg = start_registry(o);
      registry::RegistryOptions ro;
      ro.certs_dirs = {tmp.path};
      ro.credentials = fixed_credentials("alice", "wrong");
      auto wrong = registry::RegistryClient::create(reg->host_port(), ro);
      auto r = wrong->list_tags("secure-app");
      REQUIRE_FALSE(r.ok());
      CHECK(r.error().exit_code() == 4);
      CHECK(r.error().message().find(reg->host_port()) != std::string::npos);

      ro.credentials = fixed_credentials("", "");
      auto anonymous = registry::RegistryClient::create(reg->host_port(), ro);
      auto a = anonymous->list_tags("secure-app");
      REQUIRE_FALSE(a.ok());
      CHECK(a.error().exit_code() == 4);
    }
  }
}

TEST_CASE("a token that grants pull only cannot push") {
  TempDir tmp;
  RegistryOptions o;
  o.token = Credentials{"alice", "right"};
  auto reg = start_registry(o);
  REQUIRE(push_fixtures(*reg, "secure-app").ok());
  registry::RegistryOptions ro;
  ro.certs_dirs = {tmp.path};
  ro.credentials = fixed_credentials(kReaderUser, kReaderPassword);
  auto reader = registry::RegistryClient::create(reg->host_port(), ro);
  CHECK(reader->get_manifest("secure-app", "v1").ok());
  auto push = reader->push_blob("secure-app", "new bytes");
  REQUIRE_FALSE(push.ok());
  CHECK(push.error().exit_code() == 4);

  // The token server saw the scopes the client asked for, and the account.
  auto log = fs::read_file(reg->token_requests_file());
  REQUIRE(log.ok());
  CHECK(log->find("repository:secure-app:pull") != std::string::npos);
  CHECK(log->find("repository:secure-app:pull,push") != std::string::npos);
}

TEST_CASE("a registry that is down is a network error (exit 3)") {
  TempDir tmp;
  auto reg = start_registry();
  auto client = client_for(*reg, tmp.path);
  REQUIRE(reg->stop().ok());
  auto r = client->get_manifest("secure-app", "v1");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().exit_code() == 3);
  CHECK(r.error().message().find("cannot connect to " + reg->host_port()) != std::string::npos);
}

TEST_CASE("bytes that do not match their digest are refused (exit 12)") {
  TempDir tmp;
  auto reg = start_registry();
  REQUIRE(push_fixtures(*reg, "secure-app").ok());
  auto client = client_for(*reg, tmp.path);
  auto layer = first_layer(*client, "secure-app", "signed");
  auto manifest = client->get_manifest("secure-app", "v1");
  REQUIRE(manifest.ok());

  // Tamper with the registry's storage: it serves files as they are on disk.
  auto blob_path = [&](const std::string& digest) {
    std::string hex = digest.substr(7);
    return reg->data_dir() + "/docker/registry/v2/blobs/sha256/" + hex.substr(0, 2) + "/" + hex +
           "/data";
  };
  auto corrupt = [&](const std::string& path) {
    auto bytes = fs::read_file(path);
    REQUIRE(bytes.ok());
    std::string changed = *bytes;
    changed[changed.size() / 2] ^= 0x01;
    std::ofstream(path, std::ios::binary | std::ios::trunc) << changed;
  };
  corrupt(blob_path(layer.digest));
  std::string received;
  auto st = client->get_blob("secure-app", layer.digest, layer.size, [&](std::string_view c) {
    received.append(c);
    return true;
  });
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().exit_code() == 12);
  CHECK(st.error().message().find("does not match digest " + layer.digest) != std::string::npos);

  // A manifest fetched by digest whose stored bytes changed.
  corrupt(blob_path(manifest->descriptor.digest));
  auto again = client->get_manifest("secure-app", manifest->descriptor.digest);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().exit_code() == 12);
  // By tag the registry's own Docker-Content-Digest no longer matches the body either.
  auto by_tag = client->get_manifest("secure-app", "v1");
  REQUIRE_FALSE(by_tag.ok());
  CHECK(by_tag.error().exit_code() == 12);
}

TEST_CASE("deletes: accepted when enabled, unsupported when disabled") {
  TempDir tmp;
  auto reg = start_registry();
  REQUIRE(push_fixtures(*reg, "secure-app").ok());
  auto client = client_for(*reg, tmp.path);
  REQUIRE(client->delete_manifest("secure-app", fixture_digest::kV1Docker).ok());
  CHECK(client->get_manifest("secure-app", "v1-docker").error().exit_code() == 11);

  RegistryOptions o;
  o.delete_enabled = false;
  auto locked = start_registry(o);
  REQUIRE(push_fixtures(*locked, "secure-app").ok());
  auto c2 = client_for(*locked, tmp.path);
  auto st = c2->delete_manifest("secure-app", fixture_digest::kV1);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code() == ErrorCode::kUnsupported);
}

TEST_CASE("TLS is verified: no CA means an error naming certs.d, never a fallback to HTTP") {
  TempDir tmp;
  RegistryOptions o;
  o.tls = true;
  auto reg = start_registry(o);
  registry::RegistryOptions ro;
  ro.certs_dirs = {tmp.path + "/empty"};
  ro.credentials = fixed_credentials("", "");
  auto client = registry::RegistryClient::create(reg->host_port(), ro);
  auto r = client->ping();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().exit_code() == 3);
  CHECK(r.error().message().find("certs.d/" + reg->host_port() + "/ca.crt") != std::string::npos);

  ro.insecure_registries = {"127.0.0.1"};
  auto insecure = registry::RegistryClient::create(reg->host_port(), ro);
  REQUIRE(insecure->ping().ok());
  CHECK(insecure->base_url() == "https://" + reg->host_port());
}

TEST_CASE("credentials come from docker's config.json, directly or through a helper") {
  TempDir tmp;
  RegistryOptions o;
  o.htpasswd = Credentials{"bob", "b0b-pass"};
  auto reg = start_registry(o);
  auto config_path = tmp.path + "/config.json";
  auth::DockerConfig config(config_path);
  auth::Credentials creds;
  creds.username = "bob";
  creds.password = "b0b-pass";
  REQUIRE(config.store(reg->host_port(), creds).ok());

  registry::RegistryOptions ro;
  ro.certs_dirs = {tmp.path};
  ro.credentials = [config](const std::string& h) { return config.lookup(h); };
  auto client = registry::RegistryClient::create(reg->host_port(), ro);
  REQUIRE(client->ping().ok());
  REQUIRE(config.erase(reg->host_port()).ok());
  auto after = registry::RegistryClient::create(reg->host_port(), ro);
  CHECK(after->ping().error().exit_code() == 4);
}
