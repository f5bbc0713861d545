#include "trustctl/auth/authenticator.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <string>
#include <vector>

using namespace trustctl;
using namespace trustctl::auth;
using namespace std::chrono_literals;

namespace {

constexpr const char* kHost = "127.0.0.1:5000";
constexpr const char* kRealm = "http://127.0.0.1:5001/token";
constexpr const char* kRequestUrl = "http://127.0.0.1:5000/v2/secure-app/tags/list";
const std::string kChallengePull = std::string("Bearer realm=\"") + kRealm +
                                   "\",service=\"trustctl-test-registry\","
                                   "scope=\"repository:secure-app:pull\"";

// Answers requests from a queue and records them; never touches the network.
class FakeHttp : public http::HttpClient {
 public:
  Result<http::Response> send(const http::Request& request) override {
    requests.push_back(request);
    if (replies.empty()) return Error(ErrorCode::kNetwork, "fake: no reply queued");
    auto r = replies.front();
    replies.erase(replies.begin());
    return r;
  }
  http::TransportFailure last_failure() const override { return http::TransportFailure::kNone; }

  void reply(long status, std::string body) {
    http::Response r;
    r.status = status;
    r.body = std::move(body);
    replies.emplace_back(std::move(r));
  }

  std::vector<http::Request> requests;
  std::vector<Result<http::Response>> replies;
};

struct Clock {
  std::chrono::system_clock::time_point now =
      std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
  Authenticator::Clock fn() {
    return [this] { return now; };
  }
};

CredentialSource source_of(std::map<std::string, Credentials> stored, int* calls = nullptr) {
  return [stored, calls](const std::string& host) -> Result<std::optional<Credentials>> {
    if (calls) ++*calls;
    auto it = stored.find(host);
    if (it == stored.end()) return std::optional<Credentials>();
    return std::optional<Credentials>(it->second);
  };
}

Credentials alice() {
  Credentials c;
  c.username = "alice";
  c.password = "s3cret";
  return c;
}

std::string header(const http::Request& r, const char* name) {
  return r.headers.get(name).value_or("<none>");
}

}  // namespace

TEST_CASE("Bearer: token GET carries service, every scope, account and Basic credentials") {
  FakeHttp http;
  Clock clock;
  Authenticator auth(http, source_of({{kHost, alice()}}), clock.fn());
  http.reply(200, R"({"token":"tok1","access_token":"other","expires_in":300})");

  auto r = auth.respond(kHost, kRequestUrl,
                        std::string("Bearer realm=\"") + kRealm +
                            "\",service=\"trustctl-test-registry\","
                            "scope=\"repository:secure-app:pull repository:copy:pull,push\"",
                        {"repository:copy:push"});
  REQUIRE(r.ok());
  CHECK(*r == "Bearer tok1");
  REQUIRE(http.requests.size() == 1);
  const auto& q = http.requests[0];
  CHECK(q.method == "GET");
  CHECK(q.url == std::string(kRealm) +
                     "?service=trustctl-test-registry"
                     "&scope=repository%3Acopy%3Apull%2Cpush"
                     "&scope=repository%3Asecure-app%3Apull"
                     "&account=alice");
  CHECK(header(q, "Authorization") == "Basic YWxpY2U6czNjcmV0");
  CHECK(q.body.empty());
}

TEST_CASE("Bearer without credentials asks for an anonymous token") {
  FakeHttp http;
  Clock clock;
  Authenticator auth(http, source_of({}), clock.fn());
  http.reply(200, R"({"access_token":"anon-tok"})");

  auto r = auth.respond(kHost, kRequestUrl, kChallengePull, {});
  REQUIRE(r.ok());
  CHECK(*r == "Bearer anon-tok");  // access_token when token is absent
  REQUIRE(http.requests.size() == 1);
  CHECK(http.requests[0].url == std::string(kRealm) +
                                    "?service=trustctl-test-registry"
                                    "&scope=repository%3Asecure-app%3Apull");
  CHECK_FALSE(http.requests[0].headers.has("Authorization"));
}

TEST_CASE("Bearer challenge without scope or service asks for a token with neither") {
  FakeHttp http;
  Clock clock;
  Authenticator auth(http, source_of({}), clock.fn());
  http.reply(200, R"({"token":"t"})");
  auto r = auth.respond(kHost, "http://127.0.0.1:5000/v2/",
                        std::string("bearer realm=\"") + kRealm + "\"", {});
  REQUIRE(r.ok());
  CHECK(http.requests.at(0).url == kRealm);
}

