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

TEST_CASE("url_host_port and is_loopback_host") {
  CHECK(url_host_port("https://user:pw@h:5000/v2/x") == "h:5000");
  CHECK(url_host_port("http://[::1]:5000/v2/") == "[::1]:5000");
  CHECK(url_host_port("https://reg.example") == "reg.example");
  CHECK(url_host_port("/v2/relative") == "");
  CHECK(is_loopback_host("127.0.0.1:5000"));
  CHECK(is_loopback_host("[::1]"));
  CHECK_FALSE(is_loopback_host("127.0.0.1.evil.example"));
}

TEST_CASE("request deadlines: the base timeout plus the bytes at the minimum rate") {
  ClientOptions o;  // 30 s, 64 KiB/s
  Request manifest;
  manifest.max_response_bytes = 4 * 1024 * 1024;
  CHECK(request_deadline(o, manifest) == std::chrono::milliseconds(30'000 + 64'000));
  Request small;
  small.max_response_bytes = 64 * 1024;
  CHECK(request_deadline(o, small) == std::chrono::milliseconds(31'000));
  // An upload counts its body.
  Request upload;
  upload.method = "PUT";
  upload.body = std::string(128 * 1024, 'x');
  upload.max_response_bytes = 64 * 1024;
  CHECK(request_deadline(o, upload) == std::chrono::milliseconds(33'000));
  // A streamed upload counts its announced size the same way.
  Request streamed;
  streamed.method = "PUT";
  streamed.body_size = 128 * 1024;
  streamed.body_reader = [](char*, std::size_t) -> trustctl::Result<std::size_t> {
    return std::size_t{0};
  };
  streamed.max_response_bytes = 64 * 1024;
  CHECK(request_deadline(o, streamed) == std::chrono::milliseconds(33'000));
  streamed.body_size = std::int64_t{100} << 20;  // 100 MiB: 1600 s at 64 KiB/s
  CHECK(request_deadline(o, streamed) == std::chrono::milliseconds(30'000 + 1'601'000));
  // --timeout 3 moves the base only.
  o.timeout_ms = 3000;
  CHECK(request_deadline(o, manifest) == std::chrono::milliseconds(67'000));
  // Sizes beyond reason saturate instead of wrapping; a rate of 0 means no overall deadline.
  Request huge;
  huge.max_response_bytes = ~std::uint64_t{0};
  CHECK(request_deadline(o, huge).count() > 0);
  CHECK(request_deadline(o, huge) >= request_deadline(o, manifest));
  o.min_bytes_per_second = 0;
  CHECK(request_deadline(o, manifest).count() == 0);
}
