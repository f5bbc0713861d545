#include "trustctl/core/result.h"

#include <catch2/catch.hpp>

using namespace trustctl;

namespace {
Result<int> parse_positive(int v) {
  if (v <= 0) return Error(ErrorCode::kUsage, "not positive");
  return v;
}
Result<int> doubled(int v) {
  TRUSTCTL_TRY_ASSIGN(int x, parse_positive(v));
  return x * 2;
}
Status check(int v) {
  TRUSTCTL_TRY(doubled(v));
  return {};
}
}  // namespace

TEST_CASE("Result carries a value or an error and TRY propagates the error") {
  REQUIRE(doubled(4).value() == 8);
  auto bad = doubled(-1);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code() == ErrorCode::kUsage);
  CHECK(bad.error().message() == "not positive");
  CHECK(check(2).ok());
  CHECK(check(0).error().exit_code() == 2);
}

TEST_CASE("every error code maps to its documented exit class") {
  CHECK(exit_code_for(ErrorCode::kInternal) == 1);
  CHECK(exit_code_for(ErrorCode::kUsage) == 2);
  CHECK(exit_code_for(ErrorCode::kNetwork) == 3);
  CHECK(exit_code_for(ErrorCode::kAuth) == 4);
  CHECK(exit_code_for(ErrorCode::kNoTrustData) == 10);
  CHECK(exit_code_for(ErrorCode::kNotFound) == 11);
  CHECK(exit_code_for(ErrorCode::kIntegrity) == 12);
  CHECK(exit_code_for(ErrorCode::kVerification) == 12);
  CHECK(exit_code_for(ErrorCode::kFreshness) == 13);
  CHECK(exit_code_for(ErrorCode::kExpired) == 13);
  CHECK(exit_code_for(ErrorCode::kContention) == 3);
  CHECK(exit_code_for(ErrorCode::kNotSigned) == 15);
  CHECK(exit_code_for(ErrorCode::kDenied) == 14);
  CHECK(exit_code_for(ErrorCode::kIo) == 1);
  CHECK(Error(ErrorCode::kAuth, "denied").wrap("GET /v2/").message() == "GET /v2/: denied");
}