TEST_CASE("a relative realm resolves against the request URL") {
  FakeHttp http;
  Clock clock;
  Authenticator auth(http, source_of({}), clock.fn());
  http.reply(200, R"({"token":"t"})");
  auto r = auth.respond("reg.example:5000", "https://reg.example:5000/v2/secure-app/tags/list",
                        R"(Bearer realm="/auth/token",service="svc")", {});
  REQUIRE(r.ok());
  CHECK(http.requests.at(0).url == "https://reg.example:5000/auth/token?service=svc");
}

TEST_CASE("a token is cached per host and scope set until shortly before it expires") {
  FakeHttp http;
  Clock clock;
  Authenticator auth(http, source_of({{kHost, alice()}}), clock.fn());
  http.reply(200, R"({"token":"tok1"})");  // no expires_in: 60 s
  const std::vector<std::string> pull = {"repository:secure-app:pull"};

  CHECK_FALSE(auth.authorization(kHost, pull).has_value());
  REQUIRE(auth.respond(kHost, kRequestUrl, kChallengePull, pull).ok());

  CHECK(auth.authorization(kHost, pull) == std::optional<std::string>("Bearer tok1"));
  CHECK(auth.authorization(kHost, {}) == std::optional<std::string>("Bearer tok1"));
  CHECK_FALSE(auth.authorization(kHost, {"repository:secure-app:push"}).has_value());
  CHECK_FALSE(auth.authorization(kHost, {"repository:other:pull"}).has_value());
  CHECK_FALSE(auth.authorization("other-host:5000", pull).has_value());

  clock.now += 49s;
  CHECK(auth.authorization(kHost, pull) == std::optional<std::string>("Bearer tok1"));
  clock.now += 2s;  // 51 s: within the 10 s refresh margin
  CHECK_FALSE(auth.authorization(kHost, pull).has_value());
  CHECK(http.requests.size() == 1);
}

TEST_CASE("expires_in and a past issued_at set the expiry") {
  FakeHttp http;
  Clock clock;
  Authenticator auth(http, source_of({}), clock.fn());
  const std::vector<std::string> pull = {"repository:secure-app:pull"};

  SECTION("expires_in 300") {
    http.reply(200, R"({"token":"t","expires_in":300})");
    REQUIRE(auth.respond(kHost, kRequestUrl, kChallengePull, pull).ok());
    clock.now += 289s;
    CHECK(auth.authorization(kHost, pull).has_value());
    clock.now += 2s;
    CHECK_FALSE(auth.authorization(kHost, pull).has_value());
  }
  SECTION("issued_at 30 s ago, expires_in 60") {
    http.reply(200, R"({"token":"t","expires_in":60,"issued_at":"2023-11-14T22:12:50.123Z"})");
    // clock.now is 2023-11-14T22:13:20Z
    REQUIRE(auth.respond(kHost, kRequestUrl, kChallengePull, pull).ok());
    clock.now += 19s;
    CHECK(auth.authorization(kHost, pull).has_value());
    clock.now += 2s;
    CHECK_FALSE(auth.authorization(kHost, pull).has_value());
  }
  SECTION("issued_at with an offset") {
    http.reply(200, R"({"token":"t","expires_in":60,"issued_at":"2023-11-14T23:12:50+01:00"})");
    REQUIRE(auth.respond(kHost, kRequestUrl, kChallengePull, pull).ok());
    clock.now += 19s;
    CHECK(auth.authorization(kHost, pull).has_value());
    clock.now += 2s;
    CHECK_FALSE(auth.authorization(kHost, pull).has_value());
  }
  SECTION("an unparsable issued_at is ignored") {
    http.reply(200, R"({"token":"t","issued_at":"yesterday"})");
    REQUIRE(auth.respond(kHost, kRequestUrl, kChallengePull, pull).ok());
    clock.now += 49s;
    CHECK(auth.authorization(kHost, pull).has_value());
  }
}

