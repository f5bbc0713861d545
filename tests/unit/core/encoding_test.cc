#include <catch2/catch.hpp>

#include "trustctl/core/encoding.h"

using namespace trustctl::encoding;

TEST_CASE("base64 follows the RFC 4648 test vectors") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foobar") == "Zm9vYmFy");
  CHECK(base64_decode("Zm9vYmE=").value() == "fooba");
  CHECK(base64_decode("Zm9vYmE").value() == "fooba");
  CHECK(base64url_encode("\xfb\xff") == "-_8");
  CHECK(base64_decode("-_8").value() == "\xfb\xff");
  CHECK_FALSE(base64_decode("Zm9v YmFy").has_value());
  CHECK_FALSE(base64_decode("Z").has_value());
}

TEST_CASE("base32 follows the RFC 4648 test vectors without padding") {
  CHECK(base32_encode("f") == "MY");
  CHECK(base32_encode("foobar") == "MZXW6YTBOI");
}
