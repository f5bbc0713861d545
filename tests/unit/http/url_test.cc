#include <catch2/catch.hpp>

#include "trustctl/http/http_client.h"

using namespace trustctl::http;

TEST_CASE("resolve_url handles absolute, absolute-path, relative and query references") {
  const std::string base = "http://127.0.0.1:5000/v2/app/blobs/uploads/";
  CHECK(resolve_url(base, "https://other:1/x?y=1") == "https://other:1/x?y=1");
  CHECK(resolve_url(base, "/v2/app/blobs/uploads/u1?_state=abc") ==
        "http://127.0.0.1:5000/v2/app/blobs/uploads/u1?_state=abc");
  CHECK(resolve_url(base, "u2") == "http://127.0.0.1:5000/v2/app/blobs/uploads/u2");
  CHECK(resolve_url("http://h/a/b?q", "?n=1") == "http://h/a/b?n=1");
  CHECK(resolve_url("https://h:1/a", "//g:2/x") == "https://g:2/x");
  CHECK(resolve_url("http://h", "/token") == "http://h/token");
}

TEST_CASE("url_origin and url_encode") {
  CHECK(url_origin("https://h:5000/v2/x?y") == "https://h:5000");
  CHECK(url_origin("http://[::1]:5000") == "http://[::1]:5000");
  CHECK(url_origin("/relative") == "");
  CHECK(url_encode("sha256:ab/c d~") == "sha256%3Aab%2Fc%20d~");
}

TEST_CASE("Headers compare names case-insensitively and keep repeats") {
  Headers h;
  h.add("WWW-Authenticate", "Bearer a");
  h.add("www-authenticate", "Basic b");
  CHECK(h.get("Www-Authenticate").value() == "Bearer a");
  CHECK(h.get_all("WWW-AUTHENTICATE").size() == 2);
  h.set("Www-Authenticate", "x");
  CHECK(h.get_all("www-authenticate") == std::vector<std::string>{"x"});
  h.remove("WWW-authenticate");
  CHECK_FALSE(h.has("www-authenticate"));
}