TEST_CASE("insufficient_scope or a rejected token fetches a new token, never the old one") {
  FakeHttp http;
  Clock clock;
  Authenticator auth(http, source_of({{kHost, alice()}}), clock.fn());
  const std::vector<std::string> pull = {"repository:secure-app:pull"};
  const std::vector<std::string> push = {"repository:secure-app:pull,push"};
  http.reply(200, R"({"token":"tok1","expires_in":300})");
  http.reply(200, R"({"token":"tok2","expires_in":300})");
  http.reply(200, R"({"token":"tok3","expires_in":300})");

  REQUIRE(auth.respond(kHost, kRequestUrl, kChallengePull, pull).value() == "Bearer tok1");
  auto r =
      auth.respond(kHost, kRequestUrl,
                   std::string("Bearer realm=\"") + kRealm +
                       "\",service=\"trustctl-test-registry\","
                       "scope=\"repository:secure-app:pull,push\",error=\"insufficient_scope\"",
                   push);
  REQUIRE(r.ok());
  CHECK(*r == "Bearer tok2");
  REQUIRE(http.requests.size() == 2);
  CHECK(http.requests[1].url.find("scope=repository%3Asecure-app%3Apull%2Cpush") !=
        std::string::npos);
  CHECK(auth.authorization(kHost, push) == std::optional<std::string>("Bearer tok2"));
  CHECK(auth.authorization(kHost, pull) == std::optional<std::string>("Bearer tok2"));

  // The same scope rejected again (invalid_token): a third token, tok2 is dropped.
  r = auth.respond(kHost, kRequestUrl,
                   std::string("Bearer realm=\"") + kRealm +
                       "\",service=\"trustctl-test-registry\",error=\"invalid_token\"",
                   push);
  REQUIRE(r.ok());
  CHECK(*r == "Bearer tok3");
  CHECK(http.requests.size() == 3);
  CHECK(auth.authorization(kHost, push) == std::optional<std::string>("Bearer tok3"));

  auth.forget(kHost);
  CHECK_FALSE(auth.authorization(kHost, push).has_value());
}

TEST_CASE("the token server refusing credentials is kAuth naming the host and the realm") {
  FakeHttp http;
  Clock clock;
  SECTION("with credentials") {
    Authenticator auth(http, source_of({{kHost, alice()}}), clock.fn());
    http.reply(401, R"({"errors":[{"code":"UNAUTHORIZED","message":"bad password"}]})");
    auto r = auth.respond(kHost, kRequestUrl, kChallengePull, {});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == ErrorCode::kAuth);
    CHECK(r.error().message() == std::string("authentication failed for ") + kHost +
                                     ": token server " + kRealm + " answered 401 (bad password)");
    CHECK(r.error().message().find("s3cret") == std::string::npos);
  }
  SECTION("anonymous suggests trustctl login") {
    Authenticator auth(http, source_of({}), clock.fn());
    http.reply(401, "");
    auto r = auth.respond(kHost, kRequestUrl, kChallengePull, {});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == ErrorCode::kAuth);
    CHECK(r.error().message().find(kRealm) != std::string::npos);
    CHECK(r.error().message().find(std::string("trustctl login ") + kHost) != std::string::npos);
  }
}

TEST_CASE("a broken or unreachable realm is kNetwork or kProtocol") {
  FakeHttp http;
  Clock clock;
  Authenticator auth(http, source_of({}), clock.fn());
  SECTION("5xx") {
    http.reply(503, "");
    CHECK(auth.respond(kHost, kRequestUrl, kChallengePull, {}).error().code() ==
          ErrorCode::kNetwork);
  }
  SECTION("transport failure") {
    auto r = auth.respond(kHost, kRequestUrl, kChallengePull, {});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == ErrorCode::kNetwork);
    CHECK(r.error().message().find(kRealm) != std::string::npos);
  }
  SECTION("not JSON") {
    http.reply(200, "<html>");
    CHECK(auth.respond(kHost, kRequestUrl, kChallengePull, {}).error().code() ==
          ErrorCode::kProtocol);
  }
  SECTION("no token") {
    http.reply(200, R"({"token":"","expires_in":60})");
    CHECK(auth.respond(kHost, kRequestUrl, kChallengePull, {}).error().code() ==
          ErrorCode::kProtocol);
  }
  SECTION("no realm") {
    CHECK(auth.respond(kHost, kRequestUrl, R"(Bearer service="s")", {}).error().code() ==
          ErrorCode::kProtocol);
    CHECK(http.requests.empty());
  }
  SECTION("malformed challenge") {
    CHECK(auth.respond(kHost, kRequestUrl, R"(Bearer realm="x)", {}).error().code() ==
          ErrorCode::kProtocol);
  }
}

