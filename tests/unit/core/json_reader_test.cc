// core's JSON reader in its two forms: the DOM (read_json) and the document read in place
// (JsonDocument), on the same inputs: what each accepts, what it refuses and why, and that both
// hold the same values. The differential fuzz target (fuzz/json_reader_fuzz.cc) compares them
// with nlohmann's parser on arbitrary bytes.
#include "trustctl/core/json_reader.h"

#include <catch2/catch.hpp>
#include <string>

using namespace trustctl;
using nlohmann::json;

namespace {

// The value both forms read from `text`; both must accept it.
json both(const std::string& text) {
  json dom;
  auto error = read_json(text, {}, dom);
  INFO(text << ": " << (error ? error->what : ""));
  REQUIRE_FALSE(error);
  JsonDocument doc;
  REQUIRE_FALSE(doc.parse(text));
  CHECK(doc.root().to_json() == dom);
  return dom;
}

// The refusal both forms give for `text`; they must agree.
JsonSyntaxError refused(const std::string& text, const JsonSyntax& syntax = {}) {
  json dom;
  auto error = read_json(text, syntax, dom);
  INFO(text);
  REQUIRE(error);
  JsonDocument doc;
  auto again = doc.parse(text, syntax);
  REQUIRE(again);
  CHECK(again->at == error->at);
  CHECK(again->what == error->what);
  CHECK_FALSE(doc.root().exists());
  return *error;
}

}  // namespace

TEST_CASE("json reader: values, numbers as nlohmann holds them, the last of repeated keys") {
  CHECK(both(R"({"a":[1,-2,3.5,true,false,null,"x"],"b":{}})") ==
        json::parse(R"({"a":[1,-2,3.5,true,false,null,"x"],"b":{}})"));
  CHECK(both("18446744073709551615").is_number_unsigned());
  CHECK(both("-9223372036854775808").is_number_integer());
  CHECK(both("18446744073709551616").is_number_float());  // beyond uint64: a double
  CHECK(both("1e-400") == 0.0);                           // too small for a double: zero
  CHECK(both(R"({"k":1,"k":2})") == json{{"k", 2}});      // as Go and nlohmann read it
  CHECK(both(R"("\u00e9\ud83d\ude00\n\"")") == "\xc3\xa9\xf0\x9f\x98\x80\n\"");
  CHECK(both(" \t\r\n[ ] ") == json::array());
}

TEST_CASE("json reader: refusals name what was wrong and where") {
  CHECK(refused("").what == "empty document: expected a JSON value");
  CHECK(refused("[1,]").what == "unexpected character \"]\"");
  CHECK(refused("{\"a\" 1}").at == 5);
  CHECK(refused("[01]").what == "number with a leading zero");
  CHECK(refused("1e400").what == "number out of range");
  CHECK(refused("\xEF\xBB\xBF{}").what == "byte-order mark before the JSON value");
  CHECK(refused("\"\\ud800\"").what == "high surrogate escape without a low surrogate");
  CHECK(refused("\"\\udc00\"").what == "lone low surrogate escape (invalid UTF-16)");
  CHECK(refused("\"a\xc3\x28\"").what == "invalid UTF-8 in string");
  CHECK(refused("\"a\tb\"").what == "raw control character in string (must be escaped)");
  CHECK(refused("{} x").what == "trailing data after the JSON value");
  // nlohmann stops at a NUL byte and accepts this; RFC 8259 allows no NUL outside strings.
  CHECK(refused(std::string("4\0\0\0\n]", 6)).what == "trailing data after the JSON value");
  CHECK(refused("\"abc").what == "unterminated string");
  auto deep = refused(std::string(100000, '['));
  CHECK(deep.too_deep);
  CHECK(deep.at == 64);
  // Signed metadata's stricter syntax.
  JsonSyntax strict;
  strict.integers_only = true;
  strict.unique_keys = true;
  CHECK(refused("1.5", strict).what ==
        "non-integer number (only integers can be signed in canonical JSON)");
  CHECK(refused("-0", strict).what == "negative zero");
  CHECK(refused(R"({"k":1,"k":2})", strict).what == "duplicate object key \"k\"");
}

TEST_CASE("json document: values read in place, escapes decoded, missing keys missing") {
  JsonDocument doc;
  REQUIRE_FALSE(doc.parse(R"({"s":"a\"b","n":-12.5e1,"t":true,"z":null,"o":{"x":[1,{"y":2}]}})"));
  const auto root = doc.root();
  CHECK(root.is_object());
  CHECK(root.get("s").text() == "a\"b");
  CHECK(root.get("n").is_number());
  CHECK(root.get("n").text() == "-12.5e1");  // a number's text as written
  CHECK(root.get("t").boolean());
  CHECK(root.get("t").text() == "true");
  CHECK(root.get("z").exists());
  CHECK(root.get("z").is_null());
  CHECK_FALSE(root.get("missing").exists());
  CHECK_FALSE(root.get("missing").get("deeper").exists());
  CHECK_FALSE(root.get("s").get("x").exists());  // a string has no members
  int seen = 0;
  root.get("o").get("x").each([&](const JsonDocument::Value& v) {
    ++seen;
    if (v.is_object()) CHECK(v.get("y").text() == "2");
    return true;
  });
  CHECK(seen == 2);
  // Parsing again replaces what the document held.
  REQUIRE_FALSE(doc.parse("[]"));
  CHECK(doc.root().is_array());
  CHECK(doc.parse("["));
  CHECK_FALSE(doc.root().exists());
}
