#include "trustctl/canonical_json/canonical_json.h"

#include <catch2/catch.hpp>
#include <string>

using trustctl::ErrorCode;
using trustctl::canonical_json::encode;
using trustctl::canonical_json::parse;
using trustctl::canonical_json::ParseOptions;
using trustctl::canonical_json::signed_bytes;

namespace {

std::string canon(std::string_view text) {
  auto v = parse(text);
  REQUIRE(v.ok());
  auto out = encode(*v);
  REQUIRE(out.ok());
  return *out;
}

// The error message of a refused parse (and checks the class).
std::string refusal(std::string_view text, ErrorCode code = ErrorCode::kVerification) {
  auto v = parse(text);
  REQUIRE_FALSE(v.ok());
  CHECK(v.error().code() == code);
  return v.error().message();
}

}  // namespace

TEST_CASE("canonical JSON: compact, sorted, integers", "[canonical_json]") {
  CHECK(canon(R"({ "b" : 1, "a" : [ true, false, null, "x" ] })") ==
        R"({"a":[true,false,null,"x"],"b":1})");
  CHECK(canon("[]") == "[]");
  CHECK(canon("{}") == "{}");
  CHECK(canon(" 42 ") == "42");
  CHECK(canon("-7") == "-7");
  CHECK(canon("9223372036854775807") == "9223372036854775807");
  CHECK(canon("-9223372036854775808") == "-9223372036854775808");
  CHECK(canon(R"({"z":{"y":2,"x":{"b":[{"d":1,"c":0}],"a":null}}})") ==
        R"({"z":{"x":{"a":null,"b":[{"c":0,"d":1}]},"y":2}})");
}

TEST_CASE("canonical JSON: keys sort by UTF-8 bytes", "[canonical_json]") {
  // 'B' 0x42 < 'a' 0x61 < "ab" < 'z' < DEL 0x7f < 'é' 0xc3 0xa9 < '☃' 0xe2
  CHECK(
      canon("{\"\xc3\xa9\":5,\"z\":4,\"\\u007f\":6,\"ab\":3,\"a\":2,\"B\":1,\"\xe2\x98\x83\":7}") ==
      "{\"B\":1,\"a\":2,\"ab\":3,\"z\":4,\"\x7f\":6,\"\xc3\xa9\":5,\"\xe2\x98\x83\":7}");
  // An astral character (4 bytes) sorts after U+FFFD (3 bytes) by bytes; UTF-16 order would
  // put it first.
  CHECK(canon("{\"\\ud83d\\ude00\":1,\"\\ufffd\":2}") ==
        "{\"\xef\xbf\xbd\":2,\"\xf0\x9f\x98\x80\":1}");
}

TEST_CASE("canonical JSON: only quote and backslash are escaped", "[canonical_json]") {
  CHECK(canon(R"(["a\"b\\c"])") == R"(["a\"b\\c"])");
  CHECK(canon(R"(["\n\t\r\b\f\u0001\u001f\/"])") == std::string("[\"\n\t\r\b\f\x01\x1f/\"]"));
  CHECK(canon(R"(["\u003ci\u003e \u0026 \u2028\u2029 \u00e9 \u2603"])") ==
        "[\"<i> & \xe2\x80\xa8\xe2\x80\xa9 \xc3\xa9 \xe2\x98\x83\"]");
  CHECK(canon("[\"\\u0000\"]") == std::string("[\"\0\"]", 5));
  // Raw UTF-8 in the input stays raw.
  CHECK(canon("[\"we<i>rd&tag-\xc3\xa9-\xe2\x98\x83\"]") ==
        "[\"we<i>rd&tag-\xc3\xa9-\xe2\x98\x83\"]");
}