TEST_CASE("an identity token uses the OAuth2 refresh_token POST") {
  FakeHttp http;
  Clock clock;
  Credentials c;
  c.identity_token = "refresh/me+1";
  Authenticator auth(http, source_of({{kHost, c}}), clock.fn());
  http.reply(200, R"({"access_token":"oauth-tok","expires_in":120,"refresh_token":"new"})");
  auto r = auth.respond(kHost, kRequestUrl,
                        std::string("Bearer realm=\"") + kRealm +
                            "\",service=\"trustctl-test-registry\","
                            "scope=\"repository:secure-app:pull repository:copy:push\"",
                        {});
  REQUIRE(r.ok());
  CHECK(*r == "Bearer oauth-tok");
  REQUIRE(http.requests.size() == 1);
  const auto& q = http.requests[0];
  CHECK(q.method == "POST");
  CHECK(q.url == kRealm);
  CHECK(q.body ==
        "grant_type=refresh_token&refresh_token=refresh%2Fme%2B1&service=trustctl-test-registry"
        "&scope=repository%3Acopy%3Apush%20repository%3Asecure-app%3Apull&client_id=trustctl");
  CHECK(header(q, "Content-Type") == "application/x-www-form-urlencoded");
  CHECK_FALSE(q.headers.has("Authorization"));
}

TEST_CASE("a registry token is sent as Bearer without asking a token server") {
  FakeHttp http;
  Clock clock;
  Credentials c;
  c.registry_token = "static-registry-token";
  Authenticator auth(http, source_of({{kHost, c}}), clock.fn());
  auto r = auth.respond(kHost, kRequestUrl, kChallengePull, {});
  REQUIRE(r.ok());
  CHECK(*r == "Bearer static-registry-token");
  CHECK(http.requests.empty());
  CHECK(auth.authorization(kHost, {"repository:x:pull"}) ==
        std::optional<std::string>("Bearer static-registry-token"));
}

TEST_CASE("Basic: the answer is the credentials, then sent pre-emptively to that host") {
  FakeHttp http;
  Clock clock;
  int calls = 0;
  Authenticator auth(http, source_of({{kHost, alice()}}, &calls), clock.fn());
  CHECK_FALSE(auth.authorization(kHost, {}).has_value());
  CHECK(calls == 0);

  auto r = auth.respond(kHost, kRequestUrl, R"(Basic realm="trustctl-test-realm")", {});
  REQUIRE(r.ok());
  CHECK(*r == "Basic YWxpY2U6czNjcmV0");
  CHECK(http.requests.empty());
  CHECK(auth.authorization(kHost, {"repository:secure-app:pull"}) ==
        std::optional<std::string>("Basic YWxpY2U6czNjcmV0"));
  CHECK_FALSE(auth.authorization("other:5000", {}).has_value());

  REQUIRE(auth.respond(kHost, kRequestUrl, R"(basic realm="r")", {}).ok());
  CHECK(calls == 1);  // credentials are looked up once per host
}

TEST_CASE("Basic without credentials is kAuth suggesting trustctl login") {
  FakeHttp http;
  Clock clock;
  Authenticator auth(http, source_of({}), clock.fn());
  auto r = auth.respond("reg.example", "https://reg.example/v2/", R"(Basic realm="r")", {});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == ErrorCode::kAuth);
  CHECK(r.error().message().find("trustctl login reg.example") != std::string::npos);
  CHECK_FALSE(auth.authorization("reg.example", {}).has_value());
}

TEST_CASE("Bearer is preferred over Basic, unknown schemes alone are kAuth") {
  FakeHttp http;
  Clock clock;
  Authenticator auth(http, source_of({{kHost, alice()}}), clock.fn());
  http.reply(200, R"({"token":"tb"})");
  auto r = auth.respond(kHost, kRequestUrl,
                        std::string("Basic realm=\"r\", Bearer realm=\"") + kRealm + "\"", {});
  REQUIRE(r.ok());
  CHECK(*r == "Bearer tb");

  auto u = auth.respond(kHost, kRequestUrl, "Negotiate, Digest realm=\"x\"", {});
  REQUIRE_FALSE(u.ok());
  CHECK(u.error().code() == ErrorCode::kAuth);
  CHECK(u.error().message().find("negotiate") != std::string::npos);
}

TEST_CASE("a failing credential source is passed on") {
  FakeHttp http;
  Clock clock;
  Authenticator auth(
      http,
      [](const std::string&) -> Result<std::optional<Credentials>> {
        return Error(ErrorCode::kIo, "cannot parse /x/config.json");
      },
      clock.fn());
  auto r = auth.respond(kHost, kRequestUrl, kChallengePull, {});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == ErrorCode::kIo);
  CHECK(http.requests.empty());
}

