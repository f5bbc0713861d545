// Registry behaviour that Debian's registry 2.8 does not show but newer registries (distribution
// 3, zot, Harbor) do: paginated tag lists and single-request uploads. Served by a fake.
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "support/loopback_server.h"
#include "trustctl/registry/client.h"
#include "trustctl/registry/digest.h"

using namespace trustctl;

namespace {

// A fake registry: GET /v2/ answers as registry/2.0; tests add the rest.
class FakeRegistry : public trustctl::testing::LoopbackServer {
 public:
  FakeRegistry()
      : LoopbackServer([](httplib::Server& s) {
          s.Get("/v2/", [](const httplib::Request&, httplib::Response& res) {
            res.set_header("Docker-Distribution-Api-Version", "registry/2.0");
            res.set_content("{}", "application/json");
          });
        }) {}
};

std::unique_ptr<registry::RegistryClient> client_for(const FakeRegistry& f) {
  registry::RegistryOptions o;
  o.certs_dirs = {"/nonexistent"};
  o.credentials = [](const std::string&) -> Result<std::optional<auth::Credentials>> {
    return std::optional<auth::Credentials>();
  };
  return registry::RegistryClient::create(f.host(), o);
}

}  // namespace

TEST_CASE("tag lists follow relative Link headers across pages") {
  FakeRegistry f;
  int pages = 0;
  f.server().Get("/v2/app/tags/list", [&](const httplib::Request& req, httplib::Response& res) {
    ++pages;
    std::string last = req.has_param("last") ? req.get_param_value("last") : "";
    if (last.empty()) {
      res.set_header("Link", "</v2/app/tags/list?n=2&last=b>; rel=\"next\"");
      res.set_content(R"({"name":"app","tags":["a","b"]})", "application/json");
    } else if (last == "b") {
      res.set_header("Link", "</v2/app/tags/list?n=2&last=d>; rel=\"next\"");
      res.set_content(R"({"name":"app","tags":["d","c"]})", "application/json");
    } else {
      res.set_content(R"({"name":"app","tags":["e"]})", "application/json");
    }
  });
  auto tags = client_for(f)->list_tags("app");
  REQUIRE(tags.ok());
  CHECK(*tags == std::vector<std::string>{"a", "b", "c", "d", "e"});
  CHECK(pages == 3);
}

TEST_CASE("an upload session that completes on POST (201) needs no PUT") {
  FakeRegistry f;
  int puts = 0;
  // httplib answers HEAD with the GET handler.
  f.server().Get(R"(/v2/app/blobs/.*)",
                 [](const httplib::Request&, httplib::Response& res) { res.status = 404; });
  f.server().Post("/v2/app/blobs/uploads/",
                  [](const httplib::Request&, httplib::Response& res) { res.status = 201; });
  f.server().Put(R"(/v2/app/blobs/uploads/.*)",
                 [&](const httplib::Request&, httplib::Response& res) {
                   ++puts;
                   res.status = 201;
                 });
  auto d = client_for(f)->push_blob("app", "bytes");
  REQUIRE(d.ok());
  CHECK(d->digest == registry::Digest::of("bytes").string());
  CHECK(puts == 0);
}

TEST_CASE("a registry that claims another digest for a pushed manifest is refused") {
  FakeRegistry f;
  f.server().Put(R"(/v2/app/manifests/v1)", [](const httplib::Request&, httplib::Response& res) {
    res.status = 201;
    res.set_header("Docker-Content-Digest", registry::Digest::of("other").string());
  });
  auto r =
      client_for(f)->put_manifest("app", "v1", "application/vnd.oci.image.manifest.v1+json", "{}");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().exit_code() == 12);
}

TEST_CASE("a manifest served by tag whose body contradicts Docker-Content-Digest is refused") {
  FakeRegistry f;
  f.server().Get(R"(/v2/app/manifests/v1)", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Docker-Content-Digest", registry::Digest::of("something else").string());
    res.set_content(R"({"schemaVersion":2,"manifests":[]})",
                    "application/vnd.oci.image.index.v1+json");
  });
  auto r = client_for(f)->get_manifest("app", "v1");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().exit_code() == 12);
  CHECK(r.error().message().find("Docker-Content-Digest") != std::string::npos);
}

TEST_CASE("a /v2/ endpoint that speaks another API version is refused") {
  httplib::Server other;
  other.Get("/v2/", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Docker-Distribution-Api-Version", "registry/3.0");
    res.set_content("{}", "application/json");
  });
  int port = other.bind_to_any_port("127.0.0.1");
  std::thread t([&] { other.listen_after_bind(); });
  while (!other.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  registry::RegistryOptions o;
  o.certs_dirs = {"/nonexistent"};
  auto c = registry::RegistryClient::create("127.0.0.1:" + std::to_string(port), o);
  auto st = c->ping();
  other.stop();
  t.join();
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().message().find("registry/3.0") != std::string::npos);
}
