#include "trustctl/core/untrusted_json.h"

#include <catch2/catch.hpp>
#include <string>

using namespace trustctl;

namespace {

std::string nested(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

}  // namespace

TEST_CASE("untrusted JSON: nesting up to the limit parses, one level more is an integrity error") {
  auto ok = parse_untrusted_json(nested(kMaxJsonDepth), "answer", ErrorCode::kProtocol);
  REQUIRE(ok.ok());
  CHECK(ok->is_array());

  auto deep = parse_untrusted_json(nested(kMaxJsonDepth + 1), "answer", ErrorCode::kProtocol);
  REQUIRE_FALSE(deep.ok());
  CHECK(deep.error().code() == ErrorCode::kIntegrity);
  CHECK(deep.error().message() == "answer: JSON nested deeper than 64 levels");

  // Objects count like arrays; a smaller limit applies as given.
  auto objects = parse_untrusted_json(R"({"a":{"b":{}}})", "reply", ErrorCode::kProtocol, 2);
  REQUIRE_FALSE(objects.ok());
  CHECK(objects.error().code() == ErrorCode::kIntegrity);
  CHECK(parse_untrusted_json(R"({"a":{"b":1}})", "reply", ErrorCode::kProtocol, 2).ok());
}

TEST_CASE("untrusted JSON: a document nested 100000 deep is refused without recursion") {
  // Also inside an otherwise valid manifest-like object, and with a malformed tail.
  auto hostile = parse_untrusted_json(R"({"schemaVersion":2,"x":)" + nested(100000) + "}",
                                      "manifest", ErrorCode::kIntegrity);
  REQUIRE_FALSE(hostile.ok());
  CHECK(hostile.error().message() == "manifest: JSON nested deeper than 64 levels");
  auto unterminated = parse_untrusted_json(std::string(100000, '['), "m", ErrorCode::kProtocol);
  REQUIRE_FALSE(unterminated.ok());
  CHECK(unterminated.error().code() == ErrorCode::kIntegrity);
}

TEST_CASE("untrusted JSON: brackets inside strings do not count, malformed text keeps its class") {
  const std::string brackets = "{\"s\":\"" + std::string(1000, '[') + "\"}";
  auto s = parse_untrusted_json(brackets, "tags", ErrorCode::kProtocol);
  REQUIRE(s.ok());
  CHECK((*s)["s"].get<std::string>().size() == 1000);

  // An escaped quote does not end the string: the brackets after it are still text.
  const std::string escaped = "{\"s\":\"\\\"" + std::string(100, '{') + "\"}";
  auto e = parse_untrusted_json(escaped, "tags", ErrorCode::kProtocol);
  REQUIRE(e.ok());
  CHECK((*e)["s"].get<std::string>() == "\"" + std::string(100, '{'));
  // A closing bracket inside a string does not make room for more depth outside it.
  const std::string closers = "{\"s\":\"" + std::string(100, ']') +
                              "\",\"x\":" + std::string(64, '[') + std::string(64, ']') + "}";
  auto c = parse_untrusted_json(closers, "tags", ErrorCode::kProtocol);
  REQUIRE_FALSE(c.ok());
  CHECK(c.error().code() == ErrorCode::kIntegrity);

  auto bad = parse_untrusted_json("{not json", "token reply", ErrorCode::kProtocol);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code() == ErrorCode::kProtocol);
  CHECK(bad.error().message().rfind("token reply: not valid JSON (at byte ", 0) == 0);
  CHECK(parse_untrusted_json("", "empty", ErrorCode::kIntegrity).error().code() ==
        ErrorCode::kIntegrity);
}
