#include <catch2/catch.hpp>

#include "trustctl/crypto/hash.h"

using namespace trustctl::crypto;

TEST_CASE("sha256 and sha512 match the FIPS 180 test vectors") {
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha512_hex("abc") ==
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
        "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
}

TEST_CASE("streaming updates give the same digest as one update") {
  Hasher h(HashAlgorithm::kSha256);
  h.update("a");
  h.update("");
  h.update("bc");
  CHECK(h.finish_hex() == sha256_hex("abc"));
  CHECK(hex_encode(std::string("\x00\xff\x10", 3)) == "00ff10");
}