TEST_CASE("canonical JSON: encoding values built in code", "[canonical_json]") {
  nlohmann::json j = {{"version", 3}, {"big", 18446744073709551615ULL}, {"s", "q\"b\\"}};
  CHECK(*encode(j) == R"({"big":18446744073709551615,"s":"q\"b\\","version":3})");
  nlohmann::ordered_json o;
  o["signed"] = {{"b", 1}, {"a", 2}};
  o["signatures"] = nlohmann::ordered_json::array();
  CHECK(*encode(o) == R"({"signatures":[],"signed":{"a":2,"b":1}})");

  nlohmann::json with_float = {{"a", {{"b", {1, 1.5}}}}};
  auto refused = encode(with_float);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code() == ErrorCode::kUsage);
  CHECK(refused.error().message() ==
        "cannot encode canonical JSON: non-integer number at /a/b/1 (only integers can be signed)");
  // Even an integral double is refused: the signer must decide, not the encoder.
  CHECK_FALSE(encode(nlohmann::json(2.0)).ok());

  nlohmann::json bad_utf8 = {{"k", std::string("ok\xc3\x28")}};
  auto bad = encode(bad_utf8);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message() ==
        "cannot encode canonical JSON: invalid UTF-8 at byte 2 of the string at /k");
}

TEST_CASE("canonical JSON: the parser refuses what cannot be signed", "[canonical_json]") {
  CHECK(refusal("1.0") ==
        "invalid JSON at byte 0: non-integer number (only integers can be "
        "signed in canonical JSON)");
  CHECK(refusal(R"({"length": 1e3})") ==
        "invalid JSON at byte 11: non-integer number (only integers can be signed in canonical "
        "JSON)");
  CHECK(refusal(R"({"version":1,"version":2})") ==
        "invalid JSON at byte 13: duplicate object key \"version\"");
  CHECK(refusal("{\"a\":{\"x\\u00e9\":1,\"x\xc3\xa9\":2}}") ==
        "invalid JSON at byte 18: duplicate object key \"x\\xc3\\xa9\"");
  CHECK(refusal("{} x") == "invalid JSON at byte 3: trailing data after the JSON value");
  CHECK(refusal("{}{}") == "invalid JSON at byte 2: trailing data after the JSON value");
  CHECK(refusal("") == "invalid JSON at byte 0: empty document: expected a JSON value");
  CHECK(refusal("[\"a\xc3\x28\"]") == "invalid JSON at byte 3: invalid UTF-8 in string");
  CHECK(refusal("[\"\xc0\xaf\"]") ==
        "invalid JSON at byte 2: invalid UTF-8 in string");  // overlong
  CHECK(refusal("[\"\xed\xa0\x80\"]") == "invalid JSON at byte 2: invalid UTF-8 in string");
  CHECK(refusal("[\"\xf4\x90\x80\x80\"]") == "invalid JSON at byte 2: invalid UTF-8 in string");
  CHECK(refusal("[\"\xe2\x98\"]") == "invalid JSON at byte 2: invalid UTF-8 in string");
  CHECK(refusal(R"(["\ud800"])") ==
        "invalid JSON at byte 2: high surrogate escape without a low surrogate");
  CHECK(refusal(R"(["\udc00"])") ==
        "invalid JSON at byte 2: lone low surrogate escape (invalid UTF-16)");
  CHECK(refusal("[\"a\tb\"]") ==
        "invalid JSON at byte 3: raw control character in string (must be escaped)");
  CHECK(refusal("\xef\xbb\xbf{}") ==
        "invalid JSON at byte 0: byte-order mark before the JSON value");
  CHECK(refusal("[01]") == "invalid JSON at byte 1: number with a leading zero");
  CHECK(refusal("[-0]") == "invalid JSON at byte 1: negative zero");
  CHECK(refusal("9223372036854775808") ==
        "invalid JSON at byte 0: integer out of range (must fit in 64-bit signed)");
  CHECK(refusal("[99999999999999999999999]") ==
        "invalid JSON at byte 1: integer out of range (must fit in 64-bit signed)");
  CHECK(refusal(R"({"a" 1})") == "invalid JSON at byte 5: expected ':' after object key");
  CHECK(refusal(R"({"a":1,})") == "invalid JSON at byte 7: expected a string key in object");
  CHECK(refusal("[1,]") == "invalid JSON at byte 3: unexpected character \"]\"");
  CHECK(refusal("[tru]") == "invalid JSON at byte 1: unexpected character \"t\"");
  CHECK(refusal(R"(["\x"])") == "invalid JSON at byte 2: unknown escape \"\\\\x\"");
  CHECK(refusal("[\"abc") == "invalid JSON at byte 1: unterminated string");
  CHECK(refusal("{\"a\":[1,2") == "invalid JSON at byte 9: expected ',' or ']' in array");
  CHECK(refusal("NaN") == "invalid JSON at byte 0: unexpected character \"N\"");
}