TEST_CASE("a 401 from another origin than the registry is never answered with its credentials") {
  FakeHttp http;
  Clock clock;
  Authenticator auth(http, source_of({{kHost, alice()}}), clock.fn());
  // Where a blob GET was redirected (storage), an attacker answers 401 with a realm of its own.
  for (const char* answered : {"http://127.0.0.1:6000/blobs/sha256:ab",
                               "http://evil.example/v2/secure-app/blobs/sha256:ab",
                               "http://127.0.0.1:5000.evil.example/v2/", ""}) {
    INFO(answered);
    auto bearer = auth.respond(kHost, answered,
                               R"(Bearer realm="http://127.0.0.1:6000/token",service="evil")", {});
    REQUIRE_FALSE(bearer.ok());
    CHECK(bearer.error().code() == ErrorCode::kAuth);
    CHECK(bearer.error().message().find("to no other origin") != std::string::npos);
    auto basic = auth.respond(kHost, answered, R"(Basic realm="evil")", {});
    REQUIRE_FALSE(basic.ok());
    CHECK(basic.error().code() == ErrorCode::kAuth);
  }
  CHECK(auth.respond(kHost, "http://127.0.0.1:6000/x", kChallengePull, {})
            .error()
            .message()
            .rfind("127.0.0.1:6000, not the registry 127.0.0.1:5000, asks for credentials", 0) ==
        0);
  CHECK(http.requests.empty());  // no token request went anywhere
  CHECK_FALSE(auth.authorization(kHost, {"repository:secure-app:pull"}).has_value());
}

TEST_CASE("check_challenger: the registry's own host, compared as written, case aside") {
  CHECK(check_challenger("Reg.Example:5000", "https://reg.example:5000/v2/").ok());
  CHECK(check_challenger("reg.example", "https://user@reg.example/v2/").ok());
  CHECK(check_challenger("[::1]:5000", "http://[::1]:5000/v2/").ok());
  // An explicit default port is another spelling, refused rather than guessed at.
  CHECK_FALSE(check_challenger("reg.example", "https://reg.example:443/v2/").ok());
  CHECK_FALSE(check_challenger("reg.example", "/v2/relative").ok());
}

TEST_CASE("an HTTPS registry's token realm must be HTTPS, loopback included") {
  FakeHttp http;
  Clock clock;
  Authenticator auth(http, source_of({{"reg.example:5000", alice()}, {kHost, alice()}}),
                     clock.fn());
  auto plain = auth.respond("reg.example:5000", "https://reg.example:5000/v2/secure-app/tags/list",
                            R"(Bearer realm="http://auth.example/token",service="svc")", {});
  REQUIRE_FALSE(plain.ok());
  CHECK(plain.error().code() == ErrorCode::kAuth);
  CHECK(plain.error().message().find("http://auth.example/token") != std::string::npos);
  CHECK(plain.error().message().find("in clear") != std::string::npos);
  // A loopback registry gets no exemption: a local process could listen on the realm's port.
  auto loopback = auth.respond(kHost, "https://127.0.0.1:5000/v2/",
                               std::string("Bearer realm=\"") + kRealm + "\"", {});
  REQUIRE_FALSE(loopback.ok());
  CHECK(loopback.error().code() == ErrorCode::kAuth);
  CHECK(http.requests.empty());

  // HTTPS realms (a relative one resolves to the registry's scheme) are fine, and a registry
  // that itself answers over plain HTTP may name a plain-HTTP realm.
  http.reply(200, R"({"token":"t1"})");
  http.reply(200, R"({"token":"t2"})");
  http.reply(200, R"({"token":"t3"})");
  CHECK(auth.respond("reg.example:5000", "https://reg.example:5000/v2/",
                     R"(Bearer realm="https://auth.example/token")", {})
            .ok());
  CHECK(auth.respond("reg.example:5000", "https://reg.example:5000/v2/x",
                     R"(Bearer realm="/token",scope="repository:x:pull")", {})
            .ok());
  CHECK(auth.respond("reg.example:5000", "http://reg.example:5000/v2/",
                     R"(Bearer realm="http://auth.example/token",scope="repository:y:pull")", {})
            .ok());
  REQUIRE(http.requests.size() == 3);
  CHECK(http.requests[1].url.rfind("https://reg.example:5000/token?", 0) == 0);
  CHECK(http.requests[2].url.rfind("http://auth.example/token?", 0) == 0);
}

TEST_CASE("a token server answer nested deeper than 64 levels is refused as hostile") {
  FakeHttp http;
  Clock clock;
  Authenticator auth(http, source_of({}), clock.fn());
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  SECTION("as the token reply") { http.reply(200, deep); }
  SECTION("as an error body") { http.reply(401, deep); }
  auto r = auth.respond(kHost, kRequestUrl, kChallengePull, {});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == ErrorCode::kIntegrity);
  CHECK(r.error().message().find("nested deeper than 64 levels") != std::string::npos);
}
