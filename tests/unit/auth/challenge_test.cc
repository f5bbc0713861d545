#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "trustctl/auth/authenticator.h"

using namespace trustctl;
using namespace trustctl::auth;

TEST_CASE("parse_challenges reads distribution 2.8's Bearer challenge") {
  auto r = parse_challenges(
      R"(Bearer realm="http://127.0.0.1:5000/token",service="trustctl-test-registry",)"
      R"(scope="repository:copy:pull,push repository:secure-app:pull",error="insufficient_scope")");
  REQUIRE(r.ok());
  REQUIRE(r->size() == 1);
  const Challenge& c = r->front();
  CHECK(c.scheme == "bearer");
  CHECK(c.params.size() == 4);
  CHECK(c.param("realm") == "http://127.0.0.1:5000/token");
  CHECK(c.param("service") == "trustctl-test-registry");
  CHECK(c.param("scope") == "repository:copy:pull,push repository:secure-app:pull");
  CHECK(c.param("error") == "insufficient_scope");
  CHECK(c.param("missing").empty());
}

TEST_CASE("parse_challenges lower-cases schemes and parameter names") {
  auto r = parse_challenges(R"(BEARER Realm="https://auth.example/token",SERVICE="Reg")");
  REQUIRE(r.ok());
  REQUIRE(r->size() == 1);
  CHECK((*r)[0].scheme == "bearer");
  CHECK((*r)[0].params.count("realm") == 1);
  CHECK((*r)[0].param("REALM") == "https://auth.example/token");
  CHECK((*r)[0].param("service") == "Reg");  // values keep their case
}

TEST_CASE("parse_challenges splits several challenges in one header") {
  auto r = parse_challenges(
      R"(Basic realm="trustctl-test-realm", Bearer realm="https://a/token",service="s", Basic)");
  REQUIRE(r.ok());
  REQUIRE(r->size() == 3);
  CHECK((*r)[0].scheme == "basic");
  CHECK((*r)[0].param("realm") == "trustctl-test-realm");
  CHECK((*r)[0].params.size() == 1);
  CHECK((*r)[1].scheme == "bearer");
  CHECK((*r)[1].param("realm") == "https://a/token");
  CHECK((*r)[1].param("service") == "s");
  CHECK((*r)[2].scheme == "basic");
  CHECK((*r)[2].params.empty());
}

TEST_CASE("parse_challenges handles escapes, commas inside quotes and loose whitespace") {
  auto r =
      parse_challenges("Bearer realm = \"a\\\"b\\\\c,d\" ,  service=plain-token ,, scope=\"x, y\"");
  REQUIRE(r.ok());
  REQUIRE(r->size() == 1);
  CHECK((*r)[0].param("realm") == "a\"b\\c,d");
  CHECK((*r)[0].param("service") == "plain-token");
  CHECK((*r)[0].param("scope") == "x, y");
}

TEST_CASE("parse_challenges accepts a token68 challenge before another one") {
  auto r = parse_challenges(R"(Negotiate abc+/de==, Basic realm="r")");
  REQUIRE(r.ok());
  REQUIRE(r->size() == 2);
  CHECK((*r)[0].scheme == "negotiate");
  CHECK((*r)[0].param("") == "abc+/de==");
  CHECK((*r)[1].scheme == "basic");
  CHECK((*r)[1].param("realm") == "r");
}

TEST_CASE("parse_challenges rejects malformed headers with kProtocol") {
  const std::vector<std::string> bad = {
      "",
      "   ,  ",
      R"(Bearer realm="unterminated)",
      R"(Bearer realm="a", service=)",  // (a bare "Bearer realm=" is a valid token68)
      R"(Bearer realm=,service="s")",
      R"(Bearer realm="a" service="b")",
      R"(="x")",
      R"(Bearer realm="a",realm="b")",
      "Bearer realm=\"a\x01b\"",
      R"(Bearer realm="a\)",
      "Bearer realm=\"a\";x",
  };
  for (const auto& header : bad) {
    INFO("header: " << header);
    auto r = parse_challenges(header);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == ErrorCode::kProtocol);
  }
}

TEST_CASE("repository_scope formats a repository scope") {
  CHECK(repository_scope("secure-app", "pull,push") == "repository:secure-app:pull,push");
  CHECK(repository_scope("team/app", "pull") == "repository:team/app:pull");
}

TEST_CASE("merge_scopes unions actions per resource and sorts") {
  CHECK(merge_scopes({"repository:a:push repository:b:pull", "repository:a:pull"}) ==
        std::vector<std::string>{"repository:a:pull,push", "repository:b:pull"});
  CHECK(merge_scopes({"  repository:a:pull  ", "repository:a:pull", ""}) ==
        std::vector<std::string>{"repository:a:pull"});
  CHECK(merge_scopes({}).empty());
  CHECK(merge_scopes({"", "   "}).empty());
}

TEST_CASE("merge_scopes keeps names with slashes and ports, classes and wildcards apart") {
  CHECK(merge_scopes({"repository:reg.example:5000/team/app:push",
                      "repository:reg.example:5000/team/app:pull"}) ==
        std::vector<std::string>{"repository:reg.example:5000/team/app:pull,push"});
  CHECK(merge_scopes({"repository(plugin):a:pull", "repository:a:pull", "registry:catalog:*"}) ==
        std::vector<std::string>{"registry:catalog:*", "repository(plugin):a:pull",
                                 "repository:a:pull"});
  CHECK(merge_scopes({"repository:a:delete,pull", "repository:a:pull,push"}) ==
        std::vector<std::string>{"repository:a:delete,pull,push"});
  CHECK(merge_scopes({"opaque", "opaque"}) == std::vector<std::string>{"opaque"});
}