TEST_CASE("canonical JSON: nesting depth is limited", "[canonical_json]") {
  auto nested = [](std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  CHECK(parse(nested(64)).ok());
  CHECK(refusal(nested(65)) == "invalid JSON at byte 64: nesting deeper than 64 levels");
  CHECK(refusal(nested(100000)) == "invalid JSON at byte 64: nesting deeper than 64 levels");
  ParseOptions shallow;
  shallow.max_depth = 2;
  CHECK(parse(R"({"a":[1]})", shallow).ok());
  auto deep = parse(R"({"a":[{}]})", shallow);
  REQUIRE_FALSE(deep.ok());
  CHECK(deep.error().message() == "invalid JSON at byte 6: nesting deeper than 2 levels");
}

TEST_CASE("canonical JSON: error class follows the caller", "[canonical_json]") {
  ParseOptions user_file;
  user_file.error_code = ErrorCode::kUsage;
  auto v = parse("{\"a\":1.5}", user_file);
  REQUIRE_FALSE(v.ok());
  CHECK(v.error().code() == ErrorCode::kUsage);
  CHECK(v.error().exit_code() == 2);
  CHECK(parse("{\"a\":1.5}").error().exit_code() == 12);
}

TEST_CASE("canonical JSON: signed bytes of an envelope", "[canonical_json]") {
  // A served file may HTML-escape and order keys differently; the signed bytes do not change.
  auto env = parse(
      "{\"signed\":{\"_type\":\"Targets\",\"targets\":{\"we\\u003ci\\u003erd\":{\"length\":423}},"
      "\"version\":4},\"signatures\":[]}");
  REQUIRE(env.ok());
  auto bytes = signed_bytes(*env);
  REQUIRE(bytes.ok());
  CHECK(*bytes == R"({"_type":"Targets","targets":{"we<i>rd":{"length":423}},"version":4})");

  CHECK(signed_bytes(*parse("[]")).error().message() == "metadata is not a JSON object");
  CHECK(signed_bytes(*parse(R"({"signatures":[]})")).error().message() ==
        "metadata has no \"signed\" object");
  CHECK(signed_bytes(*parse(R"({"signed":{}})")).error().message() ==
        "metadata has no \"signatures\" array");
  CHECK(*signed_bytes(*parse(R"({"signatures":[],"signed":{}})")) == "{}");
}

TEST_CASE("canonical JSON: re-encoding is stable", "[canonical_json]") {
  const std::string text =
      "{\n  \"signed\": {\"expires\": \"2036-11-25T12:21:33.6744138Z\", \"keys\": {},\n"
      "  \"custom\": {\"n\": 1, \"note\": \"x\", \"neg\": -7, \"list\": [\"\\u2028\", {}]}},\n"
      "  \"signatures\": [{\"keyid\": \"ab\", \"sig\": \"c2ln\"}]\n}\n";
  const std::string once = canon(text);
  CHECK(once ==
        "{\"signatures\":[{\"keyid\":\"ab\",\"sig\":\"c2ln\"}],\"signed\":{\"custom\":{\"list\":"
        "[\"\xe2\x80\xa8\",{}],\"n\":1,\"neg\":-7,\"note\":\"x\"},\"expires\":\"2036-11-25T12:21:"
        "33.6744138Z\",\"keys\":{}}}");
  CHECK(canon(once) == once);
}
